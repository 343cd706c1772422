"""Stage 1, simulate: the domain-randomized Bullet bin-grasping world.

Importing this package registers the Gymnasium id ``rcan/BinGrasp-v0``.
"""

import gymnasium as gym

from rcan.sim.env import ENV_ID, EnvConfig, GraspEnv

if ENV_ID not in gym.registry:
    # nondeterministic: a reused world keeps Bullet's contact caches (and the bin carries
    # objects over between unseeded resets), so ``reset(seed=s)`` on a used env repeats a fresh
    # env's episode only approximately; Gymnasium's checker wants it byte-exact. Fresh envs with
    # equal seeds are byte-identical.
    gym.register(id=ENV_ID, entry_point="rcan.sim.env:GraspEnv", nondeterministic=True)

__all__ = ["ENV_ID", "EnvConfig", "GraspEnv"]
