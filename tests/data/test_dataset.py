"""ShardDataset and its paired / transition subclasses."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader

from rcan.common.errors import RcanError
from rcan.data.dataset import PairedImageDataset, ShardDataset, TransitionDataset
from rcan.data.shards import shard_path, write_shard

LENGTHS = (3, 5, 1, 7)


def write_uid_shards(root: Path, lengths: tuple[int, ...] = LENGTHS, kind: str = "test") -> None:
    """Shards whose ``uid`` field holds each row's global index."""
    start = 0
    for index, n in enumerate(lengths):
        uid = np.arange(start, start + n, dtype=np.int64)
        image = np.broadcast_to(uid[:, None, None] % 256, (n, 4, 4)).astype(np.uint8)
        write_shard(shard_path(root, index), kind, {"uid": uid, "image": image}, {"i": index})
        start += n


def paired_arrays(n: int, size: int = 8) -> dict[str, np.ndarray]:
    """A paired shard as the simulator writes it."""
    rng = np.random.default_rng(n)
    return {
        "randomized": rng.integers(0, 256, (n, size, size, 3), dtype=np.uint8),
        "canonical": rng.integers(0, 256, (n, size, size, 3), dtype=np.uint8),
        "mask": rng.integers(0, 4, (n, size, size), dtype=np.uint8),
        "depth": rng.random((n, size, size), dtype=np.float32),
        "episode": np.zeros(n, dtype=np.int32),
        "step": np.arange(n, dtype=np.int16),
        "gripper_closed": np.zeros(n, dtype=np.uint8),
        "height": np.ones(n, dtype=np.float32),
    }


def test_every_row_exactly_once(tmp_path: Path) -> None:
    write_uid_shards(tmp_path)
    dataset = ShardDataset(tmp_path, "test")
    assert len(dataset) == sum(LENGTHS)
    assert dataset.meta == {"i": 0}
    uids = [int(dataset[i]["uid"]) for i in range(len(dataset))]
    assert uids == list(range(sum(LENGTHS)))
    assert dataset.locate(8) == (2, 0) and dataset.locate(-1) == (3, 6)
    with pytest.raises(IndexError):
        dataset[len(dataset)]
    item = ShardDataset(tmp_path, "test", fields=["image"])[9]
    assert list(item) == ["image"] and item["image"].shape == (4, 4) and item["image"][0, 0] == 9


def test_dataloader_workers(tmp_path: Path) -> None:
    write_uid_shards(tmp_path)
    dataset = ShardDataset(tmp_path, "test")
    dataset[0]  # the parent opens files first: forked workers must not reuse those handles
    loader = DataLoader(
        dataset, batch_size=4, shuffle=True, num_workers=2, multiprocessing_context="fork"
    )
    seen = torch.cat([batch["uid"] for batch in loader]).tolist()
    assert sorted(seen) == list(range(sum(LENGTHS)))
    clone = pickle.loads(pickle.dumps(dataset))  # what spawn-started workers receive
    assert int(clone[15]["uid"]) == 15
    dataset.close()


def test_bad_folders(tmp_path: Path) -> None:
    with pytest.raises(RcanError, match="does not exist"):
        ShardDataset(tmp_path / "missing", "test")
    with pytest.raises(RcanError, match="no shard"):
        ShardDataset(tmp_path, "test")
    write_uid_shards(tmp_path)
    with pytest.raises(RcanError, match="kind is 'test', expected 'paired'"):
        ShardDataset(tmp_path, "paired")
    with pytest.raises(RcanError, match=r"no field.*'depth'"):
        ShardDataset(tmp_path, "test", fields=["uid", "depth"])
    write_shard(shard_path(tmp_path, 9), "test", {"uid": np.zeros(2, np.int64)}, {})
    with pytest.raises(RcanError, match=r"shard-00009\.h5: fields differ.*missing: \['image'\]"):
        ShardDataset(tmp_path, "test")
    image = np.zeros((2, 5, 5), np.uint8)
    write_shard(shard_path(tmp_path, 9), "test", {"uid": np.zeros(2, np.int64), "image": image}, {})
    with pytest.raises(RcanError, match="field 'image' is uint8 per-sample shape"):
        ShardDataset(tmp_path, "test")


def test_paired_dataset(tmp_path: Path) -> None:
    write_shard(shard_path(tmp_path, 0), "paired", paired_arrays(3), {"domain": "d"})
    write_shard(shard_path(tmp_path, 1), "paired", paired_arrays(2), {"domain": "d"})
    dataset = PairedImageDataset(tmp_path)
    assert len(dataset) == 5
    item = dataset[4]
    assert sorted(item) == ["canonical", "depth", "mask", "randomized"]
    expected = paired_arrays(2)
    for name in ("randomized", "canonical"):
        assert item[name].dtype == torch.uint8 and item[name].shape == (3, 8, 8)
        assert torch.equal(item[name], torch.from_numpy(expected[name][1]).permute(2, 0, 1))
    assert item["mask"].dtype == torch.int64 and item["mask"].shape == (8, 8)
    assert item["depth"].dtype == torch.float32 and item["depth"].shape == (1, 8, 8)
    batch = next(iter(DataLoader(dataset, batch_size=5)))
    assert batch["randomized"].shape == (5, 3, 8, 8)


def test_paired_dataset_names_missing_fields(tmp_path: Path) -> None:
    arrays = paired_arrays(2)
    del arrays["depth"], arrays["mask"]
    write_shard(shard_path(tmp_path, 0), "paired", arrays, {})
    with pytest.raises(RcanError, match=r"lack required field.*mask, depth"):
        PairedImageDataset(tmp_path)
    arrays = paired_arrays(2)
    arrays["mask"] = arrays["mask"][..., None]
    write_shard(shard_path(tmp_path, 0), "paired", arrays, {})
    with pytest.raises(RcanError, match=r"'mask' has per-sample shape \(8, 8, 1\), expected"):
        PairedImageDataset(tmp_path)


def test_transition_dataset(tmp_path: Path) -> None:
    n, rng = 4, np.random.default_rng(0)
    image = rng.integers(0, 256, (n, 8, 8, 3), dtype=np.uint8)
    arrays = {
        "image": image,
        "gripper_closed": np.zeros(n, np.uint8),
        "height": np.ones(n, np.float32),
        "action": rng.random((n, 7), dtype=np.float32),
        "reward": np.ones(n, np.float32),
        "next_image": image[::-1].copy(),
        "next_gripper_closed": np.ones(n, np.uint8),
        "next_height": np.zeros(n, np.float32),
        "terminal": np.array([0, 0, 0, 1], np.uint8),
        "episode": np.zeros(n, np.int32),
        "step": np.arange(n, dtype=np.int16),
    }
    write_shard(shard_path(tmp_path, 0), "transitions", arrays, {})
    item = TransitionDataset(tmp_path)[3]
    assert sorted(item) == sorted(arrays)
    assert item["image"].shape == (3, 8, 8) and item["image"].dtype == torch.uint8
    assert torch.equal(item["next_image"], torch.from_numpy(image[0]).permute(2, 0, 1))
    assert item["action"].shape == (7,) and item["action"].dtype == torch.float32
    assert item["terminal"].shape == () and int(item["terminal"]) == 1
    assert item["step"].dtype == torch.int16 and int(item["step"]) == 3
    del arrays["reward"]
    write_shard(shard_path(tmp_path, 0), "transitions", arrays, {})
    with pytest.raises(RcanError, match=r"lack required field.*reward"):
        TransitionDataset(tmp_path)
