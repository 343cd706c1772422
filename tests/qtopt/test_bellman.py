"""Clipped double-Q targets against hand computations; Polyak and lagged target updates."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from rcan.qtopt.batch import QBatch
from rcan.qtopt.bellman import BellmanUpdater, TargetConfig, TargetNetworks
from rcan.qtopt.cem import TARGET_CEM
from rcan.qtopt.networks import QNetwork, QNetworkConfig


class FakeQ(nn.Module):
    """logit = w0 * terminate + w1 * height + w2; counts encode calls."""

    def __init__(self, w: tuple[float, float, float]) -> None:
        super().__init__()
        self.w = nn.Parameter(torch.tensor(w))
        self.encoded_rows: list[int] = []

    def encode(self, images: torch.Tensor) -> torch.Tensor:
        self.encoded_rows.append(images.shape[0])
        return images.float().mean(dim=(1, 2, 3), keepdim=True)

    def q_logits(
        self, features: torch.Tensor, scalars: torch.Tensor, actions: torch.Tensor
    ) -> torch.Tensor:
        height = scalars[:, 1] if actions.dim() == 2 else scalars[:, 1:2]
        return self.w[0] * actions[..., 6] + self.w[1] * height + self.w[2]


def sig(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def batch(heights: list[float], rewards: list[float], dones: list[float]) -> QBatch:
    n = len(heights)
    next_scalars = torch.stack([torch.zeros(n), torch.tensor(heights)], dim=1)
    return QBatch(
        images=torch.zeros(n, 3, 4, 4, dtype=torch.uint8),
        scalars=torch.zeros(n, 2),
        actions=torch.zeros(n, 7),
        rewards=torch.tensor(rewards),
        next_images=torch.zeros(n, 3, 4, 4, dtype=torch.uint8),
        next_scalars=next_scalars,
        dones=torch.tensor(dones),
    )


def test_target_matches_hand_computation() -> None:
    targets = TargetNetworks(FakeQ((2.0, 0.0, 0.0)), TargetConfig(discount=0.9))  # type: ignore[arg-type]
    # target 2 prefers terminate=0 and grows with height; it must be read at target 1's argmax
    with torch.no_grad():
        targets.lagged.w.copy_(torch.tensor([-3.0, 4.0, 1.0]))
    updater = BellmanUpdater(targets, TARGET_CEM)
    b = batch(
        heights=[0.0, 1.5, 1.5, 0.0, 1.5],
        rewards=[-0.05, 0.0, 0.95, -0.05, 0.5],
        dones=[0.0, 0.0, 1.0, 1.0, 0.0],
    )
    y = updater.label(b, torch.Generator().manual_seed(0))
    q1 = sig(2.0)  # argmax: terminate = 1
    expected = [
        -0.05 + 0.9 * min(q1, sig(-3 + 0 + 1)),  # target 2 is the min
        0.0 + 0.9 * min(q1, sig(-3 + 6 + 1)),  # target 1 is the min
        0.95,  # done: no bootstrap
        0.0,  # done, -0.05 clipped to 0
        1.0,  # 0.5 + 0.9 * 0.88 clipped to 1
    ]
    torch.testing.assert_close(y, torch.tensor(expected), rtol=0, atol=1e-6)
    # each target network encodes the next images once, all rows together
    assert targets.polyak.encoded_rows == [5] and targets.lagged.encoded_rows == [5]


def test_labels_of_a_real_network_are_seeded_and_in_range() -> None:
    torch.manual_seed(0)
    targets = TargetNetworks(QNetwork(QNetworkConfig(channels=8)))
    g = torch.Generator().manual_seed(0)
    b = batch([0.1, 0.2, 0.3], [0.0, -0.05, 1.0], [0.0, 0.0, 1.0])
    b = QBatch(**{**b.__dict__, "next_images": torch.zeros(3, 3, 64, 64, dtype=torch.uint8)})
    y1 = BellmanUpdater(targets, TARGET_CEM).label(b, g.manual_seed(1))
    y2 = BellmanUpdater(targets, TARGET_CEM).label(b, g.manual_seed(1))
    assert torch.equal(y1, y2) and bool(((y1 >= 0) & (y1 <= 1)).all())
    assert float(y1[2]) == pytest.approx(1.0)
    # chunking CEM's scoring (one state per call here) bounds memory, not the result
    chunked = BellmanUpdater(targets, TARGET_CEM, max_rows=64).label(b, g.manual_seed(1))
    torch.testing.assert_close(chunked, y1, rtol=0, atol=1e-6)


def test_polyak_update_averages_and_targets_are_frozen() -> None:
    online = FakeQ((1.0, 2.0, 3.0))
    targets = TargetNetworks(online, TargetConfig(polyak=0.9))  # type: ignore[arg-type]
    assert not any(p.requires_grad for p in targets.polyak.parameters())
    with torch.no_grad():
        online.w.copy_(torch.tensor([11.0, 2.0, -7.0]))
    targets.polyak_update(online)  # type: ignore[arg-type]
    torch.testing.assert_close(targets.polyak.w, torch.tensor([2.0, 2.0, 2.0]))
    torch.testing.assert_close(targets.lagged.w, torch.tensor([1.0, 2.0, 3.0]))
    assert online.w.tolist() == [11.0, 2.0, -7.0]


def test_lagged_target_copies_every_lag_steps_only() -> None:
    online = FakeQ((1.0, 1.0, 1.0))
    targets = TargetNetworks(online, TargetConfig(lag_steps=3))  # type: ignore[arg-type]
    with torch.no_grad():
        online.w.add_(1.0)
    assert [targets.maybe_lag_update(online, s) for s in (1, 2)] == [False, False]  # type: ignore[arg-type]
    assert targets.lagged.w.tolist() == [1.0, 1.0, 1.0]
    assert targets.maybe_lag_update(online, 3)  # type: ignore[arg-type]
    assert targets.lagged.w.tolist() == [2.0, 2.0, 2.0]
    with torch.no_grad():
        online.w.add_(1.0)
    assert targets.lagged.w.tolist() == [2.0, 2.0, 2.0]  # a copy, not the same tensor
