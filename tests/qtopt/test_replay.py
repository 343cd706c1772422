"""Ring buffer wrapping and bounds, off/on-policy mixing, and HDF5 round trips."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from rcan.common.errors import RcanError
from rcan.qtopt.batch import QBatch
from rcan.qtopt.replay import (
    FIELDS,
    MixedReplay,
    MixSchedule,
    ReplayBuffer,
    from_transition_arrays,
)

SHAPE = (8, 8, 3)


def rows(start: int, n: int, done_key: str = "done") -> dict[str, np.ndarray]:
    """n transitions whose reward is their global index (start, start + 1, ...)."""
    ids = np.arange(start, start + n)
    image = (ids[:, None, None, None] % 256 * np.ones((1, *SHAPE))).astype(np.uint8)
    return {
        "image": image,
        "gripper_closed": (ids % 2).astype(np.uint8),
        "height": ids.astype(np.float32) / 100,
        "action": np.repeat(ids[:, None], 7, axis=1).astype(np.float32),
        "reward": ids.astype(np.float32),
        "next_image": image + 1,
        "next_gripper_closed": ((ids + 1) % 2).astype(np.uint8),
        "next_height": ids.astype(np.float32)[:, None] / 50,
        done_key: (ids % 3 == 0).astype(np.uint8),
    }


def test_ring_wraps_and_keeps_the_newest_rows() -> None:
    buf = ReplayBuffer(10, SHAPE, 7)
    buf.add(rows(0, 7))
    assert len(buf) == 7 and buf.position == 7
    buf.add(rows(7, 6))  # 13 rows into 10: rows 0-2 are overwritten by 10-12
    assert len(buf) == 10 and buf.position == 3
    stored = buf.arrays()["reward"]
    assert stored.tolist() == [10, 11, 12, 3, 4, 5, 6, 7, 8, 9]
    # a batch larger than the capacity lands where one-by-one adds would put it
    buf.add(rows(100, 25))
    assert sorted(buf.arrays()["reward"].tolist()) == list(range(115, 125))
    assert buf.position == (3 + 25) % 10
    assert buf.arrays()["reward"][(buf.position - 1) % 10] == 124


def test_memory_is_bounded_by_capacity() -> None:
    buf = ReplayBuffer(50, SHAPE, 7)
    per_row = 2 * int(np.prod(SHAPE)) + 4 * (7 + 6)  # two uint8 images, float32 rest
    assert buf.nbytes == 50 * per_row
    for start in range(0, 500, 20):
        buf.add(rows(start, 20))
    assert buf.nbytes == 50 * per_row and len(buf) == 50


def test_adapter_accepts_generate_naming_and_rejects_bad_input() -> None:
    generated = rows(0, 4, done_key="terminal")
    generated["episode"] = np.zeros(4, np.int32)
    converted = from_transition_arrays(generated)
    assert set(converted) == set(FIELDS)
    assert converted["done"].dtype == np.float32 and converted["done"].tolist() == [1, 0, 0, 1]
    assert converted["next_height"].shape == (4,)
    buf = ReplayBuffer(5, SHAPE, 7)
    buf.add(generated)
    assert buf.arrays()["done"].tolist() == [1, 0, 0, 1]
    with pytest.raises(RcanError, match="either"):
        from_transition_arrays({**generated, "done": generated["terminal"]})
    with pytest.raises(RcanError, match="missing"):
        buf.add({k: v for k, v in rows(0, 2).items() if k != "reward"})
    with pytest.raises(RcanError, match="shape"):
        ReplayBuffer(5, (4, 4, 3), 7).add(rows(0, 2))


def test_sample_returns_fresh_rows_that_convert_to_a_batch() -> None:
    buf = ReplayBuffer(20, SHAPE, 7)
    buf.add(rows(0, 20))
    sample = buf.sample(16, np.random.default_rng(0))
    assert all(sample[k].shape[0] == 16 for k in FIELDS)
    # rows stay consistent across fields
    np.testing.assert_array_equal(sample["action"][:, 0], sample["reward"])
    sample["reward"][:] = -1  # a copy: the buffer is untouched
    assert buf.arrays()["reward"].min() == 0
    batch = QBatch.from_arrays(sample)
    assert batch.images.shape == (16, 3, 8, 8) and batch.scalars.shape == (16, 2)
    with pytest.raises(RcanError, match="empty"):
        ReplayBuffer(3, SHAPE, 7).sample(1, np.random.default_rng(0))


def test_mix_schedule_ramps_linearly() -> None:
    s = MixSchedule(start=0.0, end=0.5, ramp_steps=100)
    assert [s.online_fraction(t) for t in (0, 50, 100, 1000)] == [0.0, 0.25, 0.5, 0.5]
    assert MixSchedule(0.2, 0.8, ramp_steps=0).online_fraction(0) == 0.8


def test_mixed_sampling_follows_the_schedule_and_falls_back() -> None:
    offline, online = ReplayBuffer(100, SHAPE, 7), ReplayBuffer(100, SHAPE, 7)
    offline.add(rows(0, 50))  # rewards 0..49
    online.add(rows(1000, 50))  # rewards 1000..1049
    mixed = MixedReplay(offline, online, MixSchedule(start=0.0, end=0.5, ramp_steps=100))
    rng = np.random.default_rng(0)
    for step, expected_online in ((0, 0), (50, 16), (100, 32), (10_000, 32)):
        sample = mixed.sample(64, step, rng)
        assert int((sample["reward"] >= 1000).sum()) == expected_online
        assert len(sample["reward"]) == 64
    assert mixed.split(10, 50) == (7, 3)  # 2.5 rounds half up
    only_offline = MixedReplay(offline, ReplayBuffer(10, SHAPE, 7), mixed.schedule)
    assert only_offline.split(64, 10_000) == (64, 0)
    only_online = MixedReplay(ReplayBuffer(10, SHAPE, 7), online, mixed.schedule)
    assert (only_online.sample(64, 0, rng)["reward"] >= 1000).all()


def test_save_load_round_trip_continues_identically(tmp_path: Path) -> None:
    buf = ReplayBuffer(30, SHAPE, 7)
    buf.add(rows(0, 40))  # wrapped: position 10
    path = buf.save(tmp_path / "replay.h5")
    again = ReplayBuffer.load(path)
    assert (again.position, again.size, again.capacity) == (10, 30, 30)
    for b in (buf, again):
        b.add(rows(40, 7))
    for name in FIELDS:
        np.testing.assert_array_equal(buf.arrays()[name], again.arrays()[name])
    a, b = buf.sample(32, np.random.default_rng(5)), again.sample(32, np.random.default_rng(5))
    for name in FIELDS:
        np.testing.assert_array_equal(a[name], b[name])
    # a partly filled buffer, and the mixed replay with its schedule
    small = ReplayBuffer(30, SHAPE, 7)
    small.add(rows(0, 4))
    mixed = MixedReplay(buf, small, MixSchedule(0.1, 0.6, 77))
    loaded = MixedReplay.load(mixed.save(tmp_path / "mixed.h5"))
    assert loaded.schedule == mixed.schedule
    assert (loaded.online.position, len(loaded.online)) == (4, 4)
    np.testing.assert_array_equal(loaded.offline.arrays()["image"], buf.arrays()["image"])
    with pytest.raises(RcanError, match="not found"):
        ReplayBuffer.load(tmp_path / "missing.h5")
    assert not list(tmp_path.glob(".*tmp"))
