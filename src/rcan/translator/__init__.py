"""Stage 2, translate: a pix2pix-style generator from any domain to canonical RGB + mask + depth.

James et al. 2019 (RCAN): one image-conditioned U-Net maps a randomized (or real) image to the
canonical rendering of the same scene, with the segmentation mask and depth as auxiliary
outputs that keep the canonical image sharp and geometrically right.
"""

from rcan.translator.inference import Translation, Translator

__all__ = ["Translation", "Translator"]
