"""Stage 1, simulate: the domain-randomized Bullet bin-grasping world.

Importing this package registers the Gymnasium id ``rcan/BinGrasp-v0``.
"""

import gymnasium as gym

from rcan.sim.env import ENV_ID, EnvConfig, GraspEnv

if ENV_ID not in gym.registry:
    gym.register(id=ENV_ID, entry_point="rcan.sim.env:GraspEnv")

__all__ = ["ENV_ID", "EnvConfig", "GraspEnv"]
