"""The acting graph is the training actor's CEM, with its random draws passed in.

Fed the draws a seeded torch.Generator makes inside rcan.qtopt.cem.cem_maximize, in the same
order, it must return the training actor's greedy actions and Q bit for bit, for both a plain
and an rcan (translator in front) policy. This is what ties the exported ONNX graph to the
policy that was trained and evaluated.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
import torch

from rcan.qtopt.actor import QTOptActor
from rcan.qtopt.observation import ObservationEncoder
from rcan.transfer import GraspPolicy


def _torch_draws(policy: GraspPolicy, count: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """cem_maximize's draws: per iteration randn (N, S, continuous) then rand (N, S, discrete)."""
    gen = torch.Generator().manual_seed(seed)
    s = policy.spec
    normal = np.empty((count, s.cem_iterations, s.cem_samples, s.continuous_dims), np.float32)
    uniform = np.empty((count, s.cem_iterations, s.cem_samples, s.discrete_dims), np.float32)
    for it in range(s.cem_iterations):
        normal[:, it] = torch.randn(count, s.cem_samples, s.continuous_dims, generator=gen)
        uniform[:, it] = torch.rand(count, s.cem_samples, s.discrete_dims, generator=gen)
    return normal, uniform


@pytest.mark.parametrize("mode", ["canonical", "rcan"])
def test_same_actions_as_the_training_actor(mode: str, request: pytest.FixtureRequest,
                                            observations: Callable) -> None:
    policy: GraspPolicy = request.getfixturevalue(f"{mode}_policy")
    images, closed, height = observations(5, seed=11)
    actor = QTOptActor(policy.network, ObservationEncoder(mode, policy.translator),  # type: ignore[arg-type]
                       policy.cem, seed=4)
    expected, expected_q = actor.greedy(actor.encoder(images), closed, height)
    actions, q = policy._run(images, closed, height, *_torch_draws(policy, 5, seed=4))
    np.testing.assert_array_equal(actions, expected)
    np.testing.assert_array_equal(q, expected_q)
