"""rcan generate --ray: the bytes of a local run, and resume of a partly made folder."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import pytest

from rcan.data import list_shards
from rcan.data.generate import GenerateConfig, generate

pytest.importorskip("ray", reason="ray is not installed: pip install 'rcan[ray]'")
pytestmark = pytest.mark.ray


def _config(out: Path, **kw: object) -> GenerateConfig:
    base = dict(out=out, shards=3, episodes_per_shard=1, image_size=32, num_objects=2, seed=3)
    base.update(kw)
    return GenerateConfig(**base)  # type: ignore[arg-type]


def test_ray_shards_equal_local_bytes_and_resume(
    tmp_path: Path, ray_cluster: ModuleType
) -> None:
    assert generate(_config(tmp_path / "local", workers=1)) == [0, 1, 2]
    assert generate(_config(tmp_path / "ray", ray=True)) == [0, 1, 2]
    local, remote = list_shards(tmp_path / "local"), list_shards(tmp_path / "ray")
    assert [p.name for p in remote] == [p.name for p in local]
    assert [p.read_bytes() for p in remote] == [p.read_bytes() for p in local]
    # a killed run: one shard missing, one temp file left behind
    first = remote[0].stat().st_mtime_ns
    remote[1].unlink()
    (tmp_path / "ray" / ".shard-00001.h5.999.tmp").write_bytes(b"partial")
    assert generate(_config(tmp_path / "ray", ray=True)) == [1]
    assert remote[0].stat().st_mtime_ns == first
    assert remote[1].read_bytes() == local[1].read_bytes()
    assert not list((tmp_path / "ray").glob("*.tmp"))
    # and a Ray folder resumes locally (how shards are made is not a dataset setting)
    remote[2].unlink()
    assert generate(_config(tmp_path / "ray", workers=2)) == [2]
    assert remote[2].read_bytes() == local[2].read_bytes()
