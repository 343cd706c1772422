"""QT-Opt checkpoints: every network under its own name, through rcan.common.checkpoint.

A checkpoint folder holds ``online.safetensors``, ``target_polyak.safetensors``,
``target_lagged.safetensors``, ``optimizer.safetensors``, ``state.json`` (with the learner's
step) and ``config.json``. Saving the targets separately matters: re-deriving them from the
online network on resume would reset the delays of clipped double Q-learning.

A *snapshot* (``OUT/snapshots/grasps_NNNNNN/``) keeps the networks of one learning-curve point
(online and Polyak-averaged, no optimiser or replay: about 0.6 MB), so any evaluated point can
be evaluated again, on other episodes or with either network, after training has moved on.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rcan.common.checkpoint import (
    load_json,
    load_optimizer_tensors,
    load_tensors,
    load_weights,
    save_checkpoint,
)
from rcan.common.errors import RcanError
from rcan.qtopt.bellman import TargetNetworks
from rcan.qtopt.learner import QLearner

ONLINE, TARGET_POLYAK, TARGET_LAGGED, OPTIMIZER = (
    "online",
    "target_polyak",
    "target_lagged",
    "optimizer",
)


def save_qtopt(
    folder: str | os.PathLike[str],
    learner: QLearner,
    targets: TargetNetworks,
    state: dict[str, Any],
    config: Any,
    write_more: Callable[[Path], None] | None = None,
) -> Path:
    """Write a checkpoint atomically; ``state`` gets the learner's ``steps`` added;
    ``write_more`` as in :func:`rcan.common.checkpoint.save_checkpoint`."""
    return save_checkpoint(
        folder,
        {ONLINE: learner.network, TARGET_POLYAK: targets.polyak, TARGET_LAGGED: targets.lagged},
        {OPTIMIZER: learner.optimizer},
        {**state, "learner_steps": learner.steps},
        config,
        write_more,
    )


def snapshot_folder(out: str | os.PathLike[str], grasps: int) -> Path:
    """Where the snapshot of run ``out`` at ``grasps`` grasps lives."""
    return Path(out) / "snapshots" / f"grasps_{grasps:06d}"


def snapshot_grasps(folder: Path) -> int:
    """The grasp count in a snapshot folder's name, ``grasps_032000`` -> 32000."""
    prefix, _, count = folder.name.partition("_")
    if prefix != "grasps" or not count.isdigit():
        raise RcanError(f"{folder} is not a snapshot folder (grasps_N)")
    return int(count)


def snapshot_folders(out: str | os.PathLike[str], first_grasps: int = 0) -> list[Path]:
    """The snapshots of run ``out``, oldest first, from ``first_grasps`` grasps on (empty when
    it kept none)."""
    root = Path(out) / "snapshots"
    if not root.is_dir():
        return []
    folders = sorted((f for f in root.iterdir() if f.is_dir() and not f.name.startswith(".")),
                     key=snapshot_grasps)
    return [f for f in folders if snapshot_grasps(f) >= first_grasps]


def save_snapshot(out: str | os.PathLike[str], grasps: int, learner: QLearner,
                  targets: TargetNetworks, config: Any) -> Path:
    """Write the snapshot of a learning-curve point (a policy folder ``rcan evaluate`` reads;
    ``--network target_polyak`` acts with the averaged weights)."""
    return save_checkpoint(
        snapshot_folder(out, grasps),
        {ONLINE: learner.network, TARGET_POLYAK: targets.polyak},
        {},
        {"grasps": grasps, "learner_steps": learner.steps},
        config,
    )


def load_qtopt(
    folder: str | os.PathLike[str], learner: QLearner, targets: TargetNetworks
) -> dict[str, Any]:
    """Restore networks, optimiser and step in place; returns the saved ``state``."""
    for name, module in (
        (ONLINE, learner.network),
        (TARGET_POLYAK, targets.polyak),
        (TARGET_LAGGED, targets.lagged),
    ):
        load_weights(module, load_tensors(folder, name),
                     f"checkpoint {folder}: {name} does not fit the network")
    load_optimizer_tensors(learner.optimizer, load_tensors(folder, OPTIMIZER))
    state = load_json(folder, "state")
    learner.steps = int(state.get("learner_steps", 0))
    return state
