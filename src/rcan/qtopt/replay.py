"""Replay buffers: a bounded numpy ring buffer, and off-policy/on-policy mixing.

QT-Opt (Kalashnikov et al. 2018) keeps off-policy data (here: the scripted exploration policy's
episodes) and on-policy data (the learned policy's) in separate buffers and trains on a mix of
both, moving towards on-policy data as it arrives. :class:`ReplayBuffer` preallocates every
field for ``capacity`` rows, so its memory is fixed up front (:attr:`ReplayBuffer.nbytes`) and
never grows; :class:`MixedReplay` draws a scheduled fraction of each batch from each buffer.

Both save to HDF5 (no pickles) including the ring position, so a reloaded buffer overwrites
the same rows next and samples identically for the same random generator.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from rcan.common.errors import RcanError
from rcan.common.io import atomic_path

#: Fields of a transition. Images keep the environment's (H, W, C) uint8 layout; the state
#: scalars, reward and done flag are float32 of shape (N,); actions float32 (N, A).
FIELDS = (
    "image",
    "gripper_closed",
    "height",
    "action",
    "reward",
    "next_image",
    "next_gripper_closed",
    "next_height",
    "done",
)
_IMAGE_FIELDS = ("image", "next_image")
_FORMAT = "rcan-qtopt-replay-1"


def from_transition_arrays(arrays: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Transitions as the buffer stores them, from either naming.

    rcan.data.generate writes the done flag as ``terminal`` and the gripper state as uint8,
    with extra ``episode``/``step`` columns; this renames, casts and drops the extras.
    """
    if "done" in arrays and "terminal" in arrays:
        raise RcanError("transitions: give either 'done' or 'terminal', not both")
    source = dict(arrays)
    if "terminal" in source:
        source["done"] = source.pop("terminal")
    missing = [name for name in FIELDS if name not in source]
    if missing:
        raise RcanError(f"transitions: missing field(s) {missing}")
    out: dict[str, np.ndarray] = {}
    for name in FIELDS:
        value = np.asarray(source[name])
        if name in _IMAGE_FIELDS:
            if value.dtype != np.uint8:
                raise RcanError(f"transitions: {name!r} must be uint8, got {value.dtype}")
            out[name] = value
        elif name == "action":
            out[name] = value.astype(np.float32, copy=False)
        else:
            # (N,) or (N, 1) -> (N,)
            if value.ndim == 0 or value.size != value.shape[0]:
                raise RcanError(
                    f"transitions: {name!r} must hold one value per row, got shape {value.shape}"
                )
            out[name] = value.astype(np.float32, copy=False).reshape(value.shape[0])
    return out


class ReplayBuffer:
    """Fixed-capacity ring buffer of transitions (oldest rows are overwritten first)."""

    def __init__(self, capacity: int, image_shape: tuple[int, ...], action_dim: int) -> None:
        if capacity < 1:
            raise RcanError(f"replay capacity must be >= 1, got {capacity}")
        self.capacity = capacity
        self.image_shape = tuple(int(x) for x in image_shape)
        self.action_dim = action_dim
        # np.zeros: pages are only touched when written, but the bound is fixed here
        self._data: dict[str, np.ndarray] = {
            name: np.zeros((capacity, *self._row_shape(name)), self._dtype(name)) for name in FIELDS
        }
        self.position = 0
        """Row the next transition is written to."""
        self.size = 0
        """Rows holding data (== capacity once the ring has wrapped)."""

    def _row_shape(self, name: str) -> tuple[int, ...]:
        if name in _IMAGE_FIELDS:
            return self.image_shape
        return (self.action_dim,) if name == "action" else ()

    @staticmethod
    def _dtype(name: str) -> type[np.generic]:
        return np.uint8 if name in _IMAGE_FIELDS else np.float32

    def __len__(self) -> int:
        return self.size

    @property
    def nbytes(self) -> int:
        """Bytes held by the preallocated arrays (fixed by the capacity)."""
        return sum(array.nbytes for array in self._data.values())

    def add(self, transitions: Mapping[str, np.ndarray]) -> None:
        """Append a batch of transitions (any naming :func:`from_transition_arrays` accepts)."""
        rows = from_transition_arrays(transitions)
        n = rows["reward"].shape[0]
        for name, value in rows.items():
            expected = (n, *self._row_shape(name))
            if value.shape != expected:
                raise RcanError(
                    f"transitions: {name!r} has shape {value.shape}, expected {expected}"
                )
        if n == 0:
            return
        if n > self.capacity:  # only the newest rows would survive anyway
            rows = {name: value[-self.capacity :] for name, value in rows.items()}
            self.position = (self.position + n - self.capacity) % self.capacity
            n = self.capacity
        index = (self.position + np.arange(n)) % self.capacity
        for name, value in rows.items():
            self._data[name][index] = value
        self.position = (self.position + n) % self.capacity
        self.size = min(self.size + n, self.capacity)

    def sample(self, batch: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
        """``batch`` transitions drawn uniformly with replacement (fresh, writable arrays)."""
        if self.size == 0:
            raise RcanError("cannot sample from an empty replay buffer")
        index = rng.integers(0, self.size, size=batch)
        return {name: array[index] for name, array in self._data.items()}

    def arrays(self) -> dict[str, np.ndarray]:
        """Read-only views of the filled rows, in storage order."""
        out = {}
        for name, array in self._data.items():
            view = array[: self.size]
            view.flags.writeable = False
            out[name] = view
        return out

    # -- HDF5 ------------------------------------------------------------------------------
    def write_group(self, group: h5py.Group) -> None:
        """Store the filled rows and the ring state under ``group``."""
        group.attrs["format"] = _FORMAT
        group.attrs["capacity"] = self.capacity
        group.attrs["position"] = self.position
        group.attrs["size"] = self.size
        group.attrs["image_shape"] = np.asarray(self.image_shape, np.int64)
        group.attrs["action_dim"] = self.action_dim
        for name, array in self._data.items():
            # before the ring wraps, the filled rows are exactly [0, size)
            data = array[: self.size]
            if name in _IMAGE_FIELDS and self.size:
                chunks = (min(self.size, 64), *self.image_shape)
                group.create_dataset(name, data=data, chunks=chunks, compression="lzf")
            else:
                group.create_dataset(name, data=data)

    @classmethod
    def read_group(cls, group: h5py.Group, where: str) -> ReplayBuffer:
        """Inverse of :meth:`write_group`; ``where`` names the source in errors."""
        try:
            if group.attrs["format"] != _FORMAT:
                raise RcanError(f"{where}: unknown replay format {group.attrs['format']!r}")
            buffer = cls(
                int(group.attrs["capacity"]),
                tuple(int(x) for x in group.attrs["image_shape"]),
                int(group.attrs["action_dim"]),
            )
            size, position = int(group.attrs["size"]), int(group.attrs["position"])
            if not (0 <= size <= buffer.capacity and 0 <= position < buffer.capacity):
                raise RcanError(f"{where}: inconsistent ring state {position}/{size}")
            for name in FIELDS:
                data = group[name]
                if data.shape != (size, *buffer._row_shape(name)):
                    raise RcanError(f"{where}: {name!r} has shape {data.shape}")
                if size:
                    data.read_direct(buffer._data[name], dest_sel=np.s_[:size])
        except KeyError as err:
            raise RcanError(f"{where}: missing {err.args[0]!r}") from None
        buffer.size, buffer.position = size, position
        return buffer

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the buffer to an HDF5 file, atomically."""
        with atomic_path(path) as tmp, h5py.File(tmp, "w") as f:
            self.write_group(f)
        return Path(path)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> ReplayBuffer:
        """Read a buffer written by :meth:`save`."""
        with _open(path) as f:
            return cls.read_group(f, str(path))


@dataclass(frozen=True)
class MixSchedule:
    """Online (on-policy) fraction of each batch, ramped linearly with the training step."""

    start: float = 0.0
    """Online fraction at step 0."""
    end: float = 0.5
    """Online fraction from ``ramp_steps`` on."""
    ramp_steps: int = 10_000
    """Steps of the linear ramp (0: ``end`` from the start)."""

    def __post_init__(self) -> None:
        if not (0.0 <= self.start <= 1.0 and 0.0 <= self.end <= 1.0):
            raise RcanError(
                f"mix schedule: fractions must be in [0, 1], got {self.start}, {self.end}"
            )
        if self.ramp_steps < 0:
            raise RcanError(f"mix schedule: ramp_steps must be >= 0, got {self.ramp_steps}")

    def online_fraction(self, step: int) -> float:
        """Fraction of a batch to draw from the online buffer at ``step``."""
        if self.ramp_steps == 0 or step >= self.ramp_steps:
            return self.end
        return self.start + (self.end - self.start) * max(step, 0) / self.ramp_steps


class MixedReplay:
    """Off-policy and on-policy transitions, kept apart and mixed by a schedule (QT-Opt)."""

    def __init__(self, offline: ReplayBuffer, online: ReplayBuffer, schedule: MixSchedule) -> None:
        if (offline.image_shape, offline.action_dim) != (online.image_shape, online.action_dim):
            raise RcanError("mixed replay: offline and online buffers hold different shapes")
        self.offline = offline
        self.online = online
        self.schedule = schedule

    def __len__(self) -> int:
        return len(self.offline) + len(self.online)

    def split(self, batch: int, step: int) -> tuple[int, int]:
        """(offline, online) row counts of a batch at ``step``.

        ``round(batch * fraction)`` rows (halves round up) come from the online buffer; when
        one buffer is empty the other supplies the whole batch.
        """
        if len(self.online) == 0 and len(self.offline) == 0:
            raise RcanError("cannot sample from an empty replay buffer")
        if len(self.online) == 0:
            return batch, 0
        if len(self.offline) == 0:
            return 0, batch
        online = int(np.floor(batch * self.schedule.online_fraction(step) + 0.5))
        return batch - online, online

    def sample(self, batch: int, step: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
        """A batch, offline rows first, then online rows (the networks have no batch norm,
        so the order does not matter)."""
        n_offline, n_online = self.split(batch, step)
        parts = []
        if n_offline:
            parts.append(self.offline.sample(n_offline, rng))
        if n_online:
            parts.append(self.online.sample(n_online, rng))
        if len(parts) == 1:
            return parts[0]
        return {name: np.concatenate([p[name] for p in parts]) for name in FIELDS}

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Both buffers and the schedule in one HDF5 file, atomically."""
        with atomic_path(path) as tmp, h5py.File(tmp, "w") as f:
            for name, buffer in (("offline", self.offline), ("online", self.online)):
                buffer.write_group(f.create_group(name))
            f.attrs["mix_start"] = self.schedule.start
            f.attrs["mix_end"] = self.schedule.end
            f.attrs["mix_ramp_steps"] = self.schedule.ramp_steps
        return Path(path)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> MixedReplay:
        """Read what :meth:`save` wrote."""
        with _open(path) as f:
            try:
                schedule = MixSchedule(
                    float(f.attrs["mix_start"]),
                    float(f.attrs["mix_end"]),
                    int(f.attrs["mix_ramp_steps"]),
                )
                groups: dict[str, Any] = {k: f[k] for k in ("offline", "online")}
            except KeyError as err:
                raise RcanError(f"{path}: missing {err.args[0]!r}") from None
            return cls(
                ReplayBuffer.read_group(groups["offline"], f"{path}: offline"),
                ReplayBuffer.read_group(groups["online"], f"{path}: online"),
                schedule,
            )


def _open(path: str | os.PathLike[str]) -> h5py.File:
    try:
        return h5py.File(path, "r")
    except FileNotFoundError:
        raise RcanError(f"replay file {path} not found") from None
    except OSError as err:
        raise RcanError(f"replay file {path} is not readable HDF5 ({err})") from None
