"""HDF5 shards: the on-disk unit of every dataset rcan generates.

A dataset is a folder of ``shard-00000.h5``, ``shard-00001.h5``, ... Each shard holds named
arrays that share their first axis (N samples) plus root attributes ``schema_version``,
``kind`` ("paired", "transitions", ...), ``index`` and ``meta`` (a JSON string). Shards are
small and independent so that generation can run in parallel, be killed and resume, and so
that a missing or corrupt shard costs one shard, not the dataset.

Layout choices, measured on 256 paired 64x64 samples (see the data-layer report):

* **Compression: gzip level 4, plus the byte shuffle filter for multi-byte dtypes.** gzip is
  built into every HDF5 library (h5dump, HDFView, MATLAB, C, Julia read it without plugins);
  lzf is an h5py-only filter. On Bullet renders lzf wrote ~2x and read ~1.5x faster but its
  files were 1.75x larger, and gzip's ~200 MB/s write and ~450 MB/s read are far beyond what
  rendering produces or a training step consumes. Shuffle makes float32 depth ~30% smaller;
  on uint8 it does nothing, so it is left off there.
* **Chunks of about 64 KiB along the first axis, at most 32 rows for images**, full trailing
  dims. Training reads shuffled single samples and every read decompresses a whole chunk:
  32-row image chunks made a random read ~15x slower than 1-4-row chunks for no gain in
  size. Per-sample scalars get one large chunk (up to 64 KiB of rows).
* **Byte-for-byte deterministic.** Object time tracking is off, datasets are written in
  sorted name order, ``meta`` is JSON with sorted keys, and the file format bounds are pinned
  (``libver=("earliest", "v110")``: readable by HDF5 >= 1.10). Writing the same arrays twice
  gives identical files, so regenerated shards can be compared with a checksum.
"""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from rcan.common.errors import RcanError
from rcan.common.io import atomic_path, to_jsonable

SCHEMA_VERSION = 1
"""Bumped whenever the meaning or layout of shard contents changes incompatibly."""

SHARD_GLOB = "shard-*.h5"
"""Glob that matches complete shards (temporary files start with '.', so never match)."""

_SHARD_RE = re.compile(r"shard-(\d{5,})\.h5")
_PARTIAL_RE = re.compile(r"\.shard-\d{5,}\.h5\..*\.tmp")
_CHUNK_BYTES = 64 * 1024
_MAX_IMAGE_ROWS = 32
_GZIP_LEVEL = 4
_LIBVER = ("earliest", "v110")
READ_CACHE_BYTES = 1024 * 1024
"""Chunk cache per open dataset when reading (HDF5 2 defaults to 8 MiB): enough for the chunk
being read sequentially, small enough that many open shards stay cheap."""


def shard_path(root: str | os.PathLike[str], index: int) -> Path:
    """Return ``root/shard-{index:05d}.h5``: the one place the naming scheme lives."""
    index = int(index)
    if index < 0:
        raise RcanError(f"shard index must be >= 0, got {index}")
    return Path(root) / f"shard-{index:05d}.h5"


def shard_index(path: str | os.PathLike[str]) -> int | None:
    """Return the index encoded in a shard file name, or None when the name is not a shard's."""
    match = _SHARD_RE.fullmatch(Path(path).name)
    return int(match.group(1)) if match else None


def list_shards(root: str | os.PathLike[str]) -> list[Path]:
    """Return the complete shards in ``root`` sorted by index (temp files never match)."""
    folder = Path(root)
    if not folder.is_dir():
        return []
    found = [p for p in folder.glob(SHARD_GLOB) if p.is_file() and shard_index(p) is not None]
    return sorted(found, key=lambda p: shard_index(p) or 0)


def clean_partial(root: str | os.PathLike[str]) -> int:
    """Remove temp shard files a killed writer left in ``root``; return how many.

    Only names that :func:`rcan.common.io.atomic_path` makes for shards
    (``.shard-XXXXX.h5.<pid>.tmp``) are touched, so other files in the folder are safe. Do
    not call it while another process is writing shards into the same folder.
    """
    folder = Path(root)
    if not folder.is_dir():
        return 0
    removed = 0
    for entry in folder.iterdir():
        if _PARTIAL_RE.fullmatch(entry.name) and entry.is_file():
            entry.unlink(missing_ok=True)
            removed += 1
    return removed


def _chunk_rows(array: np.ndarray) -> int:
    """Rows per chunk: about ``_CHUNK_BYTES`` of data, capped at 32 rows for images."""
    n = array.shape[0]
    row_bytes = max(1, array.dtype.itemsize * math.prod(array.shape[1:]))
    rows = max(1, _CHUNK_BYTES // row_bytes)
    if array.ndim >= 3:  # per-sample 2-D or more: an image, depth map or mask
        rows = min(rows, _MAX_IMAGE_ROWS)
    return min(rows, n)


def _validate(path: Path, kind: str, arrays: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Check names, dtypes and first axes; return the arrays as numpy arrays in name order."""
    if not isinstance(kind, str) or not kind:
        raise RcanError(f"{path}: shard kind must be a non-empty string, got {kind!r}")
    if not arrays:
        raise RcanError(f"{path}: a shard needs at least one array, got none")
    checked: dict[str, np.ndarray] = {}
    first: tuple[str, int] | None = None
    for name in sorted(arrays):
        if not isinstance(name, str) or not name or "/" in name or name.startswith("."):
            raise RcanError(f"{path}: field name {name!r} must be a non-empty string without '/'")
        array = np.asarray(arrays[name])
        if array.ndim == 0:
            raise RcanError(f"{path}: field '{name}' is a scalar, expected shape (N, ...)")
        if array.dtype.kind not in "biuf":
            raise RcanError(
                f"{path}: field '{name}' has dtype {array.dtype}, expected a bool, int or float"
            )
        if first is None:
            first = (name, array.shape[0])
        elif array.shape[0] != first[1]:
            raise RcanError(
                f"{path}: field '{name}' has {array.shape[0]} rows (shape {array.shape}), "
                f"expected {first[1]} like field '{first[0]}'"
            )
        checked[name] = array
    assert first is not None
    if first[1] == 0:
        raise RcanError(f"{path}: shard arrays are empty (0 rows), expected at least 1 sample")
    return checked


def write_shard(
    path: str | os.PathLike[str],
    kind: str,
    arrays: Mapping[str, np.ndarray],
    meta: Mapping[str, Any],
) -> Path:
    """Write one shard atomically and deterministically; return its path.

    The ``index`` attribute is read from the file name (``shard-00042.h5`` -> 42; -1 for
    other names). ``meta`` may hold dataclasses, paths and numpy scalars: it is stored as
    JSON with sorted keys. A crash mid-write leaves at most a temp file that
    :func:`clean_partial` removes, never a truncated shard under the final name.
    """
    final = Path(path)
    checked = _validate(final, kind, arrays)
    try:
        meta_json = json.dumps(to_jsonable(dict(meta)), sort_keys=True)
    except (TypeError, ValueError) as exc:
        raise RcanError(f"{final}: shard meta is not JSON-serializable ({exc})") from exc
    index = shard_index(final)
    with atomic_path(final) as tmp, h5py.File(tmp, "w", libver=_LIBVER, track_order=False) as f:
        f.attrs["schema_version"] = np.int64(SCHEMA_VERSION)
        f.attrs["kind"] = kind
        f.attrs["index"] = np.int64(-1 if index is None else index)
        f.attrs["meta"] = meta_json
        for name, array in checked.items():
            f.create_dataset(
                name,
                data=array,
                chunks=(_chunk_rows(array), *array.shape[1:]),
                compression="gzip",
                compression_opts=_GZIP_LEVEL,
                shuffle=array.dtype.itemsize > 1,
                track_times=False,
            )
    return final


def open_shard(path: str | os.PathLike[str], expected_kind: str | None = None) -> h5py.File:
    """Open a shard read-only after checking it is an rcan shard of the expected kind.

    The caller owns the returned file (use it as a context manager). Every problem raises an
    :class:`RcanError` that names the file.
    """
    file_path = Path(path)
    if not file_path.is_file():
        raise RcanError(f"{file_path}: shard file does not exist")
    try:
        is_hdf5 = h5py.is_hdf5(file_path)
    except OSError:
        is_hdf5 = False
    if not is_hdf5:
        raise RcanError(f"{file_path}: not an HDF5 file, expected an rcan shard")
    try:
        f = h5py.File(file_path, "r", rdcc_nbytes=READ_CACHE_BYTES)
    except OSError as exc:
        raise RcanError(f"{file_path}: cannot open HDF5 shard ({exc})") from exc
    try:
        _check_attrs(file_path, f, expected_kind)
    except BaseException:
        f.close()
        raise
    return f


def _check_attrs(path: Path, f: h5py.File, expected_kind: str | None) -> None:
    """Raise if the root attributes do not describe a shard of the expected schema and kind."""
    for attr in ("schema_version", "kind", "meta"):
        if attr not in f.attrs:
            raise RcanError(f"{path}: no '{attr}' attribute, not an rcan shard")
    found = int(f.attrs["schema_version"])
    if found != SCHEMA_VERSION:
        raise RcanError(
            f"{path}: schema_version is {found}, expected {SCHEMA_VERSION}; regenerate the data"
        )
    kind = _as_str(f.attrs["kind"])
    if expected_kind is not None and kind != expected_kind:
        raise RcanError(f"{path}: shard kind is '{kind}', expected '{expected_kind}'")


def _as_str(value: Any) -> str:
    """Decode an HDF5 string attribute whether h5py hands back ``str`` or ``bytes``."""
    return value.decode("utf-8") if isinstance(value, bytes | np.bytes_) else str(value)


def shard_kind(f: h5py.File) -> str:
    """Return the ``kind`` attribute of an open shard."""
    return _as_str(f.attrs["kind"])


def shard_meta(f: h5py.File) -> dict[str, Any]:
    """Return the decoded ``meta`` attribute of an open shard."""
    path = f.filename
    try:
        meta = json.loads(_as_str(f.attrs["meta"]))
    except json.JSONDecodeError as exc:
        raise RcanError(f"{path}: 'meta' attribute is not valid JSON ({exc})") from exc
    if not isinstance(meta, dict):
        raise RcanError(f"{path}: 'meta' attribute is {type(meta).__name__}, expected an object")
    return meta


def read_shard(
    path: str | os.PathLike[str], expected_kind: str | None = None
) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Load every array of a shard into memory, with its meta dict (shards are small)."""
    with open_shard(path, expected_kind) as f:
        arrays = {name: np.asarray(f[name][()]) for name in f if isinstance(f[name], h5py.Dataset)}
        return arrays, shard_meta(f)
