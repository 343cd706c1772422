"""center_crop_resize: the centred window of the right aspect ratio, shrunk by area averaging."""

from __future__ import annotations

import numpy as np
import pytest

from rcan.common.errors import RcanError
from rcan.transfer import center_crop_resize


def test_camera_frame_to_policy_size_keeps_the_centre() -> None:
    frame = np.zeros((480, 640, 3), np.uint8)
    frame[:, :80] = (255, 0, 0)  # side bands outside the centred 480 x 480 window
    frame[:, 560:] = (0, 0, 255)
    frame[:, 80:560] = (0, 200, 0)
    out = center_crop_resize(frame, (64, 64))
    assert out.shape == (64, 64, 3) and out.dtype == np.uint8
    assert (out == (0, 200, 0)).all()


def test_area_averaging_and_aspect() -> None:
    checker = np.indices((128, 256)).sum(0) % 2 * 255  # finest possible texture
    frame = np.repeat(checker[..., None], 3, axis=2).astype(np.uint8)
    out = center_crop_resize(frame, (32, 64))  # same aspect: no crop, 4x4 -> 1
    assert out.shape == (32, 64, 3)
    assert np.abs(out.astype(int) - 127.5).max() <= 1  # averaged, not aliased


def test_explicit_crop_and_identity() -> None:
    frame = np.zeros((100, 200, 3), np.uint8)
    frame[10:74, 20:84] = 7
    np.testing.assert_array_equal(center_crop_resize(frame, (64, 64), crop=(10, 20, 64, 64)),
                                  np.full((64, 64, 3), 7, np.uint8))
    same = np.full((64, 64, 3), 3, np.uint8)
    np.testing.assert_array_equal(center_crop_resize(same, (64, 64)), same)


@pytest.mark.parametrize(
    ("rgb", "size", "crop", "message"),
    [
        (np.zeros((48, 64, 3), np.float32), (64, 64), None, "uint8"),
        (np.zeros((48, 64, 4), np.uint8), (64, 64), None, r"\(H, W, 3\)"),
        (np.zeros((48, 64, 3), np.uint8), (0, 64), None, "size must be positive"),
        (np.zeros((48, 64, 3), np.uint8), (64, 64), (0, 10, 48, 64), "does not fit"),
    ],
)
def test_bad_input_is_one_line(rgb: np.ndarray, size: tuple[int, int],
                               crop: tuple[int, int, int, int] | None, message: str) -> None:
    with pytest.raises(RcanError, match=message) as err:
        center_crop_resize(rgb, size, crop)
    assert "\n" not in str(err.value)
