"""``rcan bench ray``: collection throughput with 1, 2, ... Ray collector actors, side by side.

For each collector count, in one invocation, the same work: ``episodes`` episodes in chunks of
``chunk`` with fixed seeds, handed to whichever collector is free, played by the same policy
(an untrained Q-network with CEM acting and the default exploration of ``train-policy``) in the
``canonical`` domain at 64 x 64. The collectors are the
:class:`~rcan.distributed.workers.CollectorWorker` actors of ``train-policy --collectors N``
(1 CPU, one torch thread, single-threaded OpenMP each), weights come through the object store,
and the transitions travel back to the driver as in training. Building each actor's world and
loading its weights (one warm-up episode) is excluded, as ``rcan bench sim`` excludes world
construction.

Reported: episodes and steps per second of wall time per count, and the ratio of 2 collectors'
episodes per second to 1's (ideal: 2.0 on a machine with 2 free cores).
"""

from __future__ import annotations

import dataclasses
import os
import platform
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from rcan.bench import announce
from rcan.common.errors import RcanError
from rcan.common.io import to_jsonable, write_json
from rcan.qtopt.networks import QNetwork, QNetworkConfig
from rcan.qtopt.train import TrainPolicyConfig, policy_env_config

#: Longest wait for one chunk or warm-up (a chunk takes seconds; this means a broken worker).
TIMEOUT_S = 600.0


@dataclass
class RayBenchConfig:
    """Settings of ``rcan bench ray``."""

    collectors: tuple[int, ...] = (1, 2)
    """Collector counts to time, one after the other (e.g. 1 2 4 8 16 on a bigger machine)."""
    episodes: int = 96
    """Episodes played per count (the same seeded chunks for every count)."""
    chunk: int = 2
    """Episodes per request to a collector (small: the last chunks leave few cores idle)."""
    image_size: int = 64
    """Observation side in pixels."""
    domain: str = "canonical"
    """Domain of the episodes."""
    num_objects: int = 5
    """Objects in the bin."""
    network: QNetworkConfig = field(default_factory=QNetworkConfig)
    """Q-network shape (untrained; image size follows --image-size)."""
    seed: int = 0
    """Seed of the network and of the chunks."""
    ray_address: str | None = None
    """Ray cluster to run on (default: start a local one with enough logical CPUs)."""
    out: Path = Path("results/ray_scaling.json")
    """Where the JSON goes."""


def bench_ray(config: RayBenchConfig) -> dict[str, Any]:
    """Time every collector count and write ``config.out``."""
    from rcan.distributed import cluster_cpus, ray_session, require_ray

    require_ray()
    counts = list(config.collectors)
    if not counts or min(counts) < 1 or config.episodes < 1 or config.chunk < 1:
        raise RcanError("bench ray: need collectors >= 1, episodes >= 1 and chunk >= 1")
    load_before = os.getloadavg()
    with ray_session(config.ray_address, num_cpus=max(os.cpu_count() or 1, *counts)) as ray:
        if cluster_cpus(ray) < max(counts):
            raise RcanError(f"bench ray: {max(counts)} collectors need {max(counts)} CPUs, the "
                            f"Ray cluster has {cluster_cpus(ray):g}")
        runs = [_time_collectors(ray, config, n) for n in counts]
    machine = {
        "python": platform.python_version(),
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "torch": torch.__version__,
        "ray": ray.__version__,
        "load_average_1m_before": load_before[0],
        "load_average_1m_after": os.getloadavg()[0],
    }
    command = "rcan bench ray " + " ".join(sys.argv[3:])
    result = scaling_report(runs, to_jsonable(config), command.strip(), machine)
    write_json(config.out, result)
    return result


def scaling_report(runs: list[dict[str, Any]], config: dict[str, Any], command: str,
                   machine: dict[str, Any]) -> dict[str, Any]:
    """The JSON of the benchmark from its raw measurements (one dict per collector count
    with ``collectors``, ``episodes``, ``steps`` and ``seconds``)."""
    counts = [int(r["collectors"]) for r in runs]
    episodes_per_s = [r["episodes"] / r["seconds"] for r in runs]
    steps_per_s = [r["steps"] / r["seconds"] for r in runs]
    by_count = dict(zip(counts, episodes_per_s, strict=True))
    ratio = by_count[2] / by_count[1] if 1 in by_count and 2 in by_count else None
    speedup = [e / by_count[1] for e in episodes_per_s] if 1 in by_count else None
    return {
        "collectors": counts,
        "episodes_per_s": episodes_per_s,
        "steps_per_s": steps_per_s,
        "ratio_2_over_1": ratio,
        "speedup_over_1": speedup,
        "runs": runs,
        "config": config,
        "command": command,
        "machine": machine,
    }


def _time_collectors(ray: Any, config: RayBenchConfig, count: int) -> dict[str, Any]:
    """Play the benchmark's chunks with ``count`` collector actors; the raw measurement."""
    announce("ray", f"{count} collector(s), {config.episodes} episodes ...")
    from rcan.distributed.publish import WeightPublisher, to_numpy
    from rcan.distributed.workers import CollectorWorker, derived_seed

    side = config.image_size
    network = dataclasses.replace(config.network, image_height=side, image_width=side)
    train = TrainPolicyConfig(obs="canonical", domain=config.domain, network=network,
                              seed=config.seed)
    train.env.image_height = train.env.image_width = side
    train.env.world.num_objects = config.num_objects
    env = policy_env_config(train, train.objects)  # the environment train-policy collects in
    torch.manual_seed(config.seed)
    weights = WeightPublisher(ray).publish(to_numpy(QNetwork(network).state_dict()), 0)
    remote = ray.remote(num_cpus=1, max_restarts=0)(CollectorWorker)
    workers = [remote.remote(train, env) for _ in range(count)]
    try:
        warm = [w.warm_up.remote(weights, derived_seed(config.seed, i, 7))
                for i, w in enumerate(workers)]
        ray.get(warm, timeout=TIMEOUT_S)
        sizes = [min(config.chunk, config.episodes - start)
                 for start in range(0, config.episodes, config.chunk)]
        todo = list(reversed(list(enumerate(sizes))))
        running: dict[Any, Any] = {}
        idle = list(workers)
        episodes = steps = successes = 0
        start = time.perf_counter()
        while todo or running:
            while todo and idle:
                k, n = todo.pop()
                worker = idle.pop()
                running[worker.collect.remote(weights, n, derived_seed(config.seed, k))] = worker
            ready, _ = ray.wait(list(running), num_returns=1, timeout=TIMEOUT_S)
            if not ready:
                raise RcanError(f"bench ray: no chunk finished in {TIMEOUT_S:.0f} s")
            for ref in ready:
                idle.append(running.pop(ref))
                collected = ray.get(ref, timeout=TIMEOUT_S).collected
                episodes += collected.episodes
                steps += collected.steps
                successes += collected.successes
        seconds = time.perf_counter() - start
    finally:
        for worker in workers:
            ray.kill(worker)
    return {"collectors": count, "episodes": episodes, "steps": steps, "successes": successes,
            "seconds": seconds, "mean_episode_length": steps / max(episodes, 1)}


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()
