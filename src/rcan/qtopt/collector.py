"""Collectors play episodes with an actor and hand back transitions; evaluators only count.

Both own their environment and take weights from outside, so the same classes serve a single
process and remote workers.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from tqdm import tqdm

from rcan.common.stats import wilson
from rcan.qtopt.actor import Episode, QTOptActor
from rcan.sim.env import EnvConfig, GraspEnv

#: Why an episode ended as it did (see :func:`episode_outcome`).
OUTCOMES: tuple[str, ...] = ("success", "closed_on_nothing", "ended_open")


@dataclass
class Collected:
    """Transitions of several episodes, concatenated, with their outcome counts."""

    transitions: dict[str, np.ndarray] = field(default_factory=dict)
    """Replay-layout arrays."""
    episodes: int = 0
    """Episodes played."""
    successes: int = 0
    """Successful grasps among them."""
    steps: int = 0
    """Actions taken."""
    seconds: float = 0.0
    """Wall time spent."""


class Collector:
    """Plays exploring episodes in its own environment."""

    def __init__(self, env_config: EnvConfig, actor: QTOptActor) -> None:
        self.env = GraspEnv(env_config)
        self.actor = actor

    def collect(self, episodes: int, seed: int | None = None, explore: bool = True,
                scripted_only: bool = False) -> Collected:
        """Play ``episodes``; the first reset uses ``seed`` (so a cycle is reproducible).
        ``scripted_only``: every episode by the scripted explorer (the bootstrap)."""
        start = time.perf_counter()
        out = Collected()
        parts: dict[str, list[np.ndarray]] = {}
        for i in range(episodes):
            episode = self.actor.run_episode(self.env, explore, seed if i == 0 else None,
                                             scripted_only)
            for key, value in episode.transitions.items():
                parts.setdefault(key, []).append(value)
            out.episodes += 1
            out.successes += episode.success
            out.steps += episode.steps
        out.transitions = {k: np.concatenate(v) for k, v in parts.items()}
        out.seconds = time.perf_counter() - start
        return out

    def close(self) -> None:
        """Release the simulator."""
        self.env.close()


def episode_outcome(success: bool, closed_at_end: bool) -> str:
    """``success``; ``closed_on_nothing``: the gripper was closed at the end yet held nothing
    (a missed or dropped grasp); ``ended_open``: the gripper was open at the end (never closed,
    or let go). Telling these apart shows whether a policy lacks aim or lacks the idea."""
    if success:
        return "success"
    return "closed_on_nothing" if closed_at_end else "ended_open"


ATTEMPT_HEIGHT = 0.08
"""A close with the fingertips lower than this (metres above the tray bottom) is a grasp
attempt. The scripted explorers hover at 8 cm before they descend; closes higher up are the
no-op close-and-open some policies make as their first steps."""


@dataclass
class OutcomeCounts:
    """How evaluation episodes ended (see :func:`episode_outcome`), and how many ran out of
    steps instead of ending with a terminate action."""

    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(OUTCOMES, 0))
    """Episodes per outcome."""
    timeouts: int = 0
    """Episodes that reached the step limit (the env's ``info["timed_out"]``)."""
    closes: dict[str, list[tuple[float, float]]] = field(default_factory=dict)
    """Per outcome, where the gripper last closed: (x-y distance to the nearest object's
    centre, height above the tray), metres; the env's ``close_distance`` and ``close_height``."""
    successes: list[bool] = field(default_factory=list)
    """Each episode's success, in the order they were added."""
    close_heights: list[tuple[float, ...]] = field(default_factory=list)
    """Each episode's fingertip heights at its closes (the env's ``close_heights``), in order."""

    def add(self, success: bool, closed_at_end: bool, timed_out: bool,
            close_distance: float = float("nan"), close_height: float = float("nan"),
            close_heights: Sequence[float] = ()) -> None:
        """Count one episode from its result, final gripper state, how it ended, where the
        gripper last closed (NaN: it never did) and the heights of all its closes."""
        outcome = episode_outcome(success, closed_at_end)
        self.counts[outcome] += 1
        self.successes.append(bool(success))
        self.close_heights.append(tuple(float(h) for h in close_heights))
        self.timeouts += bool(timed_out)
        if np.isfinite(close_distance):
            self.closes.setdefault(outcome, []).append((close_distance, close_height))

    def add_episode(self, episode: Episode) -> None:
        """Count one played :class:`Episode` (its replay-layout transitions)."""
        closed = float(episode.transitions["next_gripper_closed"][-1]) > 0.5
        self.add(episode.success, closed, episode.timed_out, episode.close_distance,
                 episode.close_height, episode.close_heights)

    def summary(self) -> dict[str, Any]:
        """The outcome fields of an evaluation's JSON: ``outcomes``, ``timeouts``,
        ``closing``, ``retries`` and ``success_by_episode``."""
        return {"outcomes": self.counts, "timeouts": self.timeouts, "closing": self.closing(),
                "retries": self.retries(), "success_by_episode": self.success_by_episode()}

    def retries(self) -> dict[str, Any]:
        """Whether a policy tries again after a failed grasp: the episodes with two or more
        grasp attempts (closes lower than :data:`ATTEMPT_HEIGHT`), how many of those
        succeeded, and the mean attempts and closes per episode."""
        attempts = np.array([sum(h < ATTEMPT_HEIGHT for h in heights)
                             for heights in self.close_heights], np.int64)
        closes = np.array([len(heights) for heights in self.close_heights], np.int64)
        retried = attempts > 1
        return {"episodes": int(retried.sum()),
                "success": int(np.asarray(self.successes, bool)[retried].sum()),
                "mean_attempts": round(float(attempts.mean()), 3) if len(attempts) else 0.0,
                "mean_closes": round(float(closes.mean()), 3) if len(closes) else 0.0}

    def success_by_episode(self) -> str:
        """Each episode's success in order, "1" or "0": what a paired comparison of two
        policies on the same episodes needs (rcan.common.stats.paired_comparison)."""
        return "".join("1" if ok else "0" for ok in self.successes)

    def closing(self) -> dict[str, dict[str, Any]]:
        """Per outcome: episodes whose gripper closed, and the quartiles (25/50/75%) of the
        closing point's distance to the nearest object's centre and height, in cm. A policy that
        lacks aim fails far from the objects at the right height; one that lacks depth, above
        them."""
        summary = {}
        for outcome in OUTCOMES:
            rows = np.asarray(self.closes.get(outcome, []), np.float64).reshape(-1, 2)
            if len(rows):
                q = np.percentile(rows * 100, [25, 50, 75], axis=0).round(1)
                summary[outcome] = {"episodes": len(rows), "distance_cm": q[:, 0].tolist(),
                                    "height_cm": q[:, 1].tolist()}
        return summary


def evaluate_actor(
    actor: QTOptActor, env_config: EnvConfig, episodes: int, seed: int,
    progress: str | None = None,
) -> dict[str, Any]:
    """Greedy success rate with its 95% Wilson interval (fresh env, fixed seed), episode
    outcomes (see :class:`OutcomeCounts`) and each episode's success in order ("1"/"0"), so
    two policies on the same episodes can be compared pair by pair. ``progress``: the label of
    a progress bar (None: silent, as inside training)."""
    env = GraspEnv(env_config)
    outcomes = OutcomeCounts()
    steps = 0
    try:
        bar = tqdm(range(episodes), desc=progress, disable=progress is None, unit="episode",
                   leave=False)
        for i in bar:
            episode = actor.run_episode(env, explore=False, seed=seed if i == 0 else None)
            outcomes.add_episode(episode)
            steps += episode.steps
            bar.set_postfix(success=f"{outcomes.counts['success'] / (i + 1):.3f}", refresh=False)
    finally:
        env.close()
    rate = wilson(outcomes.counts["success"], episodes)
    return {
        "success": rate.success,
        "ci_low": rate.ci_low,
        "ci_high": rate.ci_high,
        "episodes": episodes,
        "mean_episode_length": steps / max(episodes, 1),
        **outcomes.summary(),
    }
