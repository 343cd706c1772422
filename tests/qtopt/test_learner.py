"""The learner's log loss falls on a fixed batch; checkpoints round-trip every network."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from rcan.common.errors import RcanError
from rcan.qtopt.batch import QBatch
from rcan.qtopt.bellman import TargetNetworks
from rcan.qtopt.checkpoint import load_qtopt, save_qtopt
from rcan.qtopt.learner import LearnerConfig, QLearner
from rcan.qtopt.networks import QNetwork, QNetworkConfig

SMALL = QNetworkConfig(channels=8, hidden=16)


def fixed_batch(n: int = 16, seed: int = 0) -> tuple[QBatch, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    images = torch.randint(0, 256, (n, 3, 64, 64), generator=g, dtype=torch.uint8)
    batch = QBatch(
        images=images,
        scalars=torch.rand(n, 2, generator=g),
        actions=torch.rand(n, 7, generator=g).round(),
        rewards=torch.zeros(n),
        next_images=images,
        next_scalars=torch.rand(n, 2, generator=g),
        dones=torch.zeros(n),
    )
    return batch, torch.rand(n, generator=g)


def test_loss_falls_on_a_fixed_batch() -> None:
    torch.manual_seed(0)
    learner = QLearner(QNetwork(SMALL), LearnerConfig(lr=3e-3))
    batch, targets = fixed_batch()
    # the log loss is bounded below by the targets' entropy, reached where Q == target
    entropy = float(torch.nn.functional.binary_cross_entropy(targets, targets))
    excess = [learner.update(batch, targets)["loss"] - entropy for _ in range(40)]
    assert min(excess) >= -1e-5
    assert excess[-1] < 0.5 * excess[0]
    assert learner.steps == 40


def test_learning_rate_decays_along_a_half_cosine_and_resumes_from_the_step() -> None:
    config = LearnerConfig(lr=1e-4, lr_decay_steps=100, lr_end=1e-5)
    assert config.lr_at(0) == 1e-4
    assert abs(config.lr_at(50) - 5.5e-5) < 1e-12  # halfway: the mean of the two
    assert config.lr_at(100) == config.lr_at(10_000) == 1e-5
    assert LearnerConfig(lr=1e-4).lr_at(10_000) == 1e-4  # no decay by default
    learner = QLearner(QNetwork(SMALL), config)
    learner.steps = 50  # as restored from a checkpoint
    batch, targets = fixed_batch()
    assert abs(learner.update(batch, targets)["lr"] - 5.5e-5) < 1e-12
    with pytest.raises(RcanError, match="lr_end"):
        LearnerConfig(lr=1e-4, lr_decay_steps=10, lr_end=1e-3)
    LearnerConfig(lr=1e-6)  # a small constant rate needs no lr_end below it


def test_checkpoint_round_trip_restores_every_network(tmp_path: Path) -> None:
    torch.manual_seed(1)
    learner = QLearner(QNetwork(SMALL), LearnerConfig(lr=1e-3))
    targets = TargetNetworks(learner.network)
    batch, y = fixed_batch()
    for step in range(1, 4):
        learner.update(batch, y)
        targets.polyak_update(learner.network)
        targets.maybe_lag_update(learner.network, step * 500)  # copies at 1000 only
    folder = save_qtopt(tmp_path / "ckpt", learner, targets, {"env_steps": 7}, SMALL)
    assert sorted(p.name for p in folder.iterdir()) == [
        "config.json",
        "online.safetensors",
        "optimizer.safetensors",
        "state.json",
        "target_lagged.safetensors",
        "target_polyak.safetensors",
    ]

    torch.manual_seed(2)
    other = QLearner(QNetwork(SMALL), LearnerConfig(lr=1e-3))
    other_targets = TargetNetworks(other.network)
    state = load_qtopt(folder, other, other_targets)
    assert state["env_steps"] == 7 and other.steps == 3
    for a, b in (
        (learner.network, other.network),
        (targets.polyak, other_targets.polyak),
        (targets.lagged, other_targets.lagged),
    ):
        for (name, x), y_ in zip(a.state_dict().items(), b.state_dict().values(), strict=True):
            assert torch.equal(x, y_), name
    # the three networks differ from each other, so names were not mixed up
    first = "image_stack.0.weight"
    w = [m.state_dict()[first] for m in (learner.network, targets.polyak, targets.lagged)]
    assert not torch.equal(w[0], w[1]) and not torch.equal(w[1], w[2])
    # optimiser state restored: the next step is identical
    assert learner.update(batch, y) == other.update(batch, y)
