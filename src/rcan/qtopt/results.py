"""Publishing a train-policy run's learning curve under ``results/`` (``rcan publish-run``).

A run folder holds far more than a results folder should (replay buffers, checkpoints); this
copies what a reader needs: the curve (JSON + PNG), the config with its command, a
``metrics.json`` with the latest evaluation, the grasps it was trained on and whether the run
had reached its budget, so a partial curve is never mistaken for a finished one, and the
run's latest Q-network as a policy folder (``policy/``: ``online.safetensors`` and its
``config.json``, about 0.3 MB), so that published figures can be re-measured with ``rcan
evaluate DEST/policy`` after the run folder is gone.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

from rcan.common.errors import RcanError
from rcan.common.io import atomic_folder, read_json, write_json
from rcan.common.machine import machine_summary
from rcan.common.stats import RATE_KEYS
from rcan.qtopt.checkpoint import ONLINE
from rcan.qtopt.curve import write_curve

METRIC_KEYS = RATE_KEYS


def publish_run(run: str | os.PathLike[str], dest: str | os.PathLike[str]) -> dict[str, Any]:
    """Write ``DEST/{curve.json, curve.png, config.json, metrics.json}`` and, when RUN has a
    checkpoint, ``DEST/policy/`` from run folder RUN."""
    run, dest = Path(run), Path(dest)
    curve_path, config_path = run / "curve.json", run / "config.json"
    for path in (curve_path, config_path):
        if not path.is_file():
            raise RcanError(f"publish-run: {path} is missing (is {run} a train-policy run?)")
    curve = read_json(curve_path, list)
    if not curve:
        raise RcanError(f"publish-run: {curve_path} holds no evaluation yet")
    config = read_json(config_path)
    checkpoint = run / "checkpoint"
    state_path = checkpoint / "state.json"
    state = read_json(state_path) if state_path.is_file() else {}
    last = curve[-1]
    missing = [k for k in (*METRIC_KEYS, "grasps") if k not in last]
    if missing:
        raise RcanError(f"publish-run: the last entry of {curve_path} lacks {missing}")
    metrics = {
        **{k: last[k] for k in METRIC_KEYS},
        "grasps_trained": last["grasps"],
        "gradient_steps": last.get("gradient_steps"),
        "budget_grasps": config.get("grasps"),
        "complete": last["grasps"] >= int(config.get("grasps", 0)),
        "train_minutes": round(float(state.get("train_seconds", 0.0)) / 60, 1),
        "machine": machine_summary(),
        "command": config.get("command"),
    }
    policy_files = [checkpoint / f"{ONLINE}.safetensors", checkpoint / "config.json"]
    has_policy = policy_files[0].is_file()
    if has_policy:
        if not policy_files[1].is_file():
            raise RcanError(f"publish-run: {policy_files[1]} is missing beside the weights")
        metrics["policy_grasps"] = state.get("grasps")
    dest.mkdir(parents=True, exist_ok=True)
    if has_policy:
        with atomic_folder(dest / "policy") as folder:
            for path in policy_files:
                shutil.copy2(path, folder / path.name)
    write_curve(dest, curve)
    write_json(dest / "config.json", config)
    write_json(dest / "metrics.json", metrics)
    return metrics
