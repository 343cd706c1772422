"""``rcan export POLICY --out DIR``: the acting graph as ONNX, checked against PyTorch.

What is exported: :class:`rcan.transfer.acting_graph.ActingGraph`, i.e. everything one
action needs (the translator for ``rcan``, the Q-network, and CEM unrolled over its
iterations) as a single graph. CEM samples random numbers; rather than an ONNX random
operator (whose draws no two runtimes share), the draws are graph inputs, drawn by the caller
with numpy (rcan.transfer.runtime). Hence an exported policy is reproducible and can be
compared with the PyTorch one action for action. The batch dimension is dynamic.

Exporter: PyTorch's TorchScript-based exporter (``torch.onnx.export(..., dynamo=False)``),
opset 17. On the pinned torch (< 2.14) it traces this graph in well under a second and needs
no extra package; the newer ``dynamo=True`` exporter also handles it but needs ``onnxscript``
and takes several seconds. The graph is plain tensors with a fixed number of CEM rounds, so
tracing captures it completely; switch to ``dynamo=True`` when torch drops the old exporter.

Every export is checked before it is kept: onnxruntime and PyTorch act on a few random
observations (a batch size other than the traced one) with the same draws; the largest
differences go to ``policy.json`` and an export whose actions disagree is refused.
"""

from __future__ import annotations

import json
import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
import tyro

from rcan.common.errors import RcanError
from rcan.common.io import to_jsonable, write_json
from rcan.transfer.grasp_policy import GraspPolicy
from rcan.transfer.layout import replace_policy_folder
from rcan.transfer.onnx_policy import (
    INPUTS,
    ONNX_FORMAT,
    OUTPUTS,
    POLICY_JSON,
    POLICY_ONNX,
    OnnxGraspPolicy,
    require_onnxruntime,
)

#: Largest accepted difference between onnxruntime's and PyTorch's raw actions and Q values.
#: Both evaluate the same float32 graph on the same draws; differences come from summation
#: order only (about 1e-7 here), unless a translated pixel rounds the other way.
TOLERANCE = 1e-4


@dataclass
class ExportConfig:
    """Settings of ``rcan export``."""

    policy: tyro.conf.Positional[Path]
    """Policy folder: a train-policy run (or its checkpoint folder) or a save_pretrained
    folder."""
    out: Path
    """Output folder for policy.onnx and policy.json (replaced if it holds an earlier
    export)."""
    translator: Path | None = None
    """Override the translator of an rcan policy."""
    opset: int = 17
    """ONNX opset."""
    check_samples: int = 3
    """Random observations the export is checked on."""


def export(config: ExportConfig) -> dict[str, Any]:
    """Load the policy, export it, return what ``policy.json`` records."""
    policy = GraspPolicy.from_pretrained(config.policy, config.translator)
    export_onnx(policy, config.out, config.opset, config.check_samples)
    return {"out": str(config.out), **_read_meta(config.out)}


def export_onnx(policy: GraspPolicy, out: str | os.PathLike[str], opset: int = 17,
                check_samples: int = 3) -> Path:
    """Write ``OUT/policy.onnx`` and ``OUT/policy.json`` atomically (see the module
    docstring); raises RcanError if the exported graph does not act like ``policy``."""
    require_onnxruntime()
    try:
        import onnx
    except ImportError:
        raise RcanError("onnx is not installed: pip install 'rcan[export]'") from None
    if check_samples < 1:
        raise RcanError(f"export: check_samples must be >= 1, got {check_samples}")
    with replace_policy_folder(out) as tmp:
        model = tmp / POLICY_ONNX
        example = _observations(policy, 2, seed=1)
        with warnings.catch_warnings():
            # the TorchScript exporter announces its deprecation; see the module docstring
            warnings.simplefilter("ignore", DeprecationWarning)
            warnings.simplefilter("ignore", torch.jit.TracerWarning)
            # instance norm always normalises by the image's own statistics (no running
            # statistics), which is what the exporter's "train=True" notice is about
            warnings.filterwarnings("ignore", message=".*instance_norm.*", category=UserWarning)
            torch.onnx.export(
                policy.graph,
                tuple(torch.from_numpy(a) for a in (*example, *policy.cem_noise(2, seed=1))),
                str(model),
                dynamo=False,
                opset_version=opset,
                input_names=list(INPUTS),
                output_names=list(OUTPUTS),
                dynamic_axes={name: {0: "batch"} for name in (*INPUTS, *OUTPUTS)},
            )
        onnx.checker.check_model(str(model))
        check = _check(policy, OnnxGraspPolicy(model, policy.spec), check_samples)
        write_json(tmp / POLICY_JSON, {
            "format": ONNX_FORMAT,
            "version": 1,
            "spec": policy.spec.to_dict(),
            "act_cem": to_jsonable(policy.cem),
            "inputs": {
                "image": "uint8 (N, H, W, 3) camera RGB at spec.image_height x image_width",
                "gripper_closed": "float32 (N,) 0 or 1",
                "height": "float32 (N,) metres from the lowest fingertip to the tray bottom",
                "cem_normal": "float32 (N, cem_iterations, cem_samples, continuous_dims) "
                              "standard normal draws",
                "cem_uniform": "float32 (N, cem_iterations, cem_samples, discrete_dims) "
                               "uniform draws in [0, 1)",
            },
            "outputs": {
                "action": "float32 (N, 7) raw action of rcan/BinGrasp-v0",
                "q_value": "float32 (N,) predicted grasp success in [0, 1]",
            },
            "opset": opset,
            "exporter": f"torch {torch.__version__} torch.onnx.export(dynamo=False)",
            "check": check,
        })
    return Path(out)


def _observations(policy: GraspPolicy, count: int, seed: int
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, (count, *policy.image_size, 3), dtype=np.uint8)
    closed = rng.integers(0, 2, count).astype(np.float32)
    height = rng.uniform(0.0, 0.3, count).astype(np.float32)
    return images, closed, height


def _check(policy: GraspPolicy, exported: OnnxGraspPolicy, count: int) -> dict[str, Any]:
    observations = _observations(policy, count, seed=2)
    ours = policy.act_batch(*observations, seed=3)
    theirs = exported.act_batch(*observations, seed=3)
    action = max(float(np.abs(a.as_array() - b.as_array()).max())
                 for a, b in zip(ours, theirs, strict=True))
    q = max(abs(a.q_value - b.q_value) for a, b in zip(ours, theirs, strict=True))
    if action > TOLERANCE or q > TOLERANCE:
        raise RcanError(f"export check failed: onnxruntime differs from PyTorch by {action:.2g} "
                        f"in actions and {q:.2g} in Q on random observations")
    return {"observations": count, "max_action_difference": action, "max_q_difference": q}


def _read_meta(out: str | os.PathLike[str]) -> dict[str, Any]:
    return json.loads((Path(out) / POLICY_JSON).read_text())
