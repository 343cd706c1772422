"""rcan generate: deterministic bytes, resume without loss or duplication, readable shards."""

from __future__ import annotations

from pathlib import Path

import pytest

from rcan.common.errors import RcanError
from rcan.data import PairedImageDataset, TransitionDataset, list_shards
from rcan.data.generate import GenerateConfig, generate, make_shard


def _config(out: Path, **kw: object) -> GenerateConfig:
    base = dict(out=out, shards=2, episodes_per_shard=1, image_size=32, seed=3)
    base.update(kw)
    return GenerateConfig(**base)  # type: ignore[arg-type]


def test_same_seed_same_bytes_and_workers_do_not_matter(tmp_path: Path) -> None:
    generate(_config(tmp_path / "a", workers=1))
    generate(_config(tmp_path / "b", workers=2))
    a, b = list_shards(tmp_path / "a"), list_shards(tmp_path / "b")
    assert [p.name for p in a] == ["shard-00000.h5", "shard-00001.h5"]
    assert [p.read_bytes() for p in a] == [p.read_bytes() for p in b]
    assert a[0].read_bytes() != a[1].read_bytes()


def test_paired_dataset_reads_aligned_fields(tmp_path: Path) -> None:
    generate(_config(tmp_path, shards=1))
    data = PairedImageDataset(tmp_path)
    item = data[0]
    assert item["randomized"].shape == (3, 32, 32)
    assert item["canonical"].shape == (3, 32, 32)
    assert item["mask"].shape == (32, 32)
    assert item["depth"].shape == (1, 32, 32)
    assert data.meta["domain"] == "randomized"
    assert int(item["mask"].max()) <= 5


def test_transitions(tmp_path: Path) -> None:
    generate(_config(tmp_path, shards=1, kind="transitions", policy="scripted"))
    data = TransitionDataset(tmp_path)
    last = data[len(data) - 1]
    assert last["action"].shape == (7,)
    assert int(last["terminal"]) == 1
    rewards = {round(float(data[i]["reward"]), 4) for i in range(len(data))}
    assert rewards <= {-0.05, 0.95}


def test_resume_makes_only_missing_shards(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = _config(tmp_path, shards=3)
    calls: list[int] = []

    def failing(cfg: GenerateConfig, index: int) -> None:
        calls.append(index)
        if index == 1:
            raise KeyboardInterrupt  # a kill in the middle of the run
        make_shard(cfg, index)

    monkeypatch.setattr("rcan.data.generate.make_shard", failing)
    with pytest.raises(KeyboardInterrupt):
        generate(config)
    assert [p.name for p in list_shards(tmp_path)] == ["shard-00000.h5"]
    first = (tmp_path / "shard-00000.h5").stat().st_mtime_ns
    calls.clear()
    monkeypatch.setattr("rcan.data.generate.make_shard", make_shard)
    made = generate(config)
    assert sorted(made) == [1, 2]
    assert len(list_shards(tmp_path)) == 3
    assert (tmp_path / "shard-00000.h5").stat().st_mtime_ns == first
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_changed_settings_refuse_to_mix(tmp_path: Path) -> None:
    generate(_config(tmp_path, shards=1))
    with pytest.raises(RcanError, match="different settings"):
        generate(_config(tmp_path, shards=1, domain="target"))


@pytest.mark.parametrize(
    ("kw", "needle"),
    [
        ({"domain": "nowhere"}, "unknown domain"),
        ({"objects": "/no/such/*.urdf"}, "object set"),
        ({"image_size": 3}, "image_height"),
    ],
)
def test_bad_input_leaves_nothing(tmp_path: Path, kw: dict, needle: str) -> None:
    out = tmp_path / "out"
    with pytest.raises(RcanError, match=needle) as err:
        generate(_config(out, **kw))
    assert "\n" not in str(err.value)
    assert not out.exists()
