"""Tests for rcan.sim.effects: each sensor effect does what it claims, and only that."""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pytest

from rcan.common.errors import RcanError
from rcan.sim.effects import ImageEffects, SampledEffects


def _textured(seed: int = 0, low: int = 60, high: int = 190) -> np.ndarray:
    """A mid-range random image: no clipping hides what an effect does."""
    rng = np.random.default_rng(seed)
    return rng.integers(low, high, size=(64, 64, 3), dtype=np.uint8)


def _flat(value: int = 128) -> np.ndarray:
    return np.full((64, 64, 3), value, dtype=np.uint8)


def _apply(effects: SampledEffects, image: np.ndarray, seed: int = 0) -> np.ndarray:
    return effects.apply(image, np.random.default_rng(seed))


def _high_frequency_energy(image: np.ndarray) -> float:
    x = image.astype(float)
    return float((np.diff(x, axis=0) ** 2).mean() + (np.diff(x, axis=1) ** 2).mean())


# ---------------------------------------------------------------- identity


def test_defaults_sample_the_identity() -> None:
    sampled = ImageEffects().sample(np.random.default_rng(0))
    assert sampled == SampledEffects()
    assert sampled.is_identity


def test_identity_returns_the_input_unchanged() -> None:
    image = _textured()
    before = image.copy()
    out = _apply(SampledEffects(), image)
    assert out is image
    assert np.array_equal(image, before)


@pytest.mark.parametrize(
    "changes",
    [
        {"noise_std": 1.0},
        {"blur_sigma": 1.0},
        {"brightness": 1.1},
        {"contrast": 0.9},
        {"white_balance": (1.0, 1.0, 0.9)},
        {"jpeg_quality": 90},
    ],
)
def test_any_setting_breaks_identity(changes: dict[str, Any]) -> None:
    assert not SampledEffects(**changes).is_identity


# ---------------------------------------------------------------- each effect


def test_brightness_above_one_raises_the_mean() -> None:
    image = _textured()
    out = _apply(SampledEffects(brightness=1.3), image)
    assert out.mean() > image.mean() * 1.2
    darker = _apply(SampledEffects(brightness=0.7), image)
    assert darker.mean() < image.mean() * 0.8


def test_contrast_below_one_lowers_the_std_keeps_the_mean() -> None:
    image = _textured()
    out = _apply(SampledEffects(contrast=0.5), image)
    assert out.std() < image.std() * 0.6
    assert abs(out.mean() - image.mean()) < 1.0
    stronger = _apply(SampledEffects(contrast=1.5), image)
    assert stronger.std() > image.std() * 1.3


def test_blur_lowers_high_frequency_energy() -> None:
    image = _textured()
    out = _apply(SampledEffects(blur_sigma=1.5), image)
    assert _high_frequency_energy(out) < 0.2 * _high_frequency_energy(image)
    assert abs(out.mean() - image.mean()) < 1.0


def test_blur_keeps_channels_apart() -> None:
    image = np.zeros((64, 64, 3), dtype=np.uint8)
    image[20:40, 20:40, 0] = 255
    out = _apply(SampledEffects(blur_sigma=2.0), image)
    assert out[:, :, 1:].max() == 0
    assert 0 < out[18, 30, 0] < 255


def test_noise_raises_the_variance_of_a_flat_image() -> None:
    image = _flat()
    out = _apply(SampledEffects(noise_std=10.0), image)
    assert image.var() == 0
    assert 70 < out.astype(float).var() < 130
    assert abs(out.mean() - 128) < 1.0


def test_noise_is_deterministic_given_the_generator() -> None:
    effects = SampledEffects(noise_std=5.0)
    image = _flat()
    assert np.array_equal(_apply(effects, image, 1), _apply(effects, image, 1))
    assert not np.array_equal(_apply(effects, image, 1), _apply(effects, image, 2))


def test_white_balance_changes_channel_ratios() -> None:
    image = _flat(100)
    out = _apply(SampledEffects(white_balance=(1.2, 1.0, 0.8)), image).astype(float)
    r, g, b = (out[:, :, c].mean() for c in range(3))
    assert r / g == pytest.approx(1.2, abs=0.01)
    assert b / g == pytest.approx(0.8, abs=0.01)


def test_jpeg_changes_pixels_of_a_noisy_image() -> None:
    image = np.random.default_rng(0).integers(0, 256, size=(64, 64, 3), dtype=np.uint8)
    out = _apply(SampledEffects(jpeg_quality=30), image)
    assert out.shape == image.shape and out.dtype == np.uint8
    assert np.abs(out.astype(int) - image).mean() > 5
    assert out.flags.writeable
    assert np.array_equal(out, _apply(SampledEffects(jpeg_quality=30), image))


def test_lower_jpeg_quality_loses_more() -> None:
    image = _textured()
    errors = [
        np.abs(_apply(SampledEffects(jpeg_quality=q), image).astype(int) - image).mean()
        for q in (10, 90)
    ]
    assert errors[0] > errors[1]


def test_results_stay_in_range_and_shape() -> None:
    image = _textured(low=0, high=256)
    effects = SampledEffects(
        noise_std=30.0,
        blur_sigma=0.8,
        brightness=1.8,
        contrast=1.5,
        white_balance=(1.3, 0.7, 1.0),
        jpeg_quality=60,
    )
    out = _apply(effects, image)
    assert out.shape == image.shape and out.dtype == np.uint8
    assert out.max() == 255 and out.min() == 0


def test_apply_rejects_wrong_images() -> None:
    with pytest.raises(RcanError, match="uint8 HxWx3"):
        _apply(SampledEffects(noise_std=1.0), np.zeros((8, 8), dtype=np.uint8))
    with pytest.raises(RcanError, match="float32"):
        _apply(SampledEffects(), np.zeros((8, 8, 3), dtype=np.float32))


def test_apply_speed() -> None:
    effects = SampledEffects(
        noise_std=5.0,
        blur_sigma=1.0,
        brightness=1.1,
        contrast=0.9,
        white_balance=(1.1, 1.0, 0.9),
        jpeg_quality=70,
    )
    image = _textured()
    rng = np.random.default_rng(0)
    effects.apply(image, rng)
    start = time.perf_counter()
    for _ in range(200):
        effects.apply(image, rng)
    assert time.perf_counter() - start < 1.0


# ---------------------------------------------------------------- sampling


FULL = ImageEffects(
    noise_std=(1.0, 5.0),
    blur_sigma=(0.5, 2.0),
    brightness=(0.8, 1.2),
    contrast=(0.7, 1.3),
    white_balance=(0.9, 1.1),
    jpeg_quality=(40, 60),
)


def test_samples_lie_inside_the_ranges() -> None:
    rng = np.random.default_rng(0)
    for _ in range(200):
        s = FULL.sample(rng)
        assert 1.0 <= s.noise_std <= 5.0
        assert 0.5 <= s.blur_sigma <= 2.0
        assert 0.8 <= s.brightness <= 1.2
        assert 0.7 <= s.contrast <= 1.3
        assert all(0.9 <= g <= 1.1 for g in s.white_balance)
        assert 40 <= s.jpeg_quality <= 60
        assert isinstance(s.jpeg_quality, int)


def test_jpeg_range_is_inclusive_and_channels_independent() -> None:
    rng = np.random.default_rng(0)
    samples = [FULL.sample(rng) for _ in range(300)]
    assert {s.jpeg_quality for s in samples} >= {40, 60}
    assert any(len(set(s.white_balance)) == 3 for s in samples)


def test_sampling_is_deterministic() -> None:
    assert FULL.sample(np.random.default_rng(5)) == FULL.sample(np.random.default_rng(5))
    assert FULL.sample(np.random.default_rng(5)) != FULL.sample(np.random.default_rng(6))


def test_fixed_range_draws_do_not_shift_the_others() -> None:
    narrowed = ImageEffects(**{**FULL.__dict__, "noise_std": (2.0, 2.0)})
    a, b = FULL.sample(np.random.default_rng(9)), narrowed.sample(np.random.default_rng(9))
    assert a.brightness == b.brightness and a.jpeg_quality == b.jpeg_quality


# ---------------------------------------------------------------- validation


@pytest.mark.parametrize(
    ("changes", "pattern"),
    [
        ({"noise_std": (5.0, 1.0)}, r"noise_std.*exceeds"),
        ({"blur_sigma": (2.0, 1.0)}, r"blur_sigma.*exceeds"),
        ({"brightness": (1.2, 0.8)}, r"brightness.*exceeds"),
        ({"contrast": (1.2, 0.8)}, r"contrast.*exceeds"),
        ({"white_balance": (1.2, 0.8)}, r"white_balance.*exceeds"),
        ({"jpeg_quality": (90, 10)}, r"jpeg_quality.*exceeds"),
        ({"noise_std": (-1.0, 1.0)}, r"noise_std.*negative"),
        ({"blur_sigma": (-0.5, 1.0)}, r"blur_sigma.*negative"),
        ({"brightness": (0.0, 1.0)}, r"brightness.*positive"),
        ({"contrast": (-1.0, 1.0)}, r"contrast.*positive"),
        ({"white_balance": (0.0, 1.0)}, r"white_balance.*positive"),
        ({"jpeg_quality": (-1, 50)}, r"jpeg_quality.*0\.\.100"),
        ({"jpeg_quality": (50, 101)}, r"jpeg_quality.*0\.\.100"),
    ],
)
def test_validate_names_the_offending_field(changes: dict[str, Any], pattern: str) -> None:
    with pytest.raises(RcanError, match=rf"domain 'x': effects\.{pattern}"):
        ImageEffects(**changes).validate("domain 'x': effects")


def test_valid_settings_pass() -> None:
    ImageEffects().validate("defaults")
    FULL.validate("full")
    ImageEffects(jpeg_quality=(0, 100)).validate("edges")


# ---------------------------------------------------------------- from_dict


def test_from_dict_reads_lists_and_scalars() -> None:
    effects = ImageEffects.from_dict(
        {
            "noise_std": [1, 5],
            "blur_sigma": (0.5, 2.0),
            "brightness": 1.1,
            "contrast": [0.7, 1.3],
            "white_balance": [0.9, 1.1],
            "jpeg_quality": [40, 60],
        },
        "effects",
    )
    assert effects == ImageEffects(
        noise_std=(1.0, 5.0),
        blur_sigma=(0.5, 2.0),
        brightness=(1.1, 1.1),
        contrast=(0.7, 1.3),
        white_balance=(0.9, 1.1),
        jpeg_quality=(40, 60),
    )
    assert ImageEffects.from_dict({"jpeg_quality": 75}, "e").jpeg_quality == (75, 75)


def test_from_dict_empty_gives_defaults() -> None:
    assert ImageEffects.from_dict({}, "effects") == ImageEffects()
    assert ImageEffects.from_dict(None, "effects") == ImageEffects()


@pytest.mark.parametrize(
    ("d", "pattern"),
    [
        ({"gamma": [1, 2]}, r"unknown field 'effects.gamma'"),
        ({"noise_std": "lots"}, r"effects\.noise_std"),
        ({"blur_sigma": [1, 2, 3]}, r"effects\.blur_sigma: expected \[low, high\]"),
        ({"brightness": [1, "x"]}, r"effects\.brightness"),
        ({"contrast": True}, r"effects\.contrast"),
        ({"white_balance": None}, r"effects\.white_balance"),
        ({"jpeg_quality": [40.5, 60]}, r"effects\.jpeg_quality.*integer"),
        ({"jpeg_quality": "high"}, r"effects\.jpeg_quality"),
    ],
)
def test_from_dict_rejects_bad_input(d: dict[str, Any], pattern: str) -> None:
    with pytest.raises(RcanError, match=pattern):
        ImageEffects.from_dict(d, "file.yaml", "effects")


def test_from_dict_rejects_non_mapping() -> None:
    with pytest.raises(RcanError, match="effects"):
        ImageEffects.from_dict([1, 2], "effects")  # type: ignore[arg-type]
