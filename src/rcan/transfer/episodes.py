"""Playing a policy in a domain: greedy success with its 95% interval, and recorded episodes.

One loop for every kind of policy (a trained Q-network with CEM, the scripted explorer, the
oracle), so that all of them meet the *same* episodes: it follows
:func:`rcan.qtopt.collector.evaluate_actor` exactly (a fresh environment, the first reset
seeded, later resets continuing its stream), adds a progress bar, and can keep the frames of
the first few episodes for GIFs at no extra simulation cost.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from PIL import Image, ImageDraw
from tqdm import tqdm

from rcan.common.errors import RcanError
from rcan.common.io import atomic_path
from rcan.common.stats import SuccessRate, wilson
from rcan.qtopt.actor import QTOptActor
from rcan.qtopt.collector import OutcomeCounts
from rcan.qtopt.load import load_actor
from rcan.sim.domain import domain_name
from rcan.sim.env import EnvConfig, GraspEnv
from rcan.sim.policies import Policy, builtin_policy
from rcan.transfer.layout import PolicyFolder


class Controller(Protocol):
    """Chooses actions for one episode at a time."""

    name: str

    def start(self, env: GraspEnv) -> None:
        """Called after each reset."""

    def act(self, obs: dict[str, np.ndarray]) -> tuple[np.ndarray, float | None,
                                                        np.ndarray | None]:
        """The action, its Q value if the policy has one, and what the policy saw in
        canonical style (G(x) for rcan) if that differs from the camera image."""
        ...


class ActorController:
    """A trained policy: the greedy CEM action of a :class:`QTOptActor`."""

    def __init__(self, actor: QTOptActor, name: str = "policy") -> None:
        self.actor = actor
        self.name = name

    def start(self, env: GraspEnv) -> None:
        """Nothing to reset: the actor keeps no per-episode state."""

    def act(self, obs: dict[str, np.ndarray]) -> tuple[np.ndarray, float | None,
                                                        np.ndarray | None]:
        encoded = self.actor.encoder.from_obs(obs)[None]
        actions, q = self.actor.greedy(encoded, obs["gripper_closed"], obs["height"])
        view = encoded[0, ..., :3] if self.actor.encoder.mode == "rcan" else None
        return actions[0], float(q[0]), view


class ScriptController:
    """A built-in policy by its name in ``rcan.sim.policies.BUILTIN_POLICIES`` (the demo
    plays ``oracle``, privileged, and ``scripted``, blind)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.policy: Policy = builtin_policy(name)

    def start(self, env: GraspEnv) -> None:
        """Plan this episode's grasp from the environment's own random stream."""
        self.policy.reset(env, env.np_random)

    def act(self, obs: dict[str, np.ndarray]) -> tuple[np.ndarray, float | None,
                                                        np.ndarray | None]:
        return self.policy.act(obs), None, None


@dataclass
class RecordedEpisode:
    """The observations of one episode, for pictures."""

    images: list[np.ndarray] = field(default_factory=list)
    """Camera images (H, W, 3) uint8, one per observation, the last after the final step."""
    views: list[np.ndarray] = field(default_factory=list)
    """G(x) per observation for rcan policies (empty otherwise)."""
    q_values: list[float] = field(default_factory=list)
    """Q of each chosen action (empty for built-in policies)."""
    first_observation: dict[str, np.ndarray] = field(default_factory=dict)
    """The observation after the reset (for the Q heat map)."""
    success: bool = False
    """Whether the final lift check held an object."""


@dataclass
class PlayResult:
    """Success over a fixed set of episodes."""

    rate: SuccessRate
    """Success with its 95% Wilson interval."""
    mean_episode_length: float
    """Actions per episode on average."""
    recorded: list[RecordedEpisode]
    """The first episodes, kept frame by frame."""
    outcomes: OutcomeCounts = field(default_factory=OutcomeCounts)
    """How the episodes ended."""

    def as_dict(self) -> dict[str, Any]:
        """The JSON fields of an evaluation (as rcan evaluate writes them)."""
        return {"success": self.rate.success, "ci_low": self.rate.ci_low,
                "ci_high": self.rate.ci_high, "episodes": self.rate.episodes,
                "mean_episode_length": self.mean_episode_length, **self.outcomes.summary()}


def play(controller: Controller, env_config: EnvConfig, episodes: int, seed: int,
         record: int = 0, progress: bool = True) -> PlayResult:
    """Play ``episodes`` greedy episodes in a fresh environment (first reset seeded by
    ``seed``); keep the frames of the first ``record`` of them."""
    if episodes < 1:
        raise RcanError(f"episodes must be >= 1, got {episodes}")
    env = GraspEnv(env_config)
    steps = 0
    outcomes = OutcomeCounts()
    recorded: list[RecordedEpisode] = []
    bar = tqdm(range(episodes), desc=f"{controller.name} in {domain_name(env_config.domain)}",
               unit="episode", disable=not progress, leave=False)
    try:
        for i in bar:
            keep = i < record
            obs, _ = env.reset(seed=seed if i == 0 else None)
            controller.start(env)
            episode = RecordedEpisode(first_observation={k: v.copy() for k, v in obs.items()})
            while True:
                action, q, view = controller.act(obs)
                if keep:
                    episode.images.append(obs["image"])
                    if view is not None:
                        episode.views.append(view)
                    if q is not None:
                        episode.q_values.append(q)
                obs, _, terminated, truncated, info = env.step(action)
                if terminated or truncated:
                    break
            episode.success = bool(info["success"])
            outcomes.add(episode.success, bool(obs["gripper_closed"][0] > 0.5),
                         bool(info["timed_out"]), info["close_distance"], info["close_height"],
                         info["close_heights"])
            if keep:
                episode.images.append(obs["image"])
                if episode.views:
                    episode.views.append(episode.views[-1])
                recorded.append(episode)
            steps += env.steps
            bar.set_postfix(success=f"{outcomes.counts['success'] / (i + 1):.2f}")
    finally:
        env.close()
    return PlayResult(wilson(outcomes.counts["success"], episodes), steps / episodes, recorded,
                      outcomes)


def load_policy(folder: str | os.PathLike[str], translator: str | os.PathLike[str] | None = None,
                seed: int = 0) -> tuple[QTOptActor, dict[str, Any]]:
    """The greedy actor of any policy folder (a train-policy run, its checkpoint, a
    GraspPolicy.save_pretrained folder), and that folder's config.json. ``translator``
    overrides an rcan policy's own and is ignored by the others."""
    PolicyFolder.find(folder)  # refuses pickles and incomplete folders with a clear message
    return load_actor(folder, str(translator) if translator else None, seed=seed)


def episode_frames(episode: RecordedEpisode, scale: int = 3) -> list[np.ndarray]:
    """GIF frames: camera image (and G(x) beside it), enlarged, with a caption per step and
    a green (success) or red (failure) border on the last frame."""
    frames = []
    last = len(episode.images) - 1
    for k, image in enumerate(episode.images):
        panel = image if not episode.views else np.concatenate([image, episode.views[k]], 1)
        panel = np.kron(panel, np.ones((scale, scale, 1), np.uint8))
        strip = Image.new("RGB", (panel.shape[1], 14), (255, 255, 255))
        text = f"step {k}"
        if k < len(episode.q_values):
            text += f"  Q={episode.q_values[k]:.2f}"
        if k == last:
            text = f"step {k}  {'SUCCESS' if episode.success else 'failure'}"
        ImageDraw.Draw(strip).text((3, 1), text, fill=(0, 0, 0))
        frame = np.concatenate([panel, np.asarray(strip)], 0)
        if k == last:
            colour = (30, 170, 60) if episode.success else (210, 40, 40)
            frame = frame.copy()
            frame[:3], frame[-3:], frame[:, :3], frame[:, -3:] = colour, colour, colour, colour
        frames.append(frame)
    return frames


def write_gif(episode: RecordedEpisode, path: str | os.PathLike[str], fps: float = 4.0,
              hold_last: int = 4) -> Path:
    """The episode as an endlessly looping GIF (the last frame held a little longer)."""
    import imageio.v3 as iio

    frames = episode_frames(episode)
    frames += [frames[-1]] * hold_last
    with atomic_path(path) as tmp:
        iio.imwrite(tmp, frames, extension=".gif", duration=int(1000 / fps), loop=0)
    return Path(path)
