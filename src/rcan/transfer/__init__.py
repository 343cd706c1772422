"""Stage 4, transfer: a trained policy on a real robot, in PyTorch or exported to ONNX.

* :class:`GraspPolicy` (``grasp_policy``): ``from_pretrained(folder)``, ``act(rgb,
  gripper_closed, height)`` -> :class:`GraspAction` (``action``), ``save_pretrained(folder)``.
* :func:`center_crop_resize` (``image``): a camera frame to the policy's input size.
* :class:`OnnxGraspPolicy` (``onnx_policy``): the same ``act`` on an ``rcan export`` folder,
  with onnxruntime only; ``export`` writes that folder.

Names are imported on first use, so ``import rcan.transfer`` loads neither torch nor onnx
until a class that needs them is asked for.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rcan.transfer.action import GraspAction
    from rcan.transfer.export import export_onnx
    from rcan.transfer.grasp_policy import GraspPolicy
    from rcan.transfer.image import center_crop_resize
    from rcan.transfer.onnx_policy import OnnxGraspPolicy

_HOMES = {
    "GraspAction": "rcan.transfer.action",
    "GraspPolicy": "rcan.transfer.grasp_policy",
    "OnnxGraspPolicy": "rcan.transfer.onnx_policy",
    "center_crop_resize": "rcan.transfer.image",
    "export_onnx": "rcan.transfer.export",
}

__all__ = ["GraspAction", "GraspPolicy", "OnnxGraspPolicy", "center_crop_resize", "export_onnx"]


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module 'rcan.transfer' has no attribute {name!r}")
    return getattr(importlib.import_module(_HOMES[name]), name)
