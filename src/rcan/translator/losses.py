"""The translator's losses, each weighted in :class:`LossWeights`.

RCAN (James et al. 2019) trains with a mean pairwise squared error on the canonical image,
losses on the mask and depth, and a GAN term, all with weight 1. We keep those defaults and
add a plain L2 on the image (weight 1): MPSE is invariant to a constant colour offset, which
only the GAN term would otherwise pin down. The mask loss is a cross-entropy over classes.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F


@dataclass
class LossWeights:
    """Weights of the generator's loss terms."""

    mpse: float = 1.0
    """Mean pairwise squared error on canonical RGB (shift-invariant, RCAN)."""
    l2: float = 1.0
    """Plain squared error on canonical RGB (pins the absolute colour)."""
    mask: float = 1.0
    """Cross-entropy of the segmentation logits."""
    depth: float = 1.0
    """Squared error of the normalised depth."""
    gan: float = 1.0
    """Non-saturating GAN term (sigmoid cross-entropy)."""
    mask_balance: bool = True
    """Weight the mask cross-entropy per class by 1/sqrt(class frequency in the training set):
    objects and gripper cover ~3% of the pixels each and are otherwise drowned by the rest."""


def balanced_class_weights(frequencies: torch.Tensor) -> torch.Tensor:
    """1/sqrt(frequency), normalised so the pixel-weighted mean weight is 1."""
    f = frequencies.clamp_min(1e-4)
    w = f.rsqrt()
    return w / (w * f).sum()


def mpse(prediction: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Mean pairwise squared error, per image: mean(d^2) - mean(d)^2 with d = pred - target."""
    d = (prediction - target).flatten(1)
    return (d.pow(2).mean(1) - d.mean(1).pow(2)).mean()


def gan_loss(logits: list[torch.Tensor], real: bool) -> torch.Tensor:
    """Sigmoid cross-entropy against all-real or all-fake labels, averaged over scales."""
    losses = [
        F.binary_cross_entropy_with_logits(x, torch.full_like(x, 1.0 if real else 0.0))
        for x in logits
    ]
    return torch.stack(losses).mean()
