"""Paired training data in memory, and a batch order that is a pure function of the step.

A few tens of thousands of 64 x 64 pairs fit in memory (about 45 kB each), which keeps the
training loop free of loader processes. The batch at step ``s`` depends only on
``(seed, s)``, so a resumed run sees exactly the batches the killed one would have seen.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from rcan.common.errors import RcanError
from rcan.data.shards import list_shards, read_shard
from rcan.translator.model import Batch

PAIRED_FIELDS = ("randomized", "canonical", "mask", "depth")


@dataclass
class PairedArrays:
    """Aligned arrays of paired samples (channels-last, as stored)."""

    image: np.ndarray
    """(N, H, W, 3) uint8 inputs."""
    canonical: np.ndarray
    """(N, H, W, 3) uint8 targets."""
    mask: np.ndarray
    """(N, H, W) uint8 class ids."""
    depth: np.ndarray
    """(N, H, W) float32 metres."""
    domain: str
    """Domain of the inputs, from the shards' metadata."""

    def __len__(self) -> int:
        return len(self.image)

    def batch(self, indices: np.ndarray) -> Batch:
        """Tensors for the given rows (images channels-first)."""
        return Batch(
            image=torch.from_numpy(self.image[indices]).permute(0, 3, 1, 2),
            canonical=torch.from_numpy(self.canonical[indices]).permute(0, 3, 1, 2),
            mask=torch.from_numpy(self.mask[indices].astype(np.int64)),
            depth=torch.from_numpy(self.depth[indices]),
        )


def load_paired(root: str | Path, limit: int | None = None, progress: bool = True) -> PairedArrays:
    """Read paired shards from ``root`` (at most ``limit`` samples, whole shards in order)."""
    shards = list_shards(root)
    if not shards:
        raise RcanError(f"no paired shards in {root}: make some with `rcan generate --kind paired`")
    parts: dict[str, list[np.ndarray]] = {k: [] for k in PAIRED_FIELDS}
    count, domain = 0, ""
    for path in tqdm(shards, desc=f"loading {Path(root).name}", disable=not progress):
        arrays, meta = read_shard(path, expected_kind="paired")
        missing = [k for k in PAIRED_FIELDS if k not in arrays]
        if missing:
            raise RcanError(f"{path}: missing fields {missing}")
        domain = domain or str(meta.get("domain", ""))
        shape, first = arrays["randomized"].shape[1:], parts["randomized"][:1]
        if first and shape != first[0].shape[1:]:
            raise RcanError(f"{path}: images of shape {shape}, but {shards[0]} holds "
                            f"{first[0].shape[1:]}; one image size per folder")
        for k in PAIRED_FIELDS:
            parts[k].append(arrays[k])
        count += len(arrays["randomized"])
        if limit is not None and count >= limit:
            break
    joined = {k: np.concatenate(v)[:limit] for k, v in parts.items()}
    return PairedArrays(
        joined["randomized"], joined["canonical"], joined["mask"], joined["depth"], domain
    )


def batch_indices(n: int, batch_size: int, step: int, seed: int) -> np.ndarray:
    """Rows of the batch at ``step``: epochs are seeded permutations, batches their slices."""
    per_epoch = max(n // batch_size, 1)
    epoch, position = divmod(step, per_epoch)
    order = np.random.default_rng([seed, epoch]).permutation(n)
    return order[position * batch_size : (position + 1) * batch_size]
