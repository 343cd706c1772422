"""``rcan bench qtopt``: acting latency, batched vs looped CEM, and training throughput.

* Acting latency: one 64 x 64 observation -> one action, batch 1, on ``threads`` CPU threads,
  for ``canonical`` (CEM only) and ``rcan`` (translator + CEM) observations, and for a
  ``canonical`` ensemble of snapshots (``rcan evaluate --ensemble``: K networks' mean Q).
* CEM: the batched implementation against a per-sample Python loop over the same network,
  side by side in one run (the loop scores one action per network call, as naive ports do).
* Training: gradient steps per second at batch 64, Bellman labelling included, with the
  Q-network's activations channels-last (the default) and NCHW, interleaved in one run.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from rcan.bench import announce
from rcan.common.io import to_jsonable, write_json
from rcan.qtopt.actor import QTOptActor
from rcan.qtopt.batch import QBatch
from rcan.qtopt.bellman import BellmanUpdater, TargetNetworks
from rcan.qtopt.bench import bench_cem
from rcan.qtopt.ensemble import QEnsemble
from rcan.qtopt.learner import QLearner
from rcan.qtopt.networks import QNetwork, QNetworkConfig, activation_layout
from rcan.qtopt.observation import ObservationEncoder
from rcan.qtopt.train import TrainPolicyConfig


@dataclass
class QtOptBenchConfig:
    """Settings of ``rcan bench qtopt``."""

    translator: Path | None = Path("models/translator")
    """Translator for the rcan latency (skipped if missing)."""
    threads: int = 2
    """PyTorch CPU threads."""
    repeats: int = 100
    """Actions timed per mode."""
    ensemble: int = 5
    """Members of the snapshot ensemble whose acting latency is also timed (below 2: skip)."""
    train_steps: int = 20
    """Gradient steps timed per repeat."""
    train_repeats: int = 3
    """Interleaved repeats of the channels-last and NCHW training timings (medians kept)."""
    out: Path = Path("results/qtopt_bench.json")
    """Where the JSON goes."""


def _act_ms(encoder: ObservationEncoder, repeats: int, members: int = 1) -> float:
    nets = [QNetwork(QNetworkConfig(in_channels=encoder.channels)) for _ in range(members)]
    actor = QTOptActor(nets[0] if members == 1 else QEnsemble(nets), encoder, seed=0)
    rng = np.random.default_rng(0)
    frames = rng.integers(0, 256, (8, 64, 64, 3), dtype=np.uint8)
    closed, height = np.zeros(1, np.float32), np.full(1, 0.2, np.float32)
    for i in range(5):
        actor.greedy(encoder(frames[i % 8][None]), closed, height)
    times = []
    for i in range(repeats):
        start = time.perf_counter()
        actor.greedy(encoder(frames[i % 8][None]), closed, height)
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def _train_steps_per_s(steps: int) -> float:
    config = TrainPolicyConfig()
    net = QNetwork(config.network)
    learner = QLearner(net, config.learner)
    bellman = BellmanUpdater(TargetNetworks(net, config.targets), config.target_cem)
    rng = np.random.default_rng(0)
    n = config.learner.batch_size
    arrays = {
        "image": rng.integers(0, 256, (n, 64, 64, 3), dtype=np.uint8),
        "gripper_closed": rng.integers(0, 2, n).astype(np.float32),
        "height": rng.uniform(0, 0.3, n).astype(np.float32),
        "action": rng.uniform(-1, 1, (n, 7)).astype(np.float32),
        "reward": np.full(n, -0.05, np.float32),
        "next_image": rng.integers(0, 256, (n, 64, 64, 3), dtype=np.uint8),
        "next_gripper_closed": rng.integers(0, 2, n).astype(np.float32),
        "next_height": rng.uniform(0, 0.3, n).astype(np.float32),
        "done": (rng.random(n) < 0.1).astype(np.float32),
    }
    batch = QBatch.from_arrays(arrays)
    g = torch.Generator().manual_seed(0)
    learner.update(batch, bellman.label(batch, g))
    start = time.perf_counter()
    for _ in range(steps):
        learner.update(batch, bellman.label(batch, g))
    return steps / (time.perf_counter() - start)


def bench_qtopt(config: QtOptBenchConfig) -> dict[str, Any]:
    """Run the three measurements and write ``config.out``."""
    torch.set_num_threads(config.threads)
    result: dict[str, Any] = {"threads": config.threads}
    announce("qtopt", "acting latency ...")
    result["act_ms_canonical"] = _act_ms(ObservationEncoder("canonical"), config.repeats)
    if config.ensemble >= 2:
        result[f"act_ms_canonical_ensemble{config.ensemble}"] = _act_ms(
            ObservationEncoder("canonical"), config.repeats, config.ensemble)
    if config.translator is not None and Path(config.translator).is_dir():
        from rcan.translator import Translator

        encoder = ObservationEncoder("rcan", Translator.from_checkpoint(config.translator))
        result["act_ms_rcan"] = _act_ms(encoder, config.repeats)
    announce("qtopt", "batched CEM against a per-sample loop ...")
    cem = bench_cem(threads=config.threads)
    result["cem"] = to_jsonable(cem)
    result["cem_batched_over_loop"] = cem.speedup
    torch.set_num_threads(config.threads)
    layouts = {"channels_last": torch.channels_last, "nchw": torch.contiguous_format}
    rates: dict[str, list[float]] = {name: [] for name in layouts}
    announce("qtopt", f"training steps, {config.train_repeats} x {len(layouts)} layouts ...")
    for _ in range(config.train_repeats):
        for name, layout in layouts.items():
            with activation_layout(layout):
                rates[name].append(_train_steps_per_s(config.train_steps))
    result["train_steps_per_s_batch64"] = statistics.median(rates["channels_last"])
    result["train_steps_per_s_batch64_nchw"] = statistics.median(rates["nchw"])
    result["train_channels_last_over_nchw"] = (
        result["train_steps_per_s_batch64"] / result["train_steps_per_s_batch64_nchw"])
    result["command"] = "rcan bench qtopt"
    write_json(config.out, result)
    return result
