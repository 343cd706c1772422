"""Checking what a robot's control loop hands the policy, with one-line errors.

A real robot's drivers produce images and readings in many conventions (float images in
[0, 1], BGRA frames, millimetres, NaN from a lost joint reading). Each would make the
networks produce confident nonsense rather than fail, so every input is checked here and
rejected with a message naming the input, what was expected and what came.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from rcan.common.errors import RcanError

#: Heights outside this range (metres above the tray bottom) are not plausible readings; they
#: are the bounds of the environment's observation space (rcan.sim.env).
HEIGHT_RANGE = (-0.5, 1.0)


def check_images(rgb: Any, size: tuple[int, int], batched: bool) -> np.ndarray:
    """uint8 (N, H, W, 3) from ``rgb`` (one (H, W, 3) image unless ``batched``)."""
    name = "rgb"
    expected = "(N, H, W, 3)" if batched else "(H, W, 3)"
    if not isinstance(rgb, np.ndarray):
        raise RcanError(f"{name} must be a numpy array of shape {expected}, got "
                        f"{type(rgb).__name__}")
    if rgb.dtype != np.uint8:
        raise RcanError(f"{name} must be uint8 RGB in 0..255, got dtype {rgb.dtype}")
    if rgb.ndim != (4 if batched else 3) or rgb.shape[-1] != 3:
        raise RcanError(f"{name} must have shape {expected} (RGB, no alpha), got {rgb.shape}")
    images = rgb if batched else rgb[None]
    if len(images) == 0:
        raise RcanError(f"{name} is an empty batch: expected at least one image")
    if tuple(images.shape[1:3]) != tuple(size):
        h, w = size
        raise RcanError(
            f"{name} is {images.shape[1]} x {images.shape[2]} but the policy expects "
            f"{h} x {w}: fit camera images with rcan.transfer.center_crop_resize(rgb, ({h}, {w}))"
        )
    # contiguous and writable (a copy only when needed: PIL's and Ray's arrays are read-only,
    # which torch.from_numpy warns about)
    return np.require(images, np.uint8, ("C", "W"))


def check_gripper_closed(value: Any, count: int, batched: bool) -> np.ndarray:
    """float32 (N,) of exact 0/1 from bools or 0/1 numbers."""
    array = _as_vector("gripper_closed", value, count, batched)
    if array.dtype == np.bool_:
        return array.astype(np.float32)
    if not np.issubdtype(array.dtype, np.number):
        raise RcanError(f"gripper_closed must be a bool or 0/1, got dtype {array.dtype}")
    bad = ~np.isin(array, (0, 1))
    if bad.any():
        index = int(np.argmax(bad))
        where = f"gripper_closed[{index}]" if batched else "gripper_closed"
        raise RcanError(f"{where} must be True/False or 0/1, got {array[index].item()!r}")
    return array.astype(np.float32)


def check_height(value: Any, count: int, batched: bool) -> np.ndarray:
    """float32 (N,) of finite metres above the tray bottom, inside HEIGHT_RANGE."""
    array = _as_vector("height", value, count, batched)
    if array.dtype == np.bool_ or not np.issubdtype(array.dtype, np.number):
        raise RcanError(f"height must be a number of metres, got dtype {array.dtype}")
    array = array.astype(np.float64)
    low, high = HEIGHT_RANGE
    bad = ~np.isfinite(array) | (array < low) | (array > high)
    if bad.any():
        index = int(np.argmax(bad))
        where = f"height[{index}]" if batched else "height"
        raise RcanError(
            f"{where} must be finite metres above the tray bottom in [{low}, {high}], "
            f"got {array[index].item()!r}"
        )
    return array.astype(np.float32)


def _as_vector(name: str, value: Any, count: int, batched: bool) -> np.ndarray:
    """``value`` as a 1-D array of ``count`` entries; a single reading may also come as a
    (1,) array, as the environment's observations hold it."""
    try:
        array = np.asarray(value)
    except (TypeError, ValueError):
        raise RcanError(f"{name} must be a number, got {type(value).__name__}") from None
    if array.dtype == object:
        raise RcanError(f"{name} must be a number, got {type(value).__name__}")
    if batched:
        if array.shape != (count,):
            raise RcanError(f"{name} must have shape ({count},), one per image, got "
                            f"{array.shape}")
        return array
    if array.size != 1:
        raise RcanError(f"{name} must be a single value, got shape {array.shape}")
    return array.reshape(1)
