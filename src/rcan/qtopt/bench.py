"""Timings of the Q-network and of CEM action selection, batched against a per-sample loop.

:func:`bench_cem` times, in one run and interleaved, two ways to pick one action by CEM with
the same network and the same random draws:

* batched: encode the image once, score each iteration's samples in one ``q_logits`` call;
* loop: the pattern of many QT-Opt ports, a Python loop calling the full network (image stack
  included) on one action at a time.

Both run the same CEM code (only the scoring differs), so they pick the same action, which the
result reports as a check.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import torch

from rcan.qtopt.cem import CEMConfig, cem_maximize
from rcan.qtopt.networks import QNetwork, QNetworkConfig, parameter_count
from rcan.qtopt.policy import greedy_actions


@dataclass
class CEMBenchResult:
    """Milliseconds per selected action, batched vs per-sample loop."""

    batched_ms: float
    """Median time of one batched CEM action selection."""
    loop_ms: float
    """Median time of one per-sample-loop CEM action selection."""
    speedup: float
    """loop_ms / batched_ms."""
    q_evaluations: int
    """Q evaluations per selected action (samples x iterations)."""
    same_action: bool
    """Whether both picked the same action from the same random draws."""
    threads: int
    """torch intra-op threads used."""
    parameters: int
    """Trainable parameters of the network."""


@dataclass
class QEvalBenchResult:
    """Milliseconds per Q-network call on a batch."""

    forward_ms: float
    """Full forward (encode + q_logits) of ``batch`` distinct (state, action) pairs."""
    cached_ms: float
    """q_logits of ``batch`` actions for one state, image features cached."""
    train_step_ms: float
    """Forward + backward of ``batch`` pairs (the learner's cost without the optimiser)."""
    batch: int
    """Rows per call."""
    threads: int
    """torch intra-op threads used."""
    parameters: int
    """Trainable parameters of the network."""


@contextmanager
def _threads(count: int) -> Iterator[None]:
    before = torch.get_num_threads()
    torch.set_num_threads(count)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def _median_ms(fn: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1e3)
    return statistics.median(times)


def _inputs(config: QNetworkConfig, n: int, seed: int) -> tuple[torch.Tensor, ...]:
    g = torch.Generator().manual_seed(seed)
    shape = (n, config.in_channels, config.image_height, config.image_width)
    images = torch.randint(0, 256, shape, generator=g, dtype=torch.uint8)
    scalars = torch.rand(n, config.state_dim, generator=g)
    actions = torch.rand(n, config.action_dim, generator=g) * 2 - 1
    return images, scalars, actions


def bench_cem(
    samples: int = 64,
    elites: int = 6,
    iterations: int = 2,
    image_size: int = 64,
    threads: int = 2,
    repeats: int = 5,
    seed: int = 0,
) -> CEMBenchResult:
    """Time batched vs per-sample-loop CEM at batch 1 (see the module docstring)."""
    cem = CEMConfig(samples=samples, elites=elites, iterations=iterations)
    net_config = QNetworkConfig(image_height=image_size, image_width=image_size)
    with _threads(threads), torch.no_grad():
        network = QNetwork(net_config).eval()
        images, scalars, _ = _inputs(net_config, 1, seed)

        def batched() -> torch.Tensor:
            g = torch.Generator().manual_seed(seed)
            return greedy_actions(network, images, scalars, cem, g)[0]

        def loop() -> torch.Tensor:
            def score(actions: torch.Tensor) -> torch.Tensor:
                values = torch.empty(actions.shape[:2])
                for j in range(actions.shape[1]):
                    values[:, j] = network.q_logits(network.encode(images), scalars, actions[:, j])
                return values

            g = torch.Generator().manual_seed(seed)
            return cem_maximize(score, 1, cem, g)[0]

        same = torch.allclose(batched(), loop())  # also the warm-up
        batched_times, loop_times = [], []
        for _ in range(repeats):  # interleaved, so background load hits both alike
            batched_times.append(_median_ms(batched, 1))
            loop_times.append(_median_ms(loop, 1))
    b, lp = statistics.median(batched_times), statistics.median(loop_times)
    return CEMBenchResult(
        batched_ms=b,
        loop_ms=lp,
        speedup=lp / b,
        q_evaluations=samples * iterations,
        same_action=same,
        threads=threads,
        parameters=parameter_count(network),
    )


def bench_q_eval(
    batch: int = 64,
    image_size: int = 64,
    in_channels: int = 3,
    threads: int = 2,
    repeats: int = 5,
    seed: int = 0,
) -> QEvalBenchResult:
    """Time the Q-network on ``batch`` rows: full forward, cached-feature scoring, training."""
    config = QNetworkConfig(
        in_channels=in_channels, image_height=image_size, image_width=image_size
    )
    with _threads(threads):
        network = QNetwork(config)
        images, scalars, actions = _inputs(config, batch, seed)
        with torch.no_grad():
            features = network.encode(images[:1])
            many = actions.unsqueeze(0)
            forward_ms = _median_ms(lambda: network(images, scalars, actions), repeats)
            cached_ms = _median_ms(lambda: network.q_logits(features, scalars[:1], many), repeats)

        def train_step() -> None:
            network.zero_grad(set_to_none=True)
            network.q_logits(network.encode(images), scalars, actions).sum().backward()

        train_step()
        train_ms = _median_ms(train_step, repeats)
    return QEvalBenchResult(
        forward_ms=forward_ms,
        cached_ms=cached_ms,
        train_step_ms=train_ms,
        batch=batch,
        threads=threads,
        parameters=parameter_count(network),
    )
