"""QT-Opt checkpoints: every network under its own name, through rcan.common.checkpoint.

A checkpoint folder holds ``online.safetensors``, ``target_polyak.safetensors``,
``target_lagged.safetensors``, ``optimizer.safetensors``, ``state.json`` (with the learner's
step) and ``config.json``. Saving the targets separately matters: re-deriving them from the
online network on resume would reset the delays of clipped double Q-learning.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from rcan.common.checkpoint import (
    load_json,
    load_optimizer_tensors,
    load_tensors,
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
) -> Path:
    """Write a checkpoint atomically; ``state`` gets the learner's ``steps`` added."""
    return save_checkpoint(
        folder,
        {ONLINE: learner.network, TARGET_POLYAK: targets.polyak, TARGET_LAGGED: targets.lagged},
        {OPTIMIZER: learner.optimizer},
        {**state, "learner_steps": learner.steps},
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
        try:
            module.load_state_dict(load_tensors(folder, name))
        except RuntimeError as err:
            first = str(err).splitlines()[0]
            raise RcanError(
                f"checkpoint {folder}: {name} does not fit the network ({first})"
            ) from None
    load_optimizer_tensors(learner.optimizer, load_tensors(folder, OPTIMIZER))
    state = load_json(folder, "state")
    learner.steps = int(state.get("learner_steps", 0))
    return state
