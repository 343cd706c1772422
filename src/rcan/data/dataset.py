"""PyTorch datasets over a folder of shards.

The shards are read in place, one sample at a time: nothing is loaded up front except each
shard's length and field layout, so a dataset far larger than memory trains fine. HDF5
handles cannot cross a fork, so files are opened lazily in whichever process reads them
(the training process or each DataLoader worker) and never in the constructor.
"""

from __future__ import annotations

import operator
import os
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import torch
from torch.utils.data import Dataset

from rcan.common.errors import RcanError
from rcan.data.shards import list_shards, open_shard, shard_meta

Layout = dict[str, tuple[tuple[int, ...], np.dtype[Any]]]
"""Per field: the per-sample shape (without the first axis) and the dtype."""

MAX_OPEN_SHARDS = 16
"""Shards kept open per process; bounds file handles and chunk-cache memory."""


class ShardDataset(Dataset[dict[str, Any]]):
    """All rows of all shards of one kind in ``root``, indexed globally in shard order.

    ``dataset[i]`` is a dict ``{field: numpy array}`` (a 0-d array for per-sample scalars)
    for the requested ``fields`` (all fields by default). All shards must share the kind, the
    field names and each field's per-sample shape and dtype, so batches always collate.
    """

    def __init__(
        self, root: str | os.PathLike[str], kind: str, fields: Sequence[str] | None = None
    ) -> None:
        self.root = Path(root)
        if not self.root.is_dir():
            raise RcanError(f"{self.root}: dataset folder does not exist")
        self.paths = list_shards(self.root)
        if not self.paths:
            raise RcanError(f"{self.root}: no shard-*.h5 files in the dataset folder")
        self.kind = kind
        layouts: list[Layout] = []
        lengths: list[int] = []
        for path in self.paths:
            with open_shard(path, expected_kind=kind) as f:
                if not layouts:
                    self._meta = shard_meta(f)
                layout, length = _layout(path, f)
            if layouts and layout != layouts[0]:
                raise RcanError(f"{path}: {_layout_difference(layout, layouts[0])}")
            layouts.append(layout)
            lengths.append(length)
        self.layout = layouts[0]
        available = sorted(self.layout)
        if fields is None:
            self.fields: tuple[str, ...] = tuple(available)
        else:
            missing = [name for name in fields if name not in self.layout]
            if missing:
                raise RcanError(
                    f"{self.root}: '{kind}' shards have no field(s) "
                    f"{', '.join(repr(m) for m in missing)}; available: {', '.join(available)}"
                )
            self.fields = tuple(fields)
        self.lengths = np.asarray(lengths, dtype=np.int64)
        self.offsets = np.concatenate([[0], np.cumsum(self.lengths)])
        self._owner_pid: int | None = None
        self._open: OrderedDict[int, tuple[h5py.File, dict[str, h5py.Dataset]]] = OrderedDict()

    @property
    def meta(self) -> dict[str, Any]:
        """The first shard's ``meta`` dict (domain, seed, image size...)."""
        return dict(self._meta)

    def __len__(self) -> int:
        """Total number of samples over all shards."""
        return int(self.offsets[-1])

    def locate(self, index: int) -> tuple[int, int]:
        """Map a global sample index to ``(shard number, row within that shard)``."""
        index = operator.index(index)
        total = len(self)
        if index < 0:
            index += total
        if not 0 <= index < total:
            raise IndexError(f"sample index {index} out of range for {total} samples")
        shard = int(np.searchsorted(self.offsets, index, side="right")) - 1
        return shard, index - int(self.offsets[shard])

    def __getitem__(self, index: int) -> dict[str, Any]:
        """Read one sample's requested fields from its shard."""
        shard, row = self.locate(index)
        datasets = self._datasets(shard)
        return {name: np.asarray(datasets[name][row]) for name in self.fields}

    def close(self) -> None:
        """Close the files this process opened (they reopen on the next read)."""
        if self._owner_pid == os.getpid():
            for f, _ in self._open.values():
                f.close()
        self._open = OrderedDict()

    def _datasets(self, shard: int) -> dict[str, h5py.Dataset]:
        """Open datasets of one shard for this process, reusing recently used ones."""
        pid = os.getpid()
        if self._owner_pid != pid:
            # A forked copy: handles inherited from the parent must not be used here; open anew.
            self._open = OrderedDict()
            self._owner_pid = pid
        entry = self._open.get(shard)
        if entry is None:
            f = open_shard(self.paths[shard], expected_kind=self.kind)
            entry = (f, {name: f[name] for name in self.fields})
            self._open[shard] = entry
            if len(self._open) > MAX_OPEN_SHARDS:
                _, (oldest, _) = self._open.popitem(last=False)
                oldest.close()
        else:
            self._open.move_to_end(shard)
        return entry[1]

    def __getstate__(self) -> dict[str, Any]:
        """Pickle without open files (DataLoader workers started with spawn reopen them)."""
        state = self.__dict__.copy()
        state["_open"] = OrderedDict()
        state["_owner_pid"] = None
        return state


def _layout(path: Path, f: h5py.File) -> tuple[Layout, int]:
    """Per-sample shape and dtype of every field, and the shard's row count."""
    layout: Layout = {}
    length: int | None = None
    for name in sorted(f):
        node = f[name]
        if not isinstance(node, h5py.Dataset) or node.ndim == 0:
            raise RcanError(f"{path}: '{name}' is not an array with a sample axis")
        if length is None:
            length = node.shape[0]
        elif node.shape[0] != length:
            raise RcanError(f"{path}: field '{name}' has {node.shape[0]} rows, expected {length}")
        layout[name] = (tuple(node.shape[1:]), node.dtype)
    if length is None or length == 0:
        raise RcanError(f"{path}: shard holds no samples")
    return layout, length


def _layout_difference(
    layout: Layout,
    reference: Layout,
) -> str:
    """Describe in one phrase how a shard's fields differ from the first shard's."""
    if set(layout) != set(reference):
        extra = sorted(set(layout) - set(reference))
        missing = sorted(set(reference) - set(layout))
        return f"fields differ from the first shard (extra: {extra}, missing: {missing})"
    for name in sorted(layout):
        if layout[name] != reference[name]:
            (shape, dtype), (ref_shape, ref_dtype) = layout[name], reference[name]
            return (
                f"field '{name}' is {dtype} per-sample shape {shape}, "
                f"expected {ref_dtype} {ref_shape} like the first shard"
            )
    return "layout differs from the first shard"


def _require(
    dataset: ShardDataset, expected: dict[str, tuple[tuple[int | None, ...], str]]
) -> None:
    """Check required fields exist with the expected per-sample shape (None = any size)."""
    missing = [name for name in expected if name not in dataset.layout]
    if missing:
        raise RcanError(
            f"{dataset.root}: '{dataset.kind}' shards lack required field(s) {', '.join(missing)}"
        )
    for name, (want, what) in expected.items():
        shape, _ = dataset.layout[name]
        fits = len(shape) == len(want) and all(
            w is None or w == s for w, s in zip(want, shape, strict=True)
        )
        if not fits:
            raise RcanError(
                f"{dataset.root}: field '{name}' has per-sample shape {shape}, expected {what}"
            )


def _channels_first(image: np.ndarray) -> torch.Tensor:
    """(H, W, C) uint8 -> contiguous (C, H, W) uint8 tensor, the layout conv nets take."""
    return torch.from_numpy(np.ascontiguousarray(image.transpose(2, 0, 1)))


class PairedImageDataset(ShardDataset):
    """Paired renders for the translator: one scene, randomized and canonical.

    Each item is ``randomized`` and ``canonical`` (3, H, W) uint8, ``mask`` (H, W) int64
    class ids (what ``cross_entropy`` takes) and ``depth`` (1, H, W) float32 metres. Other
    fields in the shards are not read.
    """

    FIELDS = ("randomized", "canonical", "mask", "depth")
    """The fields this dataset reads, in item order."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        super().__init__(root, "paired")
        _require(
            self,
            {
                "randomized": ((None, None, 3), "(H, W, 3)"),
                "canonical": ((None, None, 3), "(H, W, 3)"),
                "mask": ((None, None), "(H, W)"),
                "depth": ((None, None), "(H, W)"),
            },
        )
        self.fields = self.FIELDS

    def __getitem__(self, index: int) -> dict[str, Any]:
        """One paired sample as torch tensors, channels first."""
        raw = super().__getitem__(index)
        return {
            "randomized": _channels_first(raw["randomized"]),
            "canonical": _channels_first(raw["canonical"]),
            "mask": torch.from_numpy(raw["mask"].astype(np.int64)),
            "depth": torch.from_numpy(raw["depth"].astype(np.float32)[None]),
        }


class TransitionDataset(ShardDataset):
    """Grasping transitions for Q-learning; each item holds every field as a torch tensor.

    ``image`` and ``next_image`` come channels first, (3, H, W) uint8, like the paired images;
    every other field keeps its stored dtype and shape (per-sample scalars are 0-d tensors).
    """

    REQUIRED = (
        "image",
        "gripper_closed",
        "height",
        "action",
        "reward",
        "next_image",
        "next_gripper_closed",
        "next_height",
        "terminal",
    )
    """Fields every transition shard must hold (``episode`` and ``step`` are optional)."""

    IMAGE_FIELDS = ("image", "next_image")
    """Fields converted from (H, W, 3) to (3, H, W)."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        super().__init__(root, "transitions")
        expected: dict[str, tuple[tuple[int | None, ...], str]] = {
            name: ((), "a scalar per sample") for name in self.REQUIRED
        }
        expected["image"] = expected["next_image"] = ((None, None, 3), "(H, W, 3)")
        expected["action"] = ((None,), "(A,)")
        _require(self, expected)

    def __getitem__(self, index: int) -> dict[str, Any]:
        """One transition as torch tensors."""
        raw = super().__getitem__(index)
        return {
            name: _channels_first(value) if name in self.IMAGE_FIELDS else torch.from_numpy(value)
            for name, value in raw.items()
        }
