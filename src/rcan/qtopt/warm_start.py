"""Starting a train-policy run from another run (``--init-from``): its networks and replay.

Joint finetuning (RCAN, Sec. 4) starts a target-domain run from a simulated one. A
``canonical`` or ``randomized`` run may also start an ``rcan`` run, whose 6-channel input
([G(x), x]) is then read with the 3-channel weights on one half and zeros on the other.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
from torch import nn

from rcan.common.checkpoint import load_json, load_tensors, load_weights
from rcan.common.errors import RcanError
from rcan.qtopt.augment import IMAGE_FIELDS
from rcan.qtopt.bellman import TargetNetworks
from rcan.qtopt.checkpoint import ONLINE, TARGET_LAGGED, TARGET_POLYAK
from rcan.qtopt.learner import QLearner
from rcan.qtopt.networks import QNetwork
from rcan.qtopt.replay import MixedReplay

if TYPE_CHECKING:
    from rcan.qtopt.train import TrainPolicyConfig


#: The raw image x in an ``rcan`` network's input (G(x) comes first).
RAW_CHANNELS = slice(3, 6)
#: Which input channels of an ``rcan`` network (G(x) then x) a 3-channel run's weights read.
WIDEN_FROM: dict[str, slice] = {"canonical": slice(0, 3), "randomized": RAW_CHANNELS}


def freeze_input_channels(network: QNetwork, channels: slice) -> None:
    """Zero the gradient of the first convolution's weights on ``channels`` from now on, so
    the optimiser never moves them (Adam's moments for them stay zero)."""
    weight = network.image_stack[0].weight
    mask = torch.ones_like(weight)
    mask[:, channels] = 0.0
    weight.register_hook(lambda grad: grad * mask)


def widen_inputs(saved: dict[str, torch.Tensor], network: nn.Module, channels: slice
                 ) -> dict[str, torch.Tensor]:
    """``saved`` weights of a 3-channel Q-network for ``network`` (6 channels): the first
    convolution reads ``channels`` with the saved kernels and the other three with zeros, so
    the widened network scores [G(x), x] exactly as the saved one scores its own image."""
    wanted = network.state_dict()
    out = {}
    for name, value in saved.items():
        target = wanted.get(name)
        if target is not None and target.shape != value.shape and value.dim() == 4 and (
                target.shape[:1] + target.shape[2:] == value.shape[:1] + value.shape[2:]):
            widened = torch.zeros_like(target)
            widened[:, channels] = value
            value = widened
        out[name] = value
    return out


def init_source(config: TrainPolicyConfig) -> tuple[Path, dict[str, Any]]:
    """The checkpoint folder and saved config of ``config.init_from``, after checking that this
    run can start from it (RcanError otherwise)."""
    assert config.init_from is not None
    source = Path(config.init_from)
    folder = source / "checkpoint" if (source / "checkpoint").is_dir() else source
    if not (folder / "replay.h5").is_file():
        raise RcanError(f"--init-from {source}: not a train-policy run (no checkpoint/replay.h5)")
    saved = load_json(folder, "config")
    widen = config.obs == "rcan" and saved.get("obs") in WIDEN_FROM
    if saved.get("obs") != config.obs and not widen:
        raise RcanError(f"--init-from {source}: trained with obs={saved.get('obs')!r}, "
                        f"this run has obs={config.obs!r}")
    if config.canonical_replay_as_rcan and saved.get("obs") != "canonical":
        raise RcanError(f"--canonical-replay-as-rcan: {source} was trained with "
                        f"obs={saved.get('obs')!r}, not 'canonical'")
    return folder, saved


def warm_start(config: TrainPolicyConfig, learner: QLearner, targets: TargetNetworks,
               replay: MixedReplay) -> None:
    """Start from ``config.init_from``: its three networks, and all its replay as off-policy
    data (the optimiser starts afresh).

    A ``canonical`` or ``randomized`` run may also start an ``rcan`` run: its weights then read
    the G(x) or the x half of the rcan input (see :func:`widen_inputs`), and its replay, whose
    images are of another kind, is left out (no bootstrap either: the warm policy collects),
    unless ``canonical_replay_as_rcan`` turns a canonical run's images into rcan inputs."""
    folder, saved = init_source(config)
    source = Path(str(config.init_from))
    widen = config.obs != saved.get("obs")
    for name, module in ((ONLINE, learner.network), (TARGET_POLYAK, targets.polyak),
                         (TARGET_LAGGED, targets.lagged)):
        tensors = load_tensors(folder, name)
        if widen:
            tensors = widen_inputs(tensors, module, WIDEN_FROM[saved["obs"]])
        load_weights(module, tensors, f"--init-from {source}: {name} does not fit this run's "
                                      "network")
    if widen and not config.canonical_replay_as_rcan:
        return
    previous = MixedReplay.load(folder / "replay.h5")
    for buffer in (previous.offline, previous.online):
        if len(buffer):
            arrays = buffer.arrays()
            replay.offline.add(canonical_as_rcan(arrays) if widen else arrays)


def canonical_as_rcan(arrays: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Replay rows of a canonical run as rows of an rcan run: each image c becomes [c, c]."""
    out = dict(arrays)
    for name in IMAGE_FIELDS:
        out[name] = np.concatenate([arrays[name], arrays[name]], axis=-1)
    return out
