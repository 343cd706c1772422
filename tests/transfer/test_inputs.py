"""What a control loop may hand the policy, and the one-line errors for everything else."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from rcan.common.errors import RcanError
from rcan.transfer import GraspPolicy
from rcan.transfer.inputs import check_images

IMAGE = np.zeros((64, 64, 3), np.uint8)


@pytest.mark.parametrize(
    ("rgb", "closed", "height", "message"),
    [
        ([[0, 0, 0]], 0, 0.1, "rgb must be a numpy array"),
        (IMAGE.astype(np.float32) / 255, 0, 0.1, "rgb must be uint8 RGB in 0..255, got dtype "
                                                  "float32"),
        (np.zeros((64, 64, 4), np.uint8), 0, 0.1, r"shape \(H, W, 3\) \(RGB, no alpha\)"),
        (np.zeros((64, 64), np.uint8), 0, 0.1, r"shape \(H, W, 3\)"),
        (np.zeros((480, 640, 3), np.uint8), 0, 0.1,
         r"rgb is 480 x 640 but the policy expects 64 x 64: .*center_crop_resize"),
        (IMAGE, 0.5, 0.1, "gripper_closed must be True/False or 0/1, got 0.5"),
        (IMAGE, 2, 0.1, "gripper_closed must be True/False or 0/1"),
        (IMAGE, "closed", 0.1, "gripper_closed must be a bool or 0/1"),
        (IMAGE, [0, 1], 0.1, "gripper_closed must be a single value"),
        (IMAGE, 0, float("nan"), r"height must be finite metres .*got nan"),
        (IMAGE, 0, float("inf"), r"height must be finite metres .*got inf"),
        (IMAGE, 0, 120.0, r"height must be finite metres above the tray bottom in \[-0.5, 1.0\]"),
        (IMAGE, 0, True, "height must be a number of metres"),
        (IMAGE, 0, None, "height must be a number"),
    ],
)
def test_bad_inputs(canonical_policy: GraspPolicy, rgb: Any, closed: Any, height: Any,
                    message: str) -> None:
    with pytest.raises(RcanError, match=message) as err:
        canonical_policy.act(rgb, closed, height)
    assert "\n" not in str(err.value)


def test_bad_batches(canonical_policy: GraspPolicy) -> None:
    images = np.zeros((3, 64, 64, 3), np.uint8)
    with pytest.raises(RcanError, match=r"gripper_closed must have shape \(3,\)"):
        canonical_policy.act_batch(images, [0, 1], [0.1, 0.1, 0.1])
    with pytest.raises(RcanError, match=r"height\[1\] must be finite"):
        canonical_policy.act_batch(images, [0, 1, 0], [0.1, np.nan, 0.1])
    with pytest.raises(RcanError, match=r"gripper_closed\[2\] must be True/False or 0/1"):
        canonical_policy.act_batch(images, [0, 1, 3], [0.1, 0.1, 0.1])
    with pytest.raises(RcanError, match="empty batch"):
        canonical_policy.act_batch(images[:0], [], [])
    with pytest.raises(RcanError, match=r"shape \(N, H, W, 3\)"):
        canonical_policy.act_batch(images[0], [0], [0.1])


@pytest.mark.parametrize("closed", [True, np.bool_(True), 1, 1.0, np.array([1.0], np.float32)])
def test_accepted_gripper_and_height_forms(canonical_policy: GraspPolicy, closed: Any) -> None:
    # the environment's observations hold both as float32 arrays of shape (1,)
    reference = canonical_policy.act(IMAGE, 1, 0.1, seed=0)
    assert canonical_policy.act(IMAGE, closed, np.array([0.1], np.float32), seed=0) == reference
    assert canonical_policy.act(IMAGE, closed, 0.1, seed=0) == reference


def test_read_only_images_are_copied_once() -> None:
    # PIL's and Ray's arrays are read-only; torch.from_numpy must not alias them
    image = IMAGE.copy()
    image.flags.writeable = False
    checked = check_images(image, (64, 64), batched=False)
    assert checked.flags.writeable and checked.flags.c_contiguous
    assert checked.shape == (1, 64, 64, 3)
    writable = np.zeros((2, 64, 64, 3), np.uint8)
    assert check_images(writable, (64, 64), batched=True) is writable  # no needless copy
