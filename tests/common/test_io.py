"""Atomic folders: the old folder or the new one, never a mix, and no leftovers."""

from __future__ import annotations

from pathlib import Path

import pytest

from rcan.common.io import atomic_folder


def test_atomic_folder_replaces_the_old_one_whole(tmp_path: Path) -> None:
    target = tmp_path / "out"
    target.mkdir()
    (target / "stale.txt").write_text("old")
    with atomic_folder(target) as tmp:
        (tmp / "new.txt").write_text("new")
        assert (target / "stale.txt").exists()  # readers still see the old folder meanwhile
    assert sorted(p.name for p in target.iterdir()) == ["new.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_atomic_folder_keeps_the_old_one_on_failure(tmp_path: Path) -> None:
    target = tmp_path / "out"
    target.mkdir()
    (target / "kept.txt").write_text("old")
    with pytest.raises(RuntimeError), atomic_folder(target) as tmp:
        (tmp / "half.txt").write_text("half")
        raise RuntimeError("killed")
    assert sorted(p.name for p in target.iterdir()) == ["kept.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
