"""Loading a trained policy from its checkpoint folder (no pickles: safetensors + JSON)."""

from __future__ import annotations

import copy
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal, get_args

from rcan.common.checkpoint import load_json, load_tensors, load_weights
from rcan.common.config import from_dict
from rcan.common.errors import RcanError
from rcan.qtopt.actor import QTOptActor
from rcan.qtopt.bellman import TargetConfig
from rcan.qtopt.cem import CEMConfig
from rcan.qtopt.checkpoint import snapshot_folders, snapshot_grasps
from rcan.qtopt.ensemble import QEnsemble
from rcan.qtopt.networks import QNetwork, QNetworkConfig
from rcan.qtopt.observation import CHANNELS, ObservationEncoder, PerfectTranslation, run_domain
from rcan.qtopt.policy import Patience
from rcan.sim.env import EnvConfig

#: Networks a policy can act with: the learner's own, or its Polyak average (QT-Opt's target).
ActingNetwork = Literal["online", "target_polyak"]
ACTING_NETWORKS: tuple[str, ...] = get_args(ActingNetwork)
TRANSLATOR_DIR = "translator"
"""Subfolder holding the translator of a self-contained rcan policy."""


def load_actor(folder: str | os.PathLike[str], translator: str | None = None,
               seed: int = 0, network_name: ActingNetwork = "online",
               ensemble: int = 1, ensemble_until: int | None = None,
               perfect_classes: Sequence[str] | None = None) -> tuple[QTOptActor, dict]:
    """The greedy actor of a ``train-policy`` checkpoint (its ``checkpoint`` folder, the run
    folder or a snapshot), and the run's config. ``translator`` overrides the checkpoint's
    translator path; ``network_name`` picks the weights (one of ACTING_NETWORKS).

    ``ensemble`` > 1 acts with the mean Q of the run's last ``ensemble`` snapshots
    (:mod:`rcan.qtopt.ensemble`), or of the last ``ensemble`` up to ``ensemble_until`` grasps
    (the ensemble a run had at that point); ``folder`` must then be the run folder.

    ``perfect_classes`` (simulation only) makes the actor read a :class:`PerfectTranslation`
    of those classes, ``()`` for the whole image; the translator is then loaded only if some
    pixels still come from G(x)."""
    if network_name not in ACTING_NETWORKS:
        raise RcanError(f"network {network_name!r}: expected one of {', '.join(ACTING_NETWORKS)}")
    if ensemble < 1:
        raise RcanError(f"ensemble must be >= 1 (snapshots to average), got {ensemble}")
    path = Path(folder)
    if (path / "checkpoint").is_dir():
        path = path / "checkpoint"
    if not path.is_dir():
        raise RcanError(f"policy checkpoint {folder} is not a folder")
    config = load_json(path, "config")
    mode = config.get("obs")
    if mode not in CHANNELS:
        raise RcanError(f"policy checkpoint {folder}: config.json has no valid 'obs' field")
    net_config = from_dict(QNetworkConfig, config.get("network", {}), f"{path}/config.json",
                           "network")
    net_config.in_channels = CHANNELS[mode]
    if ensemble == 1 and ensemble_until is None:
        network: QNetwork | QEnsemble = _load_network(path, net_config, network_name, folder)
    else:
        members = ensemble_members(folder, ensemble, ensemble_until)
        network = QEnsemble([_load_network(m, net_config, network_name, m) for m in members],
                            sources=[str(m) for m in members])
    t = None
    if mode == "rcan" and (perfect_classes is None or perfect_classes):
        from rcan.translator import Translator

        t = Translator.from_checkpoint(rcan_translator(folder, config, translator))
    cem = from_dict(CEMConfig, config.get("act_cem", {}), f"{path}/config.json", "act_cem")
    encoder = (ObservationEncoder(mode, t) if perfect_classes is None
               else PerfectTranslation(mode, perfect_classes, t))
    return QTOptActor(network, encoder, cem, seed=seed), config


def ensemble_members(run: str | os.PathLike[str], count: int,
                     until: int | None = None) -> list[Path]:
    """The last ``count`` snapshots of a run (taken at ``until`` grasps or before, if given),
    oldest first: the members of its ensemble."""
    folders = snapshot_folders(run)
    if until is not None:
        folders = [f for f in folders if snapshot_grasps(f) <= until]
    if len(folders) < count:
        upto = f" up to {until} grasps" if until is not None else ""
        raise RcanError(f"ensemble of {count}: {Path(run) / 'snapshots'} holds "
                        f"{len(folders)} snapshots{upto} (give the run folder)")
    return folders[-count:]


def _load_network(path: Path, config: QNetworkConfig, name: str,
                  shown: str | os.PathLike[str]) -> QNetwork:
    """One Q-network of the given shape with the weights ``path/name.safetensors``."""
    network = QNetwork(config)
    load_weights(network, load_tensors(path, name),
                 f"policy checkpoint {shown}: weights do not fit")
    return network


def translator_source(folder: str | os.PathLike[str], config: dict[str, Any],
                      override: str | os.PathLike[str] | None = None) -> str | None:
    """The translator a policy reads through: :func:`rcan_translator` for an rcan policy, None
    for other observation modes (an ``override`` is then ignored)."""
    if config.get("obs") != "rcan":
        return None
    return rcan_translator(folder, config, override)


def rcan_translator(folder: str | os.PathLike[str], config: dict[str, Any],
                    override: str | os.PathLike[str] | None = None) -> str:
    """Where an rcan policy's translator is: ``override``; else a ``translator/`` folder inside
    the policy (or its checkpoint) folder, as a self-contained policy keeps it; else the path
    train-policy recorded, which must then be a folder. The one place this order is decided
    (``rcan.transfer.layout`` documents it for users)."""
    if override:
        return str(override)
    given = Path(folder)
    for place in (given, given / "checkpoint"):
        if (place / TRANSLATOR_DIR).is_dir():
            return str(place / TRANSLATOR_DIR)
    recorded = config.get("translator")
    hint = (f"pass one (--translator, or translator= in Python), or put it in "
            f"{given / TRANSLATOR_DIR}")
    if not recorded:
        raise RcanError(f"policy {folder} needs a translator: {hint}")
    if not Path(recorded).is_dir():
        raise RcanError(f"policy {folder}: its translator {recorded!r} (config.json) is not a "
                        f"folder; {hint}")
    return str(recorded)


def run_patience(config: dict[str, Any], env: EnvConfig, factor: float) -> Patience:
    """The :class:`Patience` acting rule for a policy: ``factor`` with the discount its run
    trained with (config.json; the default where it recorded none) and the step penalty of
    ``env``, the environment it acts in (:func:`saved_env_config`)."""
    targets = config.get("targets") or {}
    if not isinstance(targets, dict):
        raise RcanError("policy config.json: 'targets' must be a mapping")
    discount = targets.get("discount", TargetConfig().discount)
    return Patience(factor, float(discount), float(env.step_penalty))


def training_domain(config: dict[str, Any]) -> str:
    """The domain a policy was trained in (its config.json; runs that did not record one used
    their observation mode's default)."""
    return run_domain(config["obs"], config.get("domain"))


def saved_env_config(config: dict[str, Any], domain: str, objects: str) -> EnvConfig:
    """The environment a policy acts in (its recorded image size and action scales) with the
    given domain and object set."""
    env_data = copy.deepcopy(config.get("env") or {})
    if not isinstance(env_data, dict):
        raise RcanError("policy config.json: 'env' must be a mapping")
    env = from_dict(EnvConfig, env_data, "policy config.json", "env")
    network = config.get("network") or {}
    env.image_height = int(network.get("image_height", env.image_height))
    env.image_width = int(network.get("image_width", env.image_width))
    env.domain = domain
    env.world.objects = objects
    return env
