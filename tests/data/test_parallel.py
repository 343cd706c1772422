"""run_shards: serial/parallel equivalence, failures, resume, how workers start."""

from __future__ import annotations

import functools
import os
import sys
import types
from pathlib import Path

import numpy as np
import pytest

from rcan.common.errors import RcanError
from rcan.data.parallel import WorkerDiedError, run_shards, start_method
from rcan.data.shards import list_shards, read_shard, shard_path, write_shard


def make_shard(root: Path, log: Path, index: int, fail_at: int = -1, die_at: int = -1) -> None:
    """Write a small seeded shard for ``index``, logging each call (one line per call)."""
    with log.open("a") as f:  # appends of one short line are atomic across processes
        f.write(f"{index}\n")
    if index == die_at:
        os._exit(3)  # a segfault or an OOM kill: no exception reaches the pool
    rng = np.random.default_rng(index)
    arrays = {
        "image": rng.integers(0, 256, (4 + index, 8, 8, 3), dtype=np.uint8),
        "value": rng.random(4 + index, dtype=np.float32),
    }
    if index == fail_at:
        arrays["value"] = arrays["value"][:-1]  # write_shard rejects it
    write_shard(shard_path(root, index), "test", arrays, {"index": index})


def forgetful(index: int) -> None:
    """A broken make_shard that writes nothing."""


def calls(log: Path) -> list[int]:
    """Indices make_shard was called with, in call order."""
    return [int(line) for line in log.read_text().split()] if log.exists() else []


def temp_files(root: Path) -> list[str]:
    """Names of leftover temporary files in ``root``."""
    return [p.name for p in root.iterdir() if p.name.endswith(".tmp")]


def test_serial_and_parallel_give_identical_bytes(tmp_path: Path) -> None:
    roots = {}
    for workers in (1, 2):
        root = tmp_path / f"w{workers}"
        job = functools.partial(make_shard, root, tmp_path / f"log{workers}")
        produced = run_shards(job, range(5), root, workers=workers, desc="test")
        assert produced == [0, 1, 2, 3, 4]
        assert sorted(calls(tmp_path / f"log{workers}")) == [0, 1, 2, 3, 4]
        roots[workers] = root
    for serial, parallel in zip(list_shards(roots[1]), list_shards(roots[2]), strict=True):
        assert serial.name == parallel.name
        assert serial.read_bytes() == parallel.read_bytes()
    arrays, meta = read_shard(shard_path(roots[2], 4))
    assert meta == {"index": 4} and arrays["image"].shape == (8, 8, 8, 3)


@pytest.mark.parametrize("workers", [1, 2])
def test_failure_surfaces_and_resume_fills_the_gap(tmp_path: Path, workers: int) -> None:
    root, log = tmp_path / "data", tmp_path / "calls.log"
    (root).mkdir()
    (root / ".shard-00001.h5.4242.tmp").write_bytes(b"left by a killed run")
    failing = functools.partial(make_shard, root, log, fail_at=2)
    with pytest.raises(RcanError, match="'value' has"):
        run_shards(failing, range(6), root, workers=workers, desc="failing")
    assert not shard_path(root, 2).exists()
    assert temp_files(root) == []
    done = {p.name for p in list_shards(root)}
    if workers == 1:
        assert done == {"shard-00000.h5", "shard-00001.h5"}
    mtimes = {p.name: p.stat().st_mtime_ns for p in list_shards(root)}

    log.unlink()
    produced = run_shards(functools.partial(make_shard, root, log), range(6), root, workers, "ok")
    missing = sorted(i for i in range(6) if f"shard-{i:05d}.h5" not in done)
    assert produced == missing and 2 in missing
    assert sorted(calls(log)) == missing
    assert {p.name: p.stat().st_mtime_ns for p in list_shards(root) if p.name in done} == mtimes
    assert len(list_shards(root)) == 6

    log.unlink()
    assert run_shards(functools.partial(make_shard, root, log), range(6), root, 2, "noop") == []
    assert calls(log) == []


def test_dead_worker_raises_instead_of_hanging(tmp_path: Path) -> None:
    root, log = tmp_path / "data", tmp_path / "calls.log"
    job = functools.partial(make_shard, root, log, die_at=1)
    with pytest.raises(WorkerDiedError, match="died"):
        run_shards(job, range(4), root, workers=2, desc="dying")
    assert not shard_path(root, 1).exists()
    assert temp_files(root) == []


def test_make_shard_must_write_its_shard(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match=r"make_shard\(0\) returned without writing"):
        run_shards(forgetful, [0], tmp_path, workers=1, desc="forgetful")


def test_workers_never_fork_a_process_that_runs_ray(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ray = types.ModuleType("ray")
    ray.is_initialized = lambda: False  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "ray", ray)
    assert start_method() == "fork"
    ray.is_initialized = lambda: True  # type: ignore[attr-defined]
    assert start_method() == "forkserver"
    root = tmp_path / "served"  # and the shards come out the same through a fork server
    produced = run_shards(functools.partial(make_shard, root, tmp_path / "log"), range(3), root,
                          workers=2, desc="forkserver")
    assert produced == [0, 1, 2]
    assert read_shard(shard_path(root, 2))[1] == {"index": 2}
