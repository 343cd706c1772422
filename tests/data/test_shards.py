"""Shard files: round trip, deterministic bytes, validation and resume helpers."""

from __future__ import annotations

import time
from pathlib import Path

import h5py
import numpy as np
import pytest

from rcan.common.errors import RcanError
from rcan.data.shards import (
    SCHEMA_VERSION,
    clean_partial,
    list_shards,
    open_shard,
    read_shard,
    shard_path,
    write_shard,
)


def paired_arrays(n: int = 6, size: int = 16, seed: int = 0) -> dict[str, np.ndarray]:
    """A small paired shard with every dtype the simulator writes."""
    rng = np.random.default_rng(seed)
    return {
        "randomized": rng.integers(0, 256, (n, size, size, 3), dtype=np.uint8),
        "canonical": rng.integers(0, 256, (n, size, size, 3), dtype=np.uint8),
        "mask": rng.integers(0, 4, (n, size, size), dtype=np.uint8),
        "depth": rng.random((n, size, size), dtype=np.float32),
        "episode": np.arange(n, dtype=np.int32),
        "step": np.arange(n, dtype=np.int16),
        "gripper_closed": (np.arange(n) % 2).astype(np.uint8),
        "height": rng.random(n, dtype=np.float32),
    }


META = {"domain": "randomized", "seed": 7, "image_size": 16, "nested": {"a": [1, 2]}}


def test_round_trip(tmp_path: Path) -> None:
    arrays = paired_arrays()
    path = write_shard(shard_path(tmp_path, 3), "paired", arrays, META)
    assert path == tmp_path / "shard-00003.h5"
    loaded, meta = read_shard(path)
    assert meta == META
    assert sorted(loaded) == sorted(arrays)
    for name, array in arrays.items():
        assert loaded[name].dtype == array.dtype, name
        np.testing.assert_array_equal(loaded[name], array)
    with open_shard(path, expected_kind="paired") as f:
        assert int(f.attrs["schema_version"]) == SCHEMA_VERSION
        assert f.attrs["kind"] == "paired"
        assert int(f.attrs["index"]) == 3
        assert f["randomized"].compression == "gzip"
        assert f["randomized"].chunks[1:] == (16, 16, 3)


def test_bytes_are_deterministic(tmp_path: Path) -> None:
    arrays = paired_arrays()
    first = write_shard(shard_path(tmp_path / "a", 0), "paired", arrays, META)
    time.sleep(1.1)  # HDF5 timestamps have one-second resolution
    reordered = dict(reversed(list(arrays.items())))
    second = write_shard(shard_path(tmp_path / "b", 0), "paired", reordered, dict(META))
    assert first.read_bytes() == second.read_bytes()


def test_mismatched_first_axis_names_the_field(tmp_path: Path) -> None:
    arrays = paired_arrays(n=6)
    arrays["height"] = np.zeros(5, dtype=np.float32)
    with pytest.raises(RcanError, match="'height' has 5 rows"):
        write_shard(shard_path(tmp_path, 0), "paired", arrays, META)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("arrays", "message"),
    [
        ({}, "at least one array"),
        ({"x": np.zeros((0, 3))}, "0 rows"),
        ({"x": np.float32(1.0)}, "'x' is a scalar"),
        ({"x": np.array(["a", "b"])}, "'x' has dtype"),
        ({"a/b": np.zeros(2)}, "field name"),
    ],
)
def test_bad_arrays_are_rejected(tmp_path: Path, arrays: dict, message: str) -> None:
    with pytest.raises(RcanError, match=message):
        write_shard(shard_path(tmp_path, 0), "paired", arrays, META)


def test_wrong_kind_and_schema(tmp_path: Path) -> None:
    path = write_shard(shard_path(tmp_path, 0), "paired", paired_arrays(), META)
    with pytest.raises(RcanError, match="kind is 'paired', expected 'transitions'"):
        open_shard(path, expected_kind="transitions")
    with h5py.File(path, "a") as f:
        f.attrs["schema_version"] = SCHEMA_VERSION + 1
    with pytest.raises(RcanError, match=f"schema_version is {SCHEMA_VERSION + 1}, expected"):
        read_shard(path)


def test_not_a_shard(tmp_path: Path) -> None:
    text = tmp_path / "shard-00000.h5"
    text.write_text("hello\n")
    with pytest.raises(RcanError, match=r"shard-00000\.h5: not an HDF5 file"):
        open_shard(text)
    with pytest.raises(RcanError, match="does not exist"):
        open_shard(tmp_path / "missing.h5")
    plain = tmp_path / "plain.h5"
    with h5py.File(plain, "w") as f:
        f["x"] = np.zeros(3)
    with pytest.raises(RcanError, match="no 'schema_version' attribute"):
        open_shard(plain)


def test_list_and_clean_partial(tmp_path: Path) -> None:
    for index in (10, 2, 100000):
        write_shard(shard_path(tmp_path, index), "paired", paired_arrays(n=1), META)
    leftovers = [tmp_path / ".shard-00004.h5.1234.tmp", tmp_path / ".shard-00005.h5.99.tmp"]
    for leftover in leftovers:
        leftover.write_bytes(b"partial")
    (tmp_path / "notes.txt").write_text("keep")
    (tmp_path / ".other.json.5.tmp").write_text("not a shard's, keep")
    assert [p.name for p in list_shards(tmp_path)] == [
        "shard-00002.h5",
        "shard-00010.h5",
        "shard-100000.h5",
    ]
    assert clean_partial(tmp_path) == 2
    assert not any(p.exists() for p in leftovers)
    assert (tmp_path / "notes.txt").exists() and (tmp_path / ".other.json.5.tmp").exists()
    assert list_shards(tmp_path / "missing") == [] and clean_partial(tmp_path / "missing") == 0


def test_failed_write_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = h5py.Group.create_dataset
    calls: list[str] = []

    def failing(self: h5py.Group, name: str, *args: object, **kwargs: object) -> h5py.Dataset:
        calls.append(name)
        if len(calls) == 3:
            raise OSError("disk full")
        return real(self, name, *args, **kwargs)

    monkeypatch.setattr(h5py.Group, "create_dataset", failing)
    with pytest.raises(OSError, match="disk full"):
        write_shard(shard_path(tmp_path, 0), "paired", paired_arrays(), META)
    assert len(calls) == 3
    assert list(tmp_path.iterdir()) == []
