"""``OnnxGraspPolicy``: an exported policy run by onnxruntime, without PyTorch.

``rcan export POLICY --out DIR`` writes ``DIR/policy.onnx`` (the acting graph: translator if
any, Q-network and CEM, with CEM's random numbers as inputs; see rcan.transfer.acting_graph)
and ``DIR/policy.json`` (the acting spec: image size, action scales, close lift, CEM sizes; plus the
export's own parity check). This class reads both and acts like :class:`GraspPolicy`: same
``act`` / ``act_batch`` signature, same input checks, and the same actions for the same seed,
because both draw CEM's random numbers with numpy in rcan.transfer.runtime. It imports neither
torch nor onnx, so a robot computer needs only numpy, pillow and onnxruntime.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from rcan.common.errors import RcanError
from rcan.transfer.runtime import ActingSpec, PolicyRuntime

POLICY_ONNX = "policy.onnx"
POLICY_JSON = "policy.json"
ONNX_FORMAT = "rcan-onnx-policy"
INPUTS = ("image", "gripper_closed", "height", "cem_normal", "cem_uniform")
OUTPUTS = ("action", "q_value")


def require_onnxruntime() -> Any:
    """The onnxruntime module, or a one-line error saying how to install it."""
    try:
        import onnxruntime
    except ImportError:
        raise RcanError("onnxruntime is not installed: pip install 'rcan[export]'") from None
    return onnxruntime


class OnnxGraspPolicy(PolicyRuntime):
    """An exported grasping policy on onnxruntime's CPU provider; see the module docstring."""

    def __init__(self, model: str | os.PathLike[str], spec: ActingSpec, seed: int = 0,
                 threads: int | None = None) -> None:
        ort = require_onnxruntime()
        options = ort.SessionOptions()
        if threads is not None:
            options.intra_op_num_threads = threads
            options.inter_op_num_threads = 1
        try:
            self.session = ort.InferenceSession(str(model), options,
                                                providers=["CPUExecutionProvider"])
        except Exception as err:  # onnxruntime raises its own exception types
            raise RcanError(f"cannot load {model}: {str(err).splitlines()[0]}") from None
        names = tuple(i.name for i in self.session.get_inputs())
        if names != INPUTS:
            raise RcanError(f"{model}: expected inputs {list(INPUTS)}, got {list(names)}")
        super().__init__(spec, seed)

    @classmethod
    def from_pretrained(cls, folder: str | os.PathLike[str], seed: int = 0,
                        threads: int | None = None) -> OnnxGraspPolicy:
        """Load a folder written by ``rcan export``."""
        path = Path(folder)
        meta_path = path / POLICY_JSON
        try:
            meta = json.loads(meta_path.read_text())
        except FileNotFoundError:
            raise RcanError(f"exported policy {path}: missing {POLICY_JSON}") from None
        except json.JSONDecodeError as err:
            raise RcanError(f"exported policy {path}: {POLICY_JSON} is malformed "
                            f"({err.msg})") from None
        if not isinstance(meta, dict) or meta.get("format") != ONNX_FORMAT:
            raise RcanError(f"exported policy {path}: {POLICY_JSON} is not an rcan export "
                            f"(format {ONNX_FORMAT!r})")
        spec = ActingSpec.from_dict(meta.get("spec"), f"{meta_path}: spec")
        model = path / POLICY_ONNX
        if not model.is_file():
            raise RcanError(f"exported policy {path}: missing {POLICY_ONNX}")
        return cls(model, spec, seed, threads)

    def _run(self, images: np.ndarray, gripper_closed: np.ndarray, height: np.ndarray,
             normal: np.ndarray, uniform: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        feeds = dict(zip(INPUTS, (images, gripper_closed, height, normal, uniform), strict=True))
        actions, q = self.session.run(list(OUTPUTS), feeds)
        return actions, q
