"""Checkpoints without pickles: tensors in safetensors files, everything else in JSON.

A checkpoint is a folder: ``<name>.safetensors`` per network (and per optimiser, its state
flattened to tensors), ``state.json`` (step, RNG states, free-form counters) and
``config.json``. The folder is written under a temporary name and renamed into place, so a
kill never leaves a half-written checkpoint.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file, save_file

from rcan.common.errors import RcanError
from rcan.common.io import atomic_folder, read_json, to_jsonable


def optimizer_tensors(optimizer: torch.optim.Optimizer) -> dict[str, torch.Tensor]:
    """Flatten an optimiser's per-parameter state into named tensors."""
    out: dict[str, torch.Tensor] = {}
    for index, state in optimizer.state_dict()["state"].items():
        for key, value in state.items():
            tensor = value if torch.is_tensor(value) else torch.tensor(value)
            out[f"{index}.{key}"] = tensor.detach().cpu().contiguous()
    return out


def load_optimizer_tensors(
    optimizer: torch.optim.Optimizer, tensors: dict[str, torch.Tensor]
) -> None:
    """Inverse of :func:`optimizer_tensors` (the param groups come from the live optimiser)."""
    state: dict[int, dict[str, torch.Tensor]] = {}
    for name, tensor in tensors.items():
        index, key = name.split(".", 1)
        state.setdefault(int(index), {})[key] = tensor
    full = optimizer.state_dict()
    full["state"] = state
    optimizer.load_state_dict(full)


def save_checkpoint(
    folder: str | os.PathLike[str],
    modules: dict[str, torch.nn.Module],
    optimizers: dict[str, torch.optim.Optimizer],
    state: dict[str, Any],
    config: Any,
    write_more: Callable[[Path], None] | None = None,
) -> Path:
    """Write a checkpoint folder atomically (see the module docstring). ``write_more(tmp)``
    adds further files (a replay buffer, RNG states) to the new folder before it replaces the
    old one, so a kill never leaves a checkpoint without them."""
    final = Path(folder)
    with atomic_folder(final) as tmp:
        for name, module in modules.items():
            tensors = {k: v.detach().cpu().contiguous() for k, v in module.state_dict().items()}
            save_file(tensors, str(tmp / f"{name}.safetensors"))
        for name, optimizer in optimizers.items():
            save_file(optimizer_tensors(optimizer), str(tmp / f"{name}.safetensors"))
        (tmp / "state.json").write_text(json.dumps(to_jsonable(state), indent=2) + "\n")
        (tmp / "config.json").write_text(json.dumps(to_jsonable(config), indent=2) + "\n")
        if write_more is not None:
            write_more(tmp)
    return final


def load_tensors(folder: str | os.PathLike[str], name: str) -> dict[str, torch.Tensor]:
    """The tensors of ``<folder>/<name>.safetensors`` (RcanError if missing)."""
    path = Path(folder) / f"{name}.safetensors"
    if not path.is_file():
        raise RcanError(f"checkpoint {folder}: missing {path.name}")
    return load_file(str(path))


def load_weights(module: torch.nn.Module, tensors: dict[str, torch.Tensor], where: str) -> None:
    """``module.load_state_dict(tensors)``; weights of another shape raise a one-line
    RcanError, ``where`` followed by PyTorch's first line in parentheses."""
    try:
        module.load_state_dict(tensors)
    except RuntimeError as err:
        raise RcanError(f"{where} ({str(err).splitlines()[0]})") from None


def load_json(folder: str | os.PathLike[str], name: str) -> dict[str, Any]:
    """``<folder>/<name>.json`` as a dict (RcanError if missing or malformed)."""
    path = Path(folder) / f"{name}.json"
    if not path.is_file():
        raise RcanError(f"checkpoint {folder}: missing {path.name}")
    return read_json(path)
