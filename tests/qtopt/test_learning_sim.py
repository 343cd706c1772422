"""End to end in the simulator: a tiny train-policy run learns to beat the scripted explorer.

The easy setting: the gripper starts 3-5 cm above a small pile of objects in the tray centre,
episodes last 3 actions and the gripper closes by itself when low (KukaDiverseObjectEnv style).
Heading straight down grasps something most of the time; the scripted explorer first rises to
its hover height and heads for a random point, so it never gets to grasp within 3 actions.
Beating it means the loop (scripted bootstrap, on-policy collection, replay, Bellman targets,
learner, CEM acting) has learned from images and height to go down.
"""

from __future__ import annotations

from pathlib import Path

from rcan.qtopt.bellman import TargetConfig
from rcan.qtopt.cem import CEMConfig
from rcan.qtopt.learner import LearnerConfig
from rcan.qtopt.networks import QNetworkConfig
from rcan.qtopt.replay import MixSchedule
from rcan.qtopt.train import TrainPolicyConfig, policy_env_config, train_policy
from rcan.sim.env import EnvConfig, GraspEnv
from rcan.sim.policies import ScriptedExplorer, run_episode

EPISODES = 40


def _easy_env() -> EnvConfig:
    env = EnvConfig(image_height=32, image_width=32, max_steps=3, start_height=(0.03, 0.05),
                    start_xy_jitter=0.0, auto_grasp=True, step_penalty=0.0)
    env.world.num_objects = 5
    env.world.drop_half_extent = 0.01
    return env


def test_a_tiny_run_beats_the_scripted_explorer(tmp_path: Path) -> None:
    config = TrainPolicyConfig(
        obs="canonical", out=tmp_path, env=_easy_env(), seed=0, grasps=300,
        bootstrap_episodes=150, episodes_per_cycle=10, updates_per_episode=4.0,
        offline_capacity=2000, online_capacity=2000, mix=MixSchedule(0.0, 0.5, 500),
        network=QNetworkConfig(channels=16, hidden=32),
        act_cem=CEMConfig(samples=32, elites=4, iterations=2),
        target_cem=CEMConfig(samples=16, elites=4, iterations=1),
        targets=TargetConfig(polyak=0.95, lag_steps=50), learner=LearnerConfig(lr=1e-3,
                                                                                batch_size=32),
        eval_every_grasps=1000, eval_episodes=EPISODES, eval_objects="train",
        checkpoint_every_cycles=1000, threads=2,
    )
    learned = train_policy(config)

    env = GraspEnv(policy_env_config(config, "train"))
    try:  # the evaluator's episodes: the first reset seeded, the rest following on
        scripted = sum(run_episode(env, ScriptedExplorer(), 10_000 if i == 0 else None)[0]
                       for i in range(EPISODES)) / EPISODES
    finally:
        env.close()
    assert learned["episodes"] == EPISODES
    assert learned["success"] >= scripted + 0.15, (learned["success"], scripted)
