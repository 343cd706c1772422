"""What a Q-network thinks of moving: Q(s, a) over a grid of horizontal translations.

For one observation the image stack runs once and every grid action is scored against it
(rcan.qtopt.networks.QNetwork.q_logits), with the other action dimensions fixed at "go down,
keep the gripper open, do not terminate": the move a grasp approach consists of. A policy
that has learned where objects are shows high Q over them; an untrained one shows a flat or
arbitrary map, which is what makes the picture a quick sanity check of a transfer.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from rcan.common.errors import RcanError
from rcan.common.io import atomic_path
from rcan.qtopt.actor import QTOptActor
from rcan.qtopt.batch import images_to_tensor, scalars_to_tensor
from rcan.sim.env import ACTION_DIM, CLOSE, OPEN, TERMINATE

DOWN = -1.0
"""Vertical action of every grid point (full step down)."""


@dataclass
class QMap:
    """Q over a (dx, dy) grid for one observation."""

    steps: np.ndarray
    """(G,) action values in [-1, 1] along both axes."""
    q: np.ndarray
    """(G, G) Q in [0, 1], indexed [dy, dx]."""
    metres: float
    """Metres per unit of action (the policy's max_translation)."""

    @property
    def best(self) -> tuple[float, float]:
        """(dx, dy) in metres of the highest Q on the grid."""
        iy, ix = np.unravel_index(int(np.argmax(self.q)), self.q.shape)
        return float(self.steps[ix] * self.metres), float(self.steps[iy] * self.metres)


def grid_actions(size: int) -> tuple[np.ndarray, np.ndarray]:
    """The grid values (size,) and its actions (size * size, 7), row-major over dy then dx."""
    if size < 2:
        raise RcanError(f"Q map grid needs at least 2 points per axis, got {size}")
    steps = np.linspace(-1.0, 1.0, size, dtype=np.float32)
    dy, dx = np.meshgrid(steps, steps, indexing="ij")
    actions = np.zeros((size * size, ACTION_DIM), np.float32)
    actions[:, 0], actions[:, 1], actions[:, 2] = dx.ravel(), dy.ravel(), DOWN
    actions[:, CLOSE], actions[:, OPEN], actions[:, TERMINATE] = 0.0, 1.0, 0.0
    return steps, actions


@torch.no_grad()
def q_map(actor: QTOptActor, obs: dict[str, np.ndarray], size: int = 25,
          metres: float = 0.05) -> QMap:
    """Q(s, a) for the observation ``obs`` (image, gripper_closed, height) over a
    ``size`` x ``size`` grid of (dx, dy) actions."""
    steps, actions = grid_actions(size)
    features = actor.network.encode(images_to_tensor(actor.encoder.from_obs(obs)[None]))
    scalars = scalars_to_tensor(obs["gripper_closed"], obs["height"])
    logits = actor.network.q_logits(features, scalars, torch.from_numpy(actions)[None])
    q = torch.sigmoid(logits).reshape(size, size).numpy()
    return QMap(steps, q, metres)


def plot_q_maps(images: list[tuple[str, np.ndarray]], maps: list[tuple[str, QMap]],
                path: str | os.PathLike[str]) -> Path:
    """One PNG: the observation's images (camera, G(x)...) beside each policy's Q map, with
    the grid's best move marked."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = len(images) + len(maps)
    fig, axes = plt.subplots(1, panels, figsize=(2.9 * panels, 3.1), dpi=120, squeeze=False)
    for ax, (title, image) in zip(axes[0], images, strict=False):
        ax.imshow(image)
        ax.set_title(title, fontsize=9)
        ax.axis("off")
    for ax, (title, m) in zip(axes[0][len(images):], maps, strict=True):
        cm = 100 * m.metres
        low, high = float(m.q.min()), float(m.q.max())
        shown = ax.imshow(m.q, origin="lower", extent=(-cm, cm, -cm, cm), cmap="magma",
                          vmin=low, vmax=max(high, low + 1e-6))
        bx, by = m.best
        ax.plot([100 * bx], [100 * by], marker="*", color="cyan", markersize=12)
        ax.set_title(f"{title}\nQ {low:.3f} to {high:.3f}", fontsize=9)
        ax.set_xlabel("dx (cm)", fontsize=8)
        ax.set_ylabel("dy (cm)", fontsize=8)
        ax.tick_params(labelsize=7)
        fig.colorbar(shown, ax=ax, fraction=0.046, pad=0.04).ax.tick_params(labelsize=7)
    fig.suptitle("Q(s, a): dz down, gripper open, no terminate", fontsize=9)
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png")
    plt.close(fig)
    return Path(path)
