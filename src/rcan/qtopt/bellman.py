"""Target networks and the Bellman updater (clipped double Q-learning, as in QT-Opt).

Kalashnikov et al. 2018 (QT-Opt) label each transition with

    a* = argmax_a Q1'(s', a)                                   (by CEM)
    y  = r + gamma * (1 - done) * min(Q1'(s', a*), Q2'(s', a*))

where Q1' and Q2' are two delayed copies of the online network: one a Polyak average, one a
copy refreshed every few thousand steps. Taking the min of two targets is the clipped double
Q-learning of Fujimoto et al. 2018 (TD3): each copy overestimates differently, and the min
counters the upward bias that a max over noisy estimates introduces.

The updater is a pure function of the target networks, the batch and a seeded
``torch.Generator`` (the CEM noise), so it can run as its own worker in a distributed setup.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass

import torch

from rcan.common.errors import RcanError
from rcan.qtopt.batch import QBatch
from rcan.qtopt.cem import ACTION_HIGH, ACTION_LOW, DISCRETE_DIMS, CEMConfig
from rcan.qtopt.networks import QNetwork
from rcan.qtopt.policy import cem_argmax


@dataclass(frozen=True)
class TargetConfig:
    """Bellman target settings.

    QT-Opt reports a Polyak factor of 0.9999 and a lag of about 6000 steps over up to 15M
    gradient steps. A run of tens of thousands of steps would barely move such targets (0.9999
    averages over ~10k steps, and a value needs one target refresh per step of the episode to
    travel back to its start), so the defaults average over ~200 steps (TD3's 0.995) and
    re-copy every 500.
    """

    discount: float = 0.9
    """Discount gamma (QT-Opt: 0.9; episodes are at most 20 steps)."""
    polyak: float = 0.995
    """Target 1 keeps this fraction of itself per update (QT-Opt: 0.9999)."""
    lag_steps: int = 500
    """Target 2 is a copy of the online network refreshed every this many steps (QT-Opt: ~6k)."""

    def __post_init__(self) -> None:
        if not 0.0 <= self.discount <= 1.0:
            raise RcanError(f"targets: discount must be in [0, 1], got {self.discount}")
        if not 0.0 <= self.polyak <= 1.0:
            raise RcanError(f"targets: polyak must be in [0, 1], got {self.polyak}")
        if self.lag_steps < 1:
            raise RcanError(f"targets: lag_steps must be >= 1, got {self.lag_steps}")


class TargetNetworks:
    """The two delayed copies of the online network; never trained, always in eval mode."""

    def __init__(self, online: QNetwork, config: TargetConfig | None = None) -> None:
        self.config = config if config is not None else TargetConfig()
        self.polyak = self._frozen_copy(online)
        """Target 1: Polyak average of the online weights (also the CEM argmax network)."""
        self.lagged = self._frozen_copy(online)
        """Target 2: the online weights as of the last multiple of ``lag_steps``."""

    @staticmethod
    def _frozen_copy(online: QNetwork) -> QNetwork:
        net = copy.deepcopy(online).eval()
        net.requires_grad_(False)
        return net

    @torch.no_grad()
    def polyak_update(self, online: QNetwork) -> None:
        """target1 <- polyak * target1 + (1 - polyak) * online."""
        weight = 1.0 - self.config.polyak
        for target, source in zip(
            self.polyak.state_dict().values(), online.state_dict().values(), strict=True
        ):
            if target.is_floating_point():
                target.lerp_(source, weight)
            else:  # integer buffers (counters) cannot be averaged
                target.copy_(source)

    @torch.no_grad()
    def maybe_lag_update(self, online: QNetwork, step: int) -> bool:
        """Copy the online weights into target 2 when ``step`` is a multiple of ``lag_steps``.

        Stateless on purpose: the schedule depends on the step alone, so a run resumed from a
        checkpoint (which stores target 2) keeps the same schedule.
        """
        if step % self.config.lag_steps != 0:
            return False
        self.lagged.load_state_dict(online.state_dict())
        return True


class BellmanUpdater:
    """Labels transitions with clipped double-Q targets (see the module docstring)."""

    def __init__(
        self,
        targets: TargetNetworks,
        cem: CEMConfig,
        action_low: Sequence[float] = ACTION_LOW,
        action_high: Sequence[float] = ACTION_HIGH,
        discrete_dims: Sequence[int] = DISCRETE_DIMS,
        max_rows: int | None = 1024,
    ) -> None:
        """``max_rows`` bounds the memory of CEM scoring (see policy.cem_argmax; None: off)."""
        self.targets = targets
        self.max_rows = max_rows
        self.cem = cem
        self.action_low = tuple(action_low)
        self.action_high = tuple(action_high)
        self.discrete_dims = tuple(discrete_dims)

    @torch.no_grad()
    def label(self, batch: QBatch, generator: torch.Generator) -> torch.Tensor:
        """Targets (N,) in [0, 1] for ``batch`` (on the target networks' device).

        Each target network encodes every next image once; CEM then scores all its samples
        against the cached features of target 1, and the best sample's logit is reused as
        Q1'(s', a*) instead of being evaluated again.

        The result is clipped to [0, 1]: Q is a sigmoid and the loss is a log loss, which is
        only minimised inside (0, 1) for labels in [0, 1]. A step penalty can push
        ``r + gamma * Q`` below 0 (e.g. a failed final step, r = -0.05), and a label below 0
        would drive the logit to minus infinity instead of to a finite value.
        """
        q1_net, q2_net = self.targets.polyak, self.targets.lagged
        features1 = q1_net.encode(batch.next_images)
        best, logits1 = cem_argmax(
            q1_net,
            features1,
            batch.next_scalars,
            self.cem,
            generator,
            self.action_low,
            self.action_high,
            self.discrete_dims,
            self.max_rows,
        )
        logits2 = q2_net.q_logits(q2_net.encode(batch.next_images), batch.next_scalars, best)
        bootstrap = torch.minimum(torch.sigmoid(logits1), torch.sigmoid(logits2))
        discount = self.targets.config.discount
        target = batch.rewards + discount * (1.0 - batch.dones) * bootstrap
        return target.clamp(0.0, 1.0)
