"""Fitting a real camera's picture to the policy's input size.

The policy sees small square images (64 x 64 by default) from the simulated camera; a real
camera gives e.g. 480 x 640. :meth:`GraspPolicy.act` refuses other sizes instead of resizing
silently, because *what* the image shows matters more than its size: the crop should frame
the bin the way the simulated camera does. :func:`center_crop_resize` is the documented way
to get there: crop a window with the target's aspect ratio (the largest centred one, or the
region you give), then shrink it by area averaging (PIL's BOX filter: every output pixel is
the mean of the camera pixels it covers, as a lower-resolution sensor would see them, with no
aliasing of fine texture).
"""

from __future__ import annotations

import numpy as np
from PIL import Image

from rcan.common.errors import RcanError


def center_crop_resize(
    rgb: np.ndarray,
    size: tuple[int, int],
    crop: tuple[int, int, int, int] | None = None,
) -> np.ndarray:
    """uint8 (H, W, 3) -> uint8 (size[0], size[1], 3).

    ``size`` is (height, width). ``crop`` is (top, left, height, width) in camera pixels;
    by default the largest centred window with the aspect ratio of ``size``. A ``crop`` with
    another aspect ratio is stretched to ``size``.
    """
    if not isinstance(rgb, np.ndarray) or rgb.dtype != np.uint8:
        kind = rgb.dtype if isinstance(rgb, np.ndarray) else type(rgb).__name__
        raise RcanError(f"center_crop_resize: rgb must be a uint8 numpy array, got {kind}")
    if rgb.ndim != 3 or rgb.shape[2] != 3 or min(rgb.shape[:2]) < 1:
        raise RcanError(f"center_crop_resize: rgb must have shape (H, W, 3), got {rgb.shape}")
    out_h, out_w = (int(v) for v in size)
    if out_h < 1 or out_w < 1:
        raise RcanError(f"center_crop_resize: size must be positive (height, width), got {size}")
    h, w = rgb.shape[:2]
    if crop is None:
        # the largest window of aspect out_w / out_h that fits, centred
        crop_h, crop_w = (h, round(h * out_w / out_h)) if h * out_w <= w * out_h else (
            round(w * out_h / out_w), w)
        top, left = (h - crop_h) // 2, (w - crop_w) // 2
    else:
        top, left, crop_h, crop_w = (int(v) for v in crop)
        if top < 0 or left < 0 or crop_h < 1 or crop_w < 1 or top + crop_h > h or (
                left + crop_w > w):
            raise RcanError(
                f"center_crop_resize: crop (top, left, height, width) = {crop} does not fit "
                f"inside the {h} x {w} image"
            )
    window = np.ascontiguousarray(rgb[top : top + crop_h, left : left + crop_w])
    if window.shape[:2] == (out_h, out_w):
        return window
    resized = Image.fromarray(window).resize((out_w, out_h), Image.Resampling.BOX)
    return np.array(resized, dtype=np.uint8)  # a writable copy (PIL's buffer is read-only)
