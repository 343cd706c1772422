"""Greedy action selection: CEM over a Q-network's actions, encoding each image once.

Used to act (Kalashnikov et al. 2018, QT-Opt: the robot executes the CEM argmax of Q) and by
the Bellman updater for the max in the target. CEM scores logits rather than probabilities:
the sigmoid is monotonic, so the argmax is the same and the ranking does not saturate.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from rcan.qtopt.cem import ACTION_HIGH, ACTION_LOW, DISCRETE_DIMS, CEMConfig, cem_maximize
from rcan.qtopt.ensemble import ActingQ


def cem_argmax(
    network: ActingQ,
    features: torch.Tensor,
    scalars: torch.Tensor,
    config: CEMConfig,
    generator: torch.Generator,
    action_low: Sequence[float] = ACTION_LOW,
    action_high: Sequence[float] = ACTION_HIGH,
    discrete_dims: Sequence[int] = DISCRETE_DIMS,
    max_rows: int | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """CEM argmax of Q over actions for precomputed ``network.encode`` features.

    Returns the actions (N, A) and their Q *logits* (N,). Runs without gradients.
    ``max_rows`` caps the post-merge rows (states x samples) per network call: each row holds
    a full-resolution feature map (64 KiB at the defaults), so 64 states x 64 samples need
    about 256 MiB per activation; chunking over states bounds that without changing results.
    """

    def score(actions: torch.Tensor) -> torch.Tensor:
        samples = actions.shape[1]
        if max_rows is None or actions.shape[0] * samples <= max_rows:
            return network.q_logits(features, scalars, actions)
        step = max(1, max_rows // samples)
        return torch.cat(
            [
                network.q_logits(
                    features[i : i + step], scalars[i : i + step], actions[i : i + step]
                )
                for i in range(0, actions.shape[0], step)
            ]
        )

    with torch.no_grad():
        return cem_maximize(
            score, features.shape[0], config, generator, action_low, action_high, discrete_dims
        )


def greedy_actions(
    network: ActingQ,
    images: torch.Tensor,
    scalars: torch.Tensor,
    config: CEMConfig,
    generator: torch.Generator,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Actions (N, A) maximising Q for uint8 images (N, C, H, W) and scalars (N, 2), and their
    Q values in [0, 1] (N,)."""
    with torch.no_grad():
        features = network.encode(images)
    actions, logits = cem_argmax(network, features, scalars, config, generator)
    return actions, torch.sigmoid(logits)
