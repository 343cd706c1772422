"""Thin worker wrappers around QT-Opt's components, one process each when run as Ray actors.

Each class owns one component of the single-process run and adds only what a separate process
needs: building its part from the run's config, following published weights
(:mod:`rcan.distributed.publish`), and reporting its peak memory. They are plain classes
(``ray.remote`` is applied by the driver), so they import and test without Ray; only the
weight fetch needs it.

* :class:`CollectorWorker`: a :class:`~rcan.qtopt.collector.Collector` and its
  :class:`~rcan.qtopt.actor.QTOptActor`; plays chunks of episodes.
* :class:`BellmanWorker`: a :class:`~rcan.qtopt.bellman.BellmanUpdater` on its own copy of the
  target networks; labels replay batches.
* :class:`EvaluatorWorker`: :func:`~rcan.qtopt.train.evaluate_policy` (``evaluate_actor`` on
  the held-out objects) with its own actor.
"""

from __future__ import annotations

import dataclasses
import os
import resource
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from rcan.distributed import SINGLE_THREAD_ENV
from rcan.distributed.publish import Published, fetch, to_tensors
from rcan.qtopt.actor import QTOptActor
from rcan.qtopt.batch import QBatch
from rcan.qtopt.bellman import BellmanUpdater, TargetNetworks
from rcan.qtopt.collector import Collected, Collector
from rcan.qtopt.networks import QNetwork
from rcan.qtopt.observation import CHANNELS
from rcan.qtopt.train import TrainPolicyConfig, evaluate_policy, make_encoder
from rcan.sim.env import EnvConfig


def single_threaded() -> None:
    """One thread for torch and the BLAS/OpenMP pools: N workers then use N cores instead of
    each spinning up a pool as wide as the machine."""
    for name, value in SINGLE_THREAD_ENV.items():
        os.environ[name] = value
    torch.set_num_threads(1)


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, MiB."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024**2 if sys.platform == "darwin" else peak / 1024  # bytes vs KiB


def rss_mb() -> float:
    """Resident memory of this process now, MiB (the peak where /proc is unavailable)."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
    except (OSError, IndexError, ValueError):
        return peak_rss_mb()
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def derived_seed(*parts: int) -> int:
    """An independent 63-bit seed for the tuple ``parts`` (fits torch and numpy)."""
    return int(np.random.SeedSequence(list(parts)).generate_state(2, np.uint64)[0] >> 1)


def build_actor(config: TrainPolicyConfig, seed: int) -> QTOptActor:
    """A fresh actor with the run's network shape, CEM, exploration and observation mode."""
    network = dataclasses.replace(config.network, in_channels=CHANNELS[config.obs])
    return QTOptActor(QNetwork(network), make_encoder(config), config.act_cem,
                      dataclasses.replace(config.exploration), seed)


class _Follower:
    """Loads published weights when their version differs from the ones it holds."""

    version = 0

    def _follow(self, published: Published, load: Callable[[Any], None]) -> None:
        if published.version != self.version:
            load(fetch(published))
            self.version = published.version


@dataclass
class CollectedChunk:
    """What a collector hands back for one chunk of episodes."""

    collected: Collected
    """Transitions (read-only arrays once fetched from the store) and outcome counts."""
    weights_steps: int
    """Learner step of the weights that played (the driver logs the policy lag)."""
    peak_rss_mb: float
    """The worker's peak resident memory so far."""
    rss_mb: float = 0.0
    """The worker's resident memory now (logged per chunk: flat once the simulator is warm)."""


class CollectorWorker(_Follower):
    """A :class:`Collector` and its :class:`QTOptActor` (see the module docstring)."""

    def __init__(self, config: TrainPolicyConfig, env_config: EnvConfig) -> None:
        single_threaded()
        self.actor = build_actor(config, config.seed)
        self.collector = Collector(env_config, self.actor)

    def collect(self, weights: Published, episodes: int, seed: int, scripted: bool = False
                ) -> CollectedChunk:
        """Play ``episodes`` with ``weights``; ``scripted``: all by the scripted explorer
        (the bootstrap). The first reset uses ``seed``."""
        self._follow(weights, lambda arrays: self.actor.load_weights(to_tensors(arrays)))
        # Exploration noise is reseeded per chunk: a chunk then depends on its seed, not on
        # which worker plays it or what that worker played before (a restarted worker would
        # otherwise repeat its predecessor's noise).
        noise_seed = derived_seed(seed, 1)
        self.actor.rng = np.random.default_rng(noise_seed)
        self.actor.generator.manual_seed(noise_seed)
        collected = self.collector.collect(episodes, seed=seed, scripted_only=scripted)
        return CollectedChunk(collected, weights.steps, peak_rss_mb(), rss_mb())

    def warm_up(self, weights: Published, seed: int) -> float:
        """Build the world and load ``weights`` (one short episode); returns seconds taken."""
        start = time.perf_counter()
        self.collect(weights, 1, seed)
        return time.perf_counter() - start


@dataclass
class Labels:
    """Bellman targets of one batch."""

    values: np.ndarray
    """float32 (N,) targets in [0, 1]."""
    peak_rss_mb: float
    """The worker's peak resident memory so far."""
    rss_mb: float = 0.0
    """The worker's resident memory now."""


class BellmanWorker(_Follower):
    """A :class:`BellmanUpdater` on its own copy of the target networks."""

    def __init__(self, config: TrainPolicyConfig, index: int, incarnation: int) -> None:
        single_threaded()
        network = QNetwork(dataclasses.replace(config.network, in_channels=CHANNELS[config.obs]))
        self.targets = TargetNetworks(network, config.targets)
        self.updater = BellmanUpdater(self.targets, config.target_cem)
        # A new stream per restart, so a replacement does not replay its predecessor's noise.
        self.generator = torch.Generator().manual_seed(derived_seed(config.seed, index,
                                                                    incarnation, 2))

    def _load(self, arrays: Mapping[str, Mapping[str, np.ndarray]]) -> None:
        self.targets.polyak.load_state_dict(to_tensors(arrays["polyak"]))
        self.targets.lagged.load_state_dict(to_tensors(arrays["lagged"]))

    def label(self, targets: Published, batch: Mapping[str, np.ndarray]) -> Labels:
        """Clipped double-Q targets for a replay sample (field names of replay.FIELDS)."""
        self._follow(targets, self._load)
        # from_arrays copies: arrays fetched from the object store are read-only.
        values = self.updater.label(QBatch.from_arrays(batch), self.generator)
        return Labels(values.numpy(), peak_rss_mb(), rss_mb())


class EvaluatorWorker(_Follower):
    """Greedy success on the held-out objects (the learning curve's points)."""

    def __init__(self, config: TrainPolicyConfig) -> None:
        single_threaded()
        self.config = config
        self.actor = build_actor(config, config.seed)

    def evaluate(self, weights: Published, grasps: int) -> dict[str, Any]:
        """One curve point for ``weights``, labelled with ``grasps``."""
        self._follow(weights, lambda arrays: self.actor.load_weights(to_tensors(arrays)))
        result = evaluate_policy(self.config, self.actor, grasps, weights.steps)
        return {**result, "peak_rss_mb": peak_rss_mb()}
