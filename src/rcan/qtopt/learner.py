"""The Q-learner: one gradient step of QT-Opt's log loss per labelled batch.

Kalashnikov et al. 2018 (QT-Opt) train the sigmoid Q(s, a) with the cross-entropy (log loss)
against Bellman targets in [0, 1], rather than a squared error: the loss then behaves like a
classifier's, which the paper found more stable for a success-probability-valued Q. The
targets come from outside (rcan.qtopt.bellman.BellmanUpdater), so labelling and training can
run as separate workers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from rcan.common.errors import RcanError
from rcan.qtopt.batch import QBatch
from rcan.qtopt.networks import QNetwork


@dataclass(frozen=True)
class LearnerConfig:
    """Optimisation settings of the Q-learner."""

    lr: float = 1e-4
    """Adam learning rate (QT-Opt: 1e-4)."""
    batch_size: int = 64
    """Transitions per gradient step (the trainer samples this many)."""
    grad_clip: float = 10.0
    """Clip the global gradient norm to this (0 disables); guards against rare huge steps."""
    lr_decay_steps: int = 0
    """Gradient steps over which the learning rate falls from ``lr`` to ``lr_end`` along a
    half cosine, then stays there (0: constant ``lr``). The curves of long runs peak and then
    sag as the Q-function keeps moving; a decaying step size lets it settle."""
    lr_end: float = 1e-5
    """Learning rate at the end of the decay."""

    def __post_init__(self) -> None:
        if self.lr <= 0 or self.batch_size < 1 or self.grad_clip < 0:
            raise RcanError(
                f"learner: need lr > 0, batch_size >= 1, grad_clip >= 0, got {self.lr}, "
                f"{self.batch_size}, {self.grad_clip}"
            )
        if self.lr_decay_steps < 0 or (self.lr_decay_steps and not 0 < self.lr_end <= self.lr):
            raise RcanError(f"learner: need lr_decay_steps >= 0 and 0 < lr_end <= lr, got "
                            f"{self.lr_decay_steps}, {self.lr_end} (lr {self.lr})")

    def lr_at(self, step: int) -> float:
        """The learning rate of gradient step ``step`` (counted from 0)."""
        if self.lr_decay_steps == 0:
            return self.lr
        progress = min(step / self.lr_decay_steps, 1.0)
        return self.lr_end + 0.5 * (self.lr - self.lr_end) * (1 + math.cos(math.pi * progress))


class QLearner:
    """Owns the online network and its Adam optimiser."""

    def __init__(self, network: QNetwork, config: LearnerConfig | None = None) -> None:
        self.network = network
        self.config = config if config is not None else LearnerConfig()
        self.optimizer = torch.optim.Adam(network.parameters(), lr=self.config.lr)
        self.steps = 0
        """Gradient steps taken (restored from checkpoints by the caller)."""

    def loss(self, batch: QBatch, targets: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Mean log loss of sigmoid Q(s, a) against ``targets`` (N,), and the logits (N,)."""
        net = self.network
        logits = net.q_logits(net.encode(batch.images), batch.scalars, batch.actions)
        return F.binary_cross_entropy_with_logits(logits, targets), logits

    def update(self, batch: QBatch, targets: torch.Tensor) -> dict[str, float]:
        """One gradient step; returns loss, mean Q, mean target, the gradient norm and the
        learning rate it used."""
        self.network.train()
        for group in self.optimizer.param_groups:  # from the step count: resumes exactly
            group["lr"] = self.config.lr_at(self.steps)
        loss, logits = self.loss(batch, targets.detach())
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        max_norm = self.config.grad_clip if self.config.grad_clip > 0 else float("inf")
        grad_norm = torch.nn.utils.clip_grad_norm_(self.network.parameters(), max_norm)
        self.optimizer.step()
        self.steps += 1
        return {
            "loss": float(loss.detach()),
            "q_mean": float(torch.sigmoid(logits.detach()).mean()),
            "target_mean": float(targets.mean()),
            "grad_norm": float(grad_norm),
            "lr": self.optimizer.param_groups[0]["lr"],
        }
