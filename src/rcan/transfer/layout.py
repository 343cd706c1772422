"""The policy folder: where weights, settings and the translator live, and nothing else.

``GraspPolicy.from_pretrained`` reads, and ``GraspPolicy.save_pretrained`` writes::

    POLICY/                    a train-policy run folder, or its checkpoint/ folder, or a
    |                          folder written by save_pretrained (self-contained)
    +- config.json             obs, network, act_cem (train-policy's own fields) and, when
    |                          saved by save_pretrained, format and the env settings
|                          that give actions their meaning (scales, close lift)
    +- online.safetensors      the Q-network's weights
    +- translator/             rcan mode only: generator.safetensors + config.json

For ``rcan`` the translator is, in this order: the one passed explicitly; a ``translator/``
folder inside POLICY (or inside the checkpoint folder); the path train-policy recorded in
config.json (``--translator``, resolved against the current folder, as training did).

Only safetensors and JSON are read. Pickle-based files (``.pt``, ``.pkl``...) can run code
when loaded, so they are never opened; a folder that holds only such files is rejected with a
message saying so.

The action scales (metres and radians per unit of action), the close lift (metres the
gripper rises with each close, for policies trained with ``EnvConfig.lift_on_close``) and
whether a held object ends the episode (``EnvConfig.end_on_hold``) are read from ``env`` in
config.json; a setting missing there takes the environment's default
(rcan.sim.env.EnvConfig).
"""

from __future__ import annotations

import contextlib
import json
import math
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rcan.common.checkpoint import load_json
from rcan.common.errors import RcanError
from rcan.common.io import atomic_folder
from rcan.qtopt.load import rcan_translator
from rcan.sim.env import EnvConfig

WEIGHTS = "online"
"""Stem of the Q-network weights file, as train-policy names its online network."""
FORMAT = "rcan-grasp-policy"
"""``format`` field of a config.json written by save_pretrained."""
PICKLE_SUFFIXES = (".pt", ".pth", ".pkl", ".pickle", ".ckpt", ".bin", ".joblib")
"""Files that need unpickling to read: never loaded."""


@dataclass(frozen=True)
class PolicyFolder:
    """Where a policy's parts are, found from the folder a user names."""

    given: Path
    """The folder as named by the user (for messages)."""
    checkpoint: Path
    """The folder holding config.json and online.safetensors."""
    config: dict[str, Any]
    """Its config.json."""

    @classmethod
    def find(cls, folder: str | os.PathLike[str]) -> PolicyFolder:
        """Locate the checkpoint inside a run folder, or take ``folder`` itself."""
        given = Path(folder)
        if not given.is_dir():
            raise RcanError(f"policy {given} is not a folder")
        checkpoint = given / "checkpoint" if (given / "checkpoint").is_dir() else given
        weights = checkpoint / f"{WEIGHTS}.safetensors"
        if not weights.is_file():
            pickles = sorted(p.name for p in checkpoint.iterdir()
                             if p.suffix.lower() in PICKLE_SUFFIXES)
            hint = (f" (found {', '.join(pickles)}: pickle files are never loaded, they can "
                    "run code; convert the weights to safetensors)" if pickles else "")
            raise RcanError(f"policy {given}: missing {weights.name}{hint}")
        return cls(given, checkpoint, load_json(checkpoint, "config"))

    @property
    def obs(self) -> str:
        """The observation mode from config.json."""
        return str(self.config.get("obs"))

    def translator(self, override: str | os.PathLike[str] | None) -> Path | None:
        """The translator folder for an rcan policy (see the module docstring), else None."""
        if self.obs != "rcan":
            if override is not None:
                raise RcanError(f"policy {self.given} has obs {self.obs!r} and uses no "
                                "translator")
            return None
        return Path(rcan_translator(self.given, self.config, override))

    def action_scales(self) -> tuple[float, float]:
        """(max_translation metres, max_rotation radians) per unit of action."""
        return self._env_positive("max_translation"), self._env_positive("max_rotation")

    def close_lift(self) -> float:
        """Metres the gripper rises with each close: ``env.lift_height`` when the policy was
        trained with ``env.lift_on_close``, else 0."""
        return self._env_positive("lift_height") if self._env_flag("lift_on_close") else 0.0

    def end_on_hold(self) -> bool:
        """Whether the policy was trained to have its episode end at a close whose lift holds
        an object (``env.end_on_hold``)."""
        return self._env_flag("end_on_hold")

    def _env_flag(self, name: str) -> bool:
        """``env.<name>``, checked to be true or false."""
        value = self._env_setting(name)
        if not isinstance(value, bool):
            raise RcanError(f"policy {self.given}: config.json env.{name} must be true or "
                            f"false, got {value!r}")
        return value

    def _env_setting(self, name: str) -> Any:
        """``env.<name>`` from config.json, or the environment's default."""
        env = self.config.get("env") or {}
        if not isinstance(env, dict):
            raise RcanError(f"policy {self.given}: config.json 'env' must be a mapping")
        return env.get(name, getattr(EnvConfig(), name))

    def _env_positive(self, name: str) -> float:
        """``env.<name>``, checked to be a positive finite number."""
        value = self._env_setting(name)
        if isinstance(value, bool) or not isinstance(value, int | float) or not (
                math.isfinite(value) and value > 0):
            raise RcanError(f"policy {self.given}: config.json env.{name} must be a "
                            f"positive number, got {value!r}")
        return float(value)


@contextlib.contextmanager
def replace_policy_folder(folder: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield an empty temporary folder beside ``folder``; on success it replaces ``folder``.

    An existing ``folder`` is only replaced if it is empty or was itself written by
    save_pretrained or ``rcan export`` (its config.json or policy.json carries a ``format``
    field): anything else might be a user's folder, which is refused rather than deleted.
    """
    final = Path(folder)
    if final.exists() and (not final.is_dir() or (any(final.iterdir()) and not _ours(final))):
        raise RcanError(f"{final} exists and is not a policy folder written by rcan; "
                        "choose another output folder")
    with atomic_folder(final) as tmp:
        yield tmp


def _ours(folder: Path) -> bool:
    for name in ("config.json", "policy.json"):
        try:
            data = json.loads((folder / name).read_text())
        except (OSError, ValueError):
            continue
        if isinstance(data, dict) and "format" in data:
            return True
    return False
