"""Random-shift image augmentation for Q-learning from pixels.

Kostrikov et al. 2020 (DrQ) and Laskin et al. 2020 (RAD) found that padding each image by a
few pixels and cropping it back at a random offset makes image-based off-policy RL several
times more sample-efficient: the Q-network can no longer tell states apart by exact pixel
positions, so what it learns carries across nearby layouts. QT-Opt (Kalashnikov et al. 2018)
likewise trained on random crops of its camera images. A grasp depends on where the gripper is
relative to the objects, and a shift moves both together, so the label stays valid.

Augmentation is applied to replay samples before they are labelled and trained on, with the
replay's own seeded generator, so both single-process and distributed runs stay reproducible.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from rcan.common.errors import RcanError

#: Replay fields that hold images (N, H, W, C), each shifted independently, as in DrQ.
IMAGE_FIELDS = ("image", "next_image")


def random_shift(images: np.ndarray, pad: int, rng: np.random.Generator) -> np.ndarray:
    """Each of ``images`` (N, H, W, C) moved by its own offset in [-pad, pad]^2.

    Edges are replicated into the uncovered border (zeros would paint a frame the real
    camera never shows). ``pad`` 0 returns the images unchanged (a copy).
    """
    if images.ndim != 4:
        raise RcanError(f"random_shift: expected images N x H x W x C, got shape {images.shape}")
    if pad < 0:
        raise RcanError(f"random_shift: pad must be >= 0, got {pad}")
    if pad == 0:
        return images.copy()
    n, h, w, _ = images.shape
    padded = np.pad(images, ((0, 0), (pad, pad), (pad, pad), (0, 0)), mode="edge")
    top = rng.integers(0, 2 * pad + 1, size=n)
    left = rng.integers(0, 2 * pad + 1, size=n)
    rows = top[:, None] + np.arange(h)[None, :]  # (N, H)
    cols = left[:, None] + np.arange(w)[None, :]  # (N, W)
    batch = np.arange(n)[:, None, None]
    return padded[batch, rows[:, :, None], cols[:, None, :]]


def shift_sample(sample: Mapping[str, np.ndarray], pad: int, rng: np.random.Generator
                 ) -> dict[str, np.ndarray]:
    """A replay sample with its current and next images shifted (others untouched)."""
    out = dict(sample)
    if pad:
        for name in IMAGE_FIELDS:
            out[name] = random_shift(np.asarray(sample[name]), pad, rng)
    return out
