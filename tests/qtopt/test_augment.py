"""Random-shift augmentation: each image is a translated copy with replicated edges."""

from __future__ import annotations

import numpy as np
import pytest

from rcan.common.errors import RcanError
from rcan.qtopt.augment import random_shift, shift_sample


def _images(n: int = 8, h: int = 12, w: int = 10, c: int = 3) -> np.ndarray:
    rng = np.random.default_rng(0)
    return rng.integers(0, 256, size=(n, h, w, c), dtype=np.uint8)


def _offset_of(original: np.ndarray, shifted: np.ndarray, pad: int) -> tuple[int, int]:
    """The (dy, dx) whose edge-padded crop of ``original`` equals ``shifted``."""
    padded = np.pad(original, ((pad, pad), (pad, pad), (0, 0)), mode="edge")
    h, w = original.shape[:2]
    found = [(top - pad, left - pad) for top in range(2 * pad + 1) for left in range(2 * pad + 1)
             if np.array_equal(padded[top:top + h, left:left + w], shifted)]
    assert found, "the shifted image is no crop of the padded original"
    return found[0]


def test_every_image_is_an_edge_padded_crop_within_pad() -> None:
    images = _images()
    out = random_shift(images, 3, np.random.default_rng(1))
    assert out.shape == images.shape and out.dtype == np.uint8
    for original, shifted in zip(images, out, strict=True):
        dy, dx = _offset_of(original, shifted, 3)
        assert abs(dy) <= 3 and abs(dx) <= 3


def test_offsets_differ_between_images_and_cover_the_range() -> None:
    images = np.repeat(_images(1), 400, axis=0)
    out = random_shift(images, 2, np.random.default_rng(2))
    offsets = {_offset_of(images[0], shifted, 2) for shifted in out}
    assert offsets == {(dy, dx) for dy in range(-2, 3) for dx in range(-2, 3)}


def test_same_seed_same_shift_and_zero_pad_is_identity() -> None:
    images = _images()
    a = random_shift(images, 4, np.random.default_rng(5))
    b = random_shift(images, 4, np.random.default_rng(5))
    np.testing.assert_array_equal(a, b)
    same = random_shift(images, 0, np.random.default_rng(5))
    np.testing.assert_array_equal(same, images)
    assert same is not images


def test_shift_sample_moves_both_images_independently_and_nothing_else() -> None:
    images = np.repeat(_images(1), 64, axis=0)
    sample = {"image": images, "next_image": images.copy(), "reward": np.arange(64.0)}
    out = shift_sample(sample, 3, np.random.default_rng(3))
    np.testing.assert_array_equal(out["reward"], sample["reward"])
    assert not np.array_equal(out["image"], out["next_image"])
    np.testing.assert_array_equal(sample["image"], images)  # the input is not modified


def test_bad_input_is_refused() -> None:
    with pytest.raises(RcanError, match="N x H x W x C"):
        random_shift(np.zeros((4, 4, 3), np.uint8), 2, np.random.default_rng(0))
    with pytest.raises(RcanError, match="pad must be >= 0"):
        random_shift(_images(), -1, np.random.default_rng(0))
