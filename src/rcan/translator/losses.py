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
    mask_iou: float = 0.0
    """Soft-Jaccard loss (1 - soft IoU per class, averaged) on the mask: optimises the IoU that
    is reported, where class-weighted cross-entropy trades precision for recall."""


def balanced_class_weights(frequencies: torch.Tensor) -> torch.Tensor:
    """1/sqrt(frequency), normalised so the pixel-weighted mean weight is 1."""
    f = frequencies.clamp_min(1e-4)
    w = f.rsqrt()
    return w / (w * f).sum()


def soft_jaccard(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """1 - soft IoU of softmax(logits) (N, C, H, W) against class ids (N, H, W), per class over
    the whole batch, averaged over the classes present in the truth (Rahman & Wang 2016)."""
    probs = logits.float().softmax(1)
    onehot = F.one_hot(target, logits.shape[1]).permute(0, 3, 1, 2).to(probs.dtype)
    dims = (0, 2, 3)
    intersection = (probs * onehot).sum(dims)
    union = probs.sum(dims) + onehot.sum(dims) - intersection
    present = onehot.sum(dims) > 0
    return 1 - (intersection[present] / union[present].clamp_min(1e-6)).mean()


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
