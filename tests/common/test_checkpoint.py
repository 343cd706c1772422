"""Checkpoint folders are written whole: extra files land in the same atomic replacement."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from rcan.common.checkpoint import load_json, save_checkpoint


def test_extra_files_are_part_of_the_atomic_write(tmp_path: Path) -> None:
    folder = tmp_path / "checkpoint"
    net = torch.nn.Linear(2, 1)
    save_checkpoint(folder, {"net": net}, {}, {"step": 1}, {},
                    lambda tmp: (tmp / "replay.h5").write_bytes(b"first"))
    assert (folder / "replay.h5").read_bytes() == b"first"

    def dies_midway(tmp: Path) -> None:
        (tmp / "replay.h5").write_bytes(b"half")
        raise KeyboardInterrupt  # a kill while the replay is being written

    with pytest.raises(KeyboardInterrupt):
        save_checkpoint(folder, {"net": net}, {}, {"step": 2}, {}, dies_midway)
    # The previous checkpoint is untouched, replay and all, and nothing half-written is left.
    assert load_json(folder, "state") == {"step": 1}
    assert (folder / "replay.h5").read_bytes() == b"first"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["checkpoint"]
