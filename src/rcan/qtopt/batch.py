"""A training batch as tensors: the one thing the replay, Bellman updater and learner exchange.

Replay buffers hold numpy arrays in the environment's layout (images H x W x C); the networks
want (N, C, H, W) uint8 images and a (N, 2) scalar state. :meth:`QBatch.from_arrays` does that
conversion once, copying the arrays, because arrays fetched from a distributed object store
(e.g. Ray's) are read-only and ``torch.from_numpy`` would alias them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields

import numpy as np
import torch

from rcan.qtopt.cem import DISCRETE_DIMS


def images_to_tensor(images: np.ndarray) -> torch.Tensor:
    """uint8 (N, H, W, C) numpy images as a new uint8 (N, C, H, W) tensor."""
    return torch.from_numpy(np.array(images, dtype=np.uint8)).permute(0, 3, 1, 2).contiguous()


def scalars_to_tensor(gripper_closed: np.ndarray, height: np.ndarray) -> torch.Tensor:
    """The (N, 2) float32 state scalars, in the order of networks.STATE_SCALARS."""
    g = np.asarray(gripper_closed, np.float32).reshape(-1)
    h = np.asarray(height, np.float32).reshape(-1)
    return torch.from_numpy(np.stack([g, h], axis=1))


def binarize_discrete(
    actions: torch.Tensor, discrete_dims: Sequence[int] = DISCRETE_DIMS
) -> torch.Tensor:
    """Copy of ``actions`` with the discrete dims thresholded at 0.5 to exact 0/1.

    The environment acts on ``value > 0.5`` only, so 0.7 and 1.0 are the same action; the
    Q-network sees them as CEM samples them (exact 0/1), whatever the data collector wrote.
    """
    out = actions.clone()
    dims = list(discrete_dims)
    out[..., dims] = (out[..., dims] > 0.5).to(out.dtype)
    return out


@dataclass(frozen=True)
class QBatch:
    """Transitions (s, a, r, s', done) as tensors, N rows."""

    images: torch.Tensor
    """uint8 (N, C, H, W) observation images."""
    scalars: torch.Tensor
    """float32 (N, 2): gripper_closed, height."""
    actions: torch.Tensor
    """float32 (N, A), discrete dims exactly 0/1."""
    rewards: torch.Tensor
    """float32 (N,)."""
    next_images: torch.Tensor
    """uint8 (N, C, H, W) images after the action."""
    next_scalars: torch.Tensor
    """float32 (N, 2) scalars after the action."""
    dones: torch.Tensor
    """float32 (N,): 1 where s' is terminal (no bootstrapping past it)."""

    def __len__(self) -> int:
        return self.rewards.shape[0]

    def to(self, device: torch.device | str) -> QBatch:
        """The same batch on ``device``."""
        return QBatch(**{f.name: getattr(self, f.name).to(device) for f in fields(self)})

    @classmethod
    def from_arrays(
        cls, arrays: Mapping[str, np.ndarray], discrete_dims: Sequence[int] = DISCRETE_DIMS
    ) -> QBatch:
        """From a replay sample (field names of rcan.qtopt.replay.FIELDS)."""
        actions = torch.from_numpy(np.array(arrays["action"], dtype=np.float32))
        return cls(
            images=images_to_tensor(arrays["image"]),
            scalars=scalars_to_tensor(arrays["gripper_closed"], arrays["height"]),
            actions=binarize_discrete(actions, discrete_dims),
            rewards=torch.from_numpy(np.array(arrays["reward"], dtype=np.float32).reshape(-1)),
            next_images=images_to_tensor(arrays["next_image"]),
            next_scalars=scalars_to_tensor(arrays["next_gripper_closed"], arrays["next_height"]),
            dones=torch.from_numpy(np.array(arrays["done"], dtype=np.float32).reshape(-1)),
        )
