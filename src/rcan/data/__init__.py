"""HDF5 shards, the resume-aware parallel shard writer, and PyTorch datasets over shards."""

from rcan.data.dataset import PairedImageDataset, ShardDataset, TransitionDataset
from rcan.data.parallel import WorkerDiedError, run_shards
from rcan.data.shards import (
    SCHEMA_VERSION,
    clean_partial,
    list_shards,
    open_shard,
    read_shard,
    shard_index,
    shard_kind,
    shard_meta,
    shard_path,
    write_shard,
)

__all__ = [
    "SCHEMA_VERSION",
    "PairedImageDataset",
    "ShardDataset",
    "TransitionDataset",
    "WorkerDiedError",
    "clean_partial",
    "list_shards",
    "open_shard",
    "read_shard",
    "run_shards",
    "shard_index",
    "shard_kind",
    "shard_meta",
    "shard_path",
    "write_shard",
]
