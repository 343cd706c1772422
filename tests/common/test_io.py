"""Atomic folders: the old folder or the new one, never a mix, and no leftovers."""

from __future__ import annotations

from pathlib import Path

import pytest

from rcan.common.errors import RcanError
from rcan.common.io import atomic_folder, save_run_config


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


def test_resuming_accepts_settings_added_since_but_not_changed_ones(tmp_path: Path) -> None:
    save_run_config(tmp_path, {"env": {"steps": 20}}, ("env",))
    save_run_config(tmp_path, {"env": {"steps": 20, "new_field": 1}}, ("env",))  # accepted
    with pytest.raises(RcanError, match="different 'env'"):
        save_run_config(tmp_path, {"env": {"steps": 10, "new_field": 1}}, ("env",))
