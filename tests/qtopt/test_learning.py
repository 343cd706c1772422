"""The learning parts together (replay, Bellman updater, target networks, learner, CEM) solve a
two-step task exactly: values must travel back through the targets, and the greedy CEM action
must follow them.

State A (one image): moving down (dz < 0) leads to state B, anything else stays in A; each step
costs 0.05. In B, closing succeeds (reward 1 - 0.05, episode over), anything else fails. With
discount 0.9: Q(A, down) = -0.05 + 0.9 * 0.95 = 0.805 and Q(A, other) = -0.05 + 0.9 * 0.805 =
0.6745 (the best way on from A is still down), Q(B, close) = 0.95, Q(B, other) = 0.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from rcan.qtopt.batch import QBatch, scalars_to_tensor
from rcan.qtopt.bellman import BellmanUpdater, TargetConfig, TargetNetworks
from rcan.qtopt.cem import CEMConfig
from rcan.qtopt.learner import LearnerConfig, QLearner
from rcan.qtopt.networks import QNetwork, QNetworkConfig
from rcan.qtopt.policy import greedy_actions
from rcan.qtopt.replay import ReplayBuffer

SIDE = 16


def _images() -> tuple[np.ndarray, np.ndarray]:
    a = np.zeros((SIDE, SIDE, 3), np.uint8)
    b = a.copy()
    a[2:6, 2:6] = 255
    b[9:13, 9:13] = 255
    return a, b


def _replay(rng: np.random.Generator, n: int = 2000) -> ReplayBuffer:
    image_a, image_b = _images()
    actions = rng.uniform(-1, 1, (n, 7)).astype(np.float32)
    actions[:, 4:] = rng.integers(0, 2, (n, 3))
    in_a = rng.random(n) < 0.5
    to_b = in_a & (actions[:, 2] < 0)
    closes = actions[:, 4] > 0.5
    zeros, height = np.zeros(n, np.float32), np.full(n, 0.1, np.float32)
    buffer = ReplayBuffer(n, (SIDE, SIDE, 3), 7)
    buffer.add({
        "image": np.where(in_a[:, None, None, None], image_a, image_b),
        "gripper_closed": zeros,
        "height": height,
        "action": actions,
        "reward": np.where(~in_a & closes, 0.95, -0.05).astype(np.float32),
        "next_image": np.where((to_b | ~in_a)[:, None, None, None], image_b, image_a),
        "next_gripper_closed": zeros,
        "next_height": height,
        "done": (~in_a).astype(np.float32),
    })
    return buffer


@pytest.mark.parametrize("seed", [0, 1])
def test_two_step_task_is_learned(seed: int) -> None:
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    replay = _replay(rng)
    network = QNetwork(QNetworkConfig(image_height=SIDE, image_width=SIDE, channels=8,
                                      hidden=32, pre_merge_pools=0))
    learner = QLearner(network, LearnerConfig(lr=1e-3, batch_size=64))
    targets = TargetNetworks(network, TargetConfig(polyak=0.95, lag_steps=100))
    bellman = BellmanUpdater(targets, CEMConfig(samples=16, elites=4, iterations=1))
    generator = torch.Generator().manual_seed(seed)
    for _ in range(800):
        batch = QBatch.from_arrays(replay.sample(64, rng))
        learner.update(batch, bellman.label(batch, generator))
        targets.polyak_update(network)
        targets.maybe_lag_update(network, learner.steps)

    image_a, image_b = _images()
    images = torch.from_numpy(np.stack([image_a, image_b])).permute(0, 3, 1, 2)
    scalars = scalars_to_tensor(np.zeros(2), np.full(2, 0.1))
    probes = torch.tensor([[0, 0, -1, 0, 0, 0, 0], [0, 0, 1, 0, 0, 0, 0], [0, 0, 0, 0, 1, 0, 0]],
                          dtype=torch.float32)
    with torch.no_grad():
        q = torch.sigmoid(network.q_logits(network.encode(images), scalars,
                                           probes.expand(2, 3, 7))).numpy()
    down_a, up_a, close_b, stay_b = q[0, 0], q[0, 1], q[1, 2], q[1, 0]
    assert abs(close_b - 0.95) < 0.05 and stay_b < 0.05
    assert abs(down_a - 0.805) < 0.06, down_a
    assert abs(up_a - 0.6745) < 0.08, up_a
    assert down_a > up_a + 0.05

    actions, _ = greedy_actions(network.eval(), images, scalars, CEMConfig(), generator)
    assert actions[0, 2] < 0  # A: head down
    assert actions[1, 4] == 1.0  # B: close
