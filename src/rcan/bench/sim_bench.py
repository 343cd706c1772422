"""``rcan bench sim``: our environment against pybullet's ``KukaDiverseObjectEnv``, side by side.

Both run in fresh single-threaded processes, one after the other, in the same invocation:

* peer: ``KukaDiverseObjectEnv`` (48 x 48 by default, its own defaults) with random actions;
  every reset reloads the world and drops each object for 500 physics steps, which is its
  design.
* ours: ``GraspEnv`` in the ``randomized`` domain producing 64 x 64 observations every step,
  driven by the scripted exploration policy (episodes end in a grasp attempt, like the peer's).
  The one-off world construction (first reset) is excluded, as the peer's constructor is.

Reported: grasp episodes per second, environment steps per second, their ratio, and the time
of one paired render (randomized RGB + canonical RGB + mask + depth).
"""

from __future__ import annotations

import concurrent.futures
import multiprocessing
import platform
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rcan.bench import announce
from rcan.bench.peer_kuka import run_peer_isolated, single_thread_environ
from rcan.common.io import to_jsonable, write_json


@dataclass
class SimBenchConfig:
    """Settings of ``rcan bench sim``."""

    episodes: int = 40
    """Our episodes to time."""
    peer_episodes: int = 15
    """Peer episodes to time (it is slow)."""
    image_size: int = 64
    """Our observation side in pixels."""
    peer_image_size: int = 48
    """The peer's observation side (its default is 48)."""
    domain: str = "randomized"
    """Our domain."""
    render_repeats: int = 50
    """Paired renders to time."""
    seed: int = 0
    """Seed for both."""
    out: Path = Path("results/sim_bench.json")
    """Where the JSON goes."""


def run_ours(episodes: int, seed: int, image_size: int, domain: str, repeats: int) -> dict:
    """Time our env (in the current process); see the module docstring."""
    from rcan.sim.env import EnvConfig, GraspEnv
    from rcan.sim.policies import ScriptedExplorer, run_episode

    env = GraspEnv(EnvConfig(domain=domain, image_height=image_size, image_width=image_size))
    env.reset(seed=seed)  # builds the world: excluded, like the peer's constructor
    policy = ScriptedExplorer()
    steps = successes = 0
    start = time.perf_counter()
    for _ in range(episodes):
        ok, n, _ = run_episode(env, policy)
        steps += n
        successes += ok
    seconds = time.perf_counter() - start
    env.reset()
    env.paired_frame()
    start = time.perf_counter()
    for _ in range(repeats):
        env.paired_frame()
    render_ms = (time.perf_counter() - start) / repeats * 1000
    env.close()
    return {
        "episodes": episodes,
        "steps": steps,
        "seconds": seconds,
        "successes": successes,
        "episodes_per_s": episodes / seconds,
        "steps_per_s": steps / seconds,
        "paired_render_ms": render_ms,
    }


def run_ours_isolated(config: SimBenchConfig) -> dict:
    """:func:`run_ours` in a fresh single-threaded process, like the peer."""
    ctx = multiprocessing.get_context("spawn")
    with single_thread_environ(), concurrent.futures.ProcessPoolExecutor(1, ctx) as pool:
        future = pool.submit(
            run_ours, config.episodes, config.seed, config.image_size, config.domain,
            config.render_repeats,
        )
        return future.result(timeout=1800)


def bench_sim(config: SimBenchConfig) -> dict[str, Any]:
    """Run both and write ``config.out``."""
    announce("sim", "ours, one core ...")
    ours = run_ours_isolated(config)
    side = config.peer_image_size
    announce("sim", f"pybullet's KukaDiverseObjectEnv, {config.peer_episodes} episodes ...")
    peer = run_peer_isolated(config.peer_episodes, config.seed, side, side)
    result = {
        "ours_episodes_per_s": ours["episodes_per_s"],
        "peer_episodes_per_s": peer.episodes_per_s,
        "ratio": ours["episodes_per_s"] / peer.episodes_per_s,
        "ours_steps_per_s": ours["steps_per_s"],
        "peer_steps_per_s": peer.steps_per_s,
        "steps_ratio": ours["steps_per_s"] / peer.steps_per_s,
        "paired_render_ms_64": ours["paired_render_ms"],
        "ours": ours,
        "peer": peer.as_dict(),
        "config": to_jsonable(config),
        "command": "rcan bench sim " + " ".join(sys.argv[3:]),
        "machine": {"python": platform.python_version(), "cpu": platform.processor()
                    or platform.machine(), "cores_used": 1},
    }
    write_json(config.out, result)
    return result
