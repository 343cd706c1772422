"""``GraspPolicy``: a trained grasping policy for a robot's control loop (PyTorch, CPU).

::

    from rcan.transfer import GraspPolicy, center_crop_resize

    policy = GraspPolicy.from_pretrained("runs/policy")      # train-policy output
    while not done:
        rgb = center_crop_resize(camera.read(), policy.image_size)
        action = policy.act(rgb, gripper.closed, gripper.height_above_tray())
        robot.move_by(action.translation, action.yaw)         # metres, radians
        ...                                                   # close (then rise by
                                                              # action.lift) / open / terminate

Each ``act`` runs the trained observation pipeline (for ``rcan`` the translator first) and
QT-Opt's CEM over the Q-network, exactly as rcan.qtopt.cem does in training, with random
numbers drawn by numpy from the policy's seed (see rcan.transfer.runtime), so the same seed
gives the same actions here and in the exported ONNX policy (rcan.transfer.export).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors.torch import save_file

from rcan.common.errors import RcanError
from rcan.common.io import read_json, to_jsonable, write_json
from rcan.qtopt.cem import ACT_CEM, CEMConfig
from rcan.qtopt.load import TRANSLATOR_DIR, load_actor
from rcan.qtopt.networks import QNetwork
from rcan.qtopt.observation import CHANNELS
from rcan.transfer.acting_graph import ActingGraph
from rcan.transfer.layout import (
    FORMAT,
    WEIGHTS,
    PolicyFolder,
    replace_policy_folder,
)
from rcan.transfer.runtime import ActingSpec, PolicyRuntime
from rcan.translator.inference import Translator


class GraspPolicy(PolicyRuntime):
    """A greedy QT-Opt policy with its observation pipeline; see the module docstring.

    ``act(rgb, gripper_closed, height, seed=None)`` -> :class:`GraspAction` and
    ``act_batch`` come from :class:`rcan.transfer.runtime.PolicyRuntime`.
    """

    def __init__(
        self,
        network: QNetwork,
        obs: str,
        translator: Translator | None = None,
        cem: CEMConfig = ACT_CEM,
        max_translation: float = 0.05,
        max_rotation: float = 0.4,
        seed: int = 0,
        close_lift: float = 0.0,
        end_on_hold: bool = False,
    ) -> None:
        if obs not in CHANNELS:
            raise RcanError(f"unknown observation mode {obs!r}: expected one of {list(CHANNELS)}")
        if network.config.in_channels != CHANNELS[obs]:
            raise RcanError(f"a Q-network for obs {obs!r} needs {CHANNELS[obs]} input channels, "
                            f"got {network.config.in_channels}")
        if (obs == "rcan") != (translator is not None):
            raise RcanError("obs 'rcan' needs a translator" if obs == "rcan"
                            else f"obs {obs!r} uses no translator")
        cfg = network.config
        if translator is not None:
            smallest = 2 ** translator.generator.config.depth
            if min(cfg.image_height, cfg.image_width) < smallest:
                raise RcanError(f"the translator needs images of at least {smallest} px, the "
                                f"Q-network takes {cfg.image_height} x {cfg.image_width}")
        self.network = network.cpu().eval()
        self.translator = translator
        self.obs = obs
        self.cem = cem
        self.graph = ActingGraph(
            self.network, cem, translator.generator.cpu() if translator is not None else None)
        super().__init__(
            ActingSpec(obs, cfg.image_height, cfg.image_width, float(max_translation),
                       float(max_rotation), cem.samples, cem.iterations,
                       self.graph.continuous, self.graph.discrete, float(close_lift),
                       bool(end_on_hold)),
            seed,
        )

    @classmethod
    def from_pretrained(cls, folder: str | os.PathLike[str],
                        translator: str | os.PathLike[str] | None = None,
                        seed: int = 0) -> GraspPolicy:
        """Load a policy folder (see rcan.transfer.layout for what it holds and where the
        translator of an ``rcan`` policy is looked for). Reads safetensors and JSON only."""
        found = PolicyFolder.find(folder)
        source = found.translator(translator)
        actor, config = load_actor(found.checkpoint, str(source) if source else None)
        max_translation, max_rotation = found.action_scales()
        return cls(actor.network, config["obs"], actor.encoder.translator, actor.cem,
                   max_translation, max_rotation, seed, found.close_lift(), found.end_on_hold())

    def save_pretrained(self, folder: str | os.PathLike[str],
                        trained: Mapping[str, Any] | None = None) -> Path:
        """Write a self-contained policy folder that :meth:`from_pretrained` (and
        ``rcan evaluate --translator FOLDER/translator``) reads; atomically: a kill leaves
        the previous folder, or none, never half a folder. ``trained``: where the policy
        came from (command, grasps, success...), kept in config.json."""
        config: dict[str, Any] = {
            "format": FORMAT,
            "version": 1,
            "obs": self.obs,
            "network": to_jsonable(self.network.config),
            "act_cem": to_jsonable(self.cem),
            "env": {"max_translation": self.spec.max_translation,
                    "max_rotation": self.spec.max_rotation,
                    "lift_on_close": self.spec.close_lift > 0},
        }
        if self.spec.close_lift > 0:
            config["env"]["lift_height"] = self.spec.close_lift
            config["env"]["end_on_hold"] = self.spec.end_on_hold
        if trained is not None:
            config["trained"] = dict(trained)
        with replace_policy_folder(folder) as tmp:
            _save_module(self.network, tmp / f"{WEIGHTS}.safetensors")
            write_json(tmp / "config.json", config)
            if self.translator is not None:
                generator = self.translator.generator
                _save_module(generator, tmp / TRANSLATOR_DIR / "generator.safetensors")
                write_json(tmp / TRANSLATOR_DIR / "config.json", {"generator": generator.config})
        return Path(folder)

    @torch.no_grad()
    def _run(self, images: np.ndarray, gripper_closed: np.ndarray, height: np.ndarray,
             normal: np.ndarray, uniform: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        actions, q = self.graph(*(torch.from_numpy(a) for a in
                                  (images, gripper_closed, height, normal, uniform)))
        return actions.numpy(), q.numpy()


def run_provenance(run: str | os.PathLike[str]) -> dict[str, Any]:
    """What a train-policy run folder says about how its policy was made: the command, the
    grasps collected, and the last point of its learning curve."""
    folder = Path(run)
    out: dict[str, Any] = {"run": str(folder)}
    config = folder / "config.json"
    if config.is_file():
        out["command"] = read_json(config).get("command")
    state = folder / "checkpoint" / "state.json"
    if state.is_file():
        out["grasps"] = read_json(state).get("grasps")
    curve = folder / "curve.json"
    if curve.is_file() and (points := read_json(curve, list)):
        out["last_evaluation"] = points[-1]
    return out


def _save_module(module: torch.nn.Module, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    save_file({k: v.detach().cpu().contiguous() for k, v in module.state_dict().items()},
              str(path))
