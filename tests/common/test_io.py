"""Atomic folders: the old folder or the new one, never a mix, and no leftovers."""

from __future__ import annotations

from pathlib import Path

import pytest

from rcan.common.errors import RcanError
from rcan.common.io import atomic_folder, read_json, save_run_config


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


def test_read_json_names_the_file_in_one_line(tmp_path: Path) -> None:
    good = tmp_path / "good.json"
    good.write_text('{"a": 1}')
    assert read_json(good) == {"a": 1}
    cases = {"missing.json": (None, "missing.json is missing"),
             "broken.json": ('{"a": ', "broken.json is malformed JSON"),
             "binary.json": (b"\xff\xfe\x00", "binary.json is unreadable"),
             "list.json": ("[1, 2]", "list.json: expected a JSON object at the top, got list")}
    for name, (content, message) in cases.items():
        path = tmp_path / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        elif content is not None:
            path.write_text(content)
        with pytest.raises(RcanError, match=message.replace(".", r"\.")) as err:
            read_json(path)
        assert "\n" not in str(err.value)
    assert read_json(tmp_path / "list.json", list) == [1, 2]
