"""rcan: Randomized-to-Canonical Adaptation Networks for sim-to-real grasping.

Four stages, one direction of data flow:

    rcan.sim         -> a domain-randomized Bullet bin-grasping world, paired renders
    rcan.data        -> HDF5 shards of paired images and episode transitions
    rcan.translator  -> randomized (or real) image -> canonical RGB + mask + depth
    rcan.qtopt       -> closed-loop Q-learning with CEM on the (translated) images
"""

__version__ = "0.1.0"
