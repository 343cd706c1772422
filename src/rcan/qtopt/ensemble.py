"""Acting with the last few snapshots of one run: the mean of their Q logits.

A Q-function trained on bootstrapped targets keeps moving after its success has plateaued:
successive learning-curve points of one run differ by up to 26 points on the same episodes.
Averaged-DQN (Anschel, Baram and Shimkin 2017) averages the K previous Q estimates to cut that
variance; here the average is taken at acting time only, over the snapshots a run keeps at its
curve points (``RUN/snapshots/grasps_N``), so it costs no grasps and no training, and CEM
maximises the ensemble's mean exactly as it would one network's Q.

:class:`QEnsemble` has :class:`~rcan.qtopt.networks.QNetwork`'s acting interface (``encode`` once
per state, ``q_logits`` per action), so :class:`~rcan.qtopt.actor.QTOptActor` and
:func:`~rcan.qtopt.policy.cem_argmax` use it unchanged; acting costs K times one network's.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from rcan.qtopt.networks import QNetwork


class QEnsemble(nn.Module):
    """Q logits averaged over member networks of one architecture (Averaged-DQN at acting)."""

    def __init__(self, members: Sequence[QNetwork], sources: Sequence[str] = ()) -> None:
        """``sources`` optionally names where each member came from (kept for reports)."""
        super().__init__()
        if not members:
            raise ValueError("an ensemble needs at least one network")
        first = members[0].config
        for member in members[1:]:
            if member.config != first:
                raise ValueError("ensemble members must share one network config")
        if sources and len(sources) != len(members):
            raise ValueError(f"{len(sources)} sources for {len(members)} ensemble members")
        self.members = nn.ModuleList(members)
        self.sources = tuple(sources)
        self.config = first

    def encode(self, images: torch.Tensor) -> torch.Tensor:
        """Every member's features, concatenated along channels: (N, K * C, H', W'). One tensor
        (not a list) so callers may slice states along dim 0, as they do one network's."""
        return torch.cat([member.encode(images) for member in self.members], dim=1)

    def q_logits(
        self, features: torch.Tensor, scalars: torch.Tensor, actions: torch.Tensor
    ) -> torch.Tensor:
        """Mean of the members' logits for :meth:`encode`'s features (shapes as QNetwork's)."""
        chunks = features.chunk(len(self.members), dim=1)
        return torch.stack(
            [m.q_logits(f, scalars, actions) for m, f in zip(self.members, chunks, strict=True)]
        ).mean(dim=0)

    def forward(
        self, images: torch.Tensor, scalars: torch.Tensor, actions: torch.Tensor
    ) -> torch.Tensor:
        """Q in [0, 1]: sigmoid of the mean logit."""
        return torch.sigmoid(self.q_logits(self.encode(images), scalars, actions))


#: What an actor may maximise with CEM: one Q-network, or the mean of several.
ActingQ = QNetwork | QEnsemble
