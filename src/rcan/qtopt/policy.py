"""Greedy action selection: CEM over a Q-network's actions, encoding each image once.

Used to act (Kalashnikov et al. 2018, QT-Opt: the robot executes the CEM argmax of Q) and by
the Bellman updater for the max in the target. CEM scores logits rather than probabilities:
the sigmoid is monotonic, so the argmax is the same and the ranking does not saturate.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from rcan.common.errors import RcanError
from rcan.qtopt.cem import (
    ACTION_HIGH,
    ACTION_LOW,
    DISCRETE_DIMS,
    TERMINATE_DIM,
    CEMConfig,
    cem_maximize,
)
from rcan.qtopt.ensemble import ActingQ


@dataclass(frozen=True)
class Patience:
    """End an episode for success rather than for speed (an acting rule; training unchanged).

    QT-Opt's Q-function prices time: each step costs ``step_penalty`` and the future is
    discounted by ``discount`` (train-policy: 0.05 and 0.9, after QT-Opt), so the plain argmax
    ends an episode once Q(terminate) beats the *discounted* value of one more step, and
    accepts a mediocre grasp now over a better one a step later. With patience CEM ranks a
    terminating action by its Q and any other by the success it promises one step on,
    ``factor * (Q + step_penalty) / discount`` (Q = -step_penalty + discount * V(next)); the
    episode ends only when grasping now is worth at least that.
    """

    factor: float = 1.0
    """Weight on the value of going on (1: undiscounted; above 1: more patient still)."""
    discount: float = 0.9
    """Discount the Q-function was trained with (train-policy's targets.discount)."""
    step_penalty: float = 0.05
    """Per-step reward penalty it was trained with (the environment's step_penalty)."""

    def __post_init__(self) -> None:
        if not (self.factor > 0 and 0 < self.discount <= 1 and self.step_penalty >= 0):
            raise RcanError(f"patience: need factor > 0, 0 < discount <= 1, step_penalty >= 0, "
                            f"got {self.factor}, {self.discount}, {self.step_penalty}")

    def rank(self, logits: torch.Tensor, actions: torch.Tensor) -> torch.Tensor:
        """Log of each action's ranking value (terminating: Q; others: the value one step on)
        for Q logits (N, S) of actions (N, S, A)."""
        going_on = (torch.log(torch.sigmoid(logits) + self.step_penalty)
                    + math.log(self.factor / self.discount))
        return torch.where(actions[..., TERMINATE_DIM] > 0.5, F.logsigmoid(logits), going_on)


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
    patience: Patience | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """CEM argmax of Q over actions for precomputed ``network.encode`` features.

    Returns the actions (N, A) and their Q *logits* (N,). Runs without gradients.
    ``patience`` (acting only) ranks actions by :meth:`Patience.rank` instead of by Q.
    ``max_rows`` caps the post-merge rows (states x samples) per network call: each row holds
    a full-resolution feature map (64 KiB at the defaults), so 64 states x 64 samples need
    about 256 MiB per activation; chunking over states bounds that without changing results.
    """

    def score(actions: torch.Tensor) -> torch.Tensor:
        logits = q_logits(actions)
        return logits if patience is None else patience.rank(logits, actions)

    def q_logits(actions: torch.Tensor) -> torch.Tensor:
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
        best, value = cem_maximize(
            score, features.shape[0], config, generator, action_low, action_high, discrete_dims
        )
        if patience is not None:  # the rank is not Q: score the chosen actions once more
            value = q_logits(best.unsqueeze(1)).squeeze(1)
    return best, value


def greedy_actions(
    network: ActingQ,
    images: torch.Tensor,
    scalars: torch.Tensor,
    config: CEMConfig,
    generator: torch.Generator,
    patience: Patience | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Actions (N, A) maximising Q (or the :class:`Patience` rank) for uint8 images
    (N, C, H, W) and scalars (N, 2), and their Q values in [0, 1] (N,)."""
    with torch.no_grad():
        features = network.encode(images)
    actions, logits = cem_argmax(network, features, scalars, config, generator,
                                 patience=patience)
    return actions, torch.sigmoid(logits)
