"""Stage 1, simulate: the domain-randomized Bullet bin-grasping world.

Importing this package registers the Gymnasium id ``rcan/BinGrasp-v0``.
"""

import gymnasium as gym

from rcan.sim.env import ENV_ID, EnvConfig, GraspEnv

if ENV_ID not in gym.registry:
    # nondeterministic: the bin persists across episodes (objects stay where they fell, the set
    # is swapped on a schedule), so ``reset(seed=s)`` on a used env does not repeat the episode
    # that ``reset(seed=s)`` gives a fresh env. Fresh envs with equal seeds are identical.
    gym.register(id=ENV_ID, entry_point="rcan.sim.env:GraspEnv", nondeterministic=True)

__all__ = ["ENV_ID", "EnvConfig", "GraspEnv"]
