"""Where a policy's translator is found (rcan.qtopt.load.translator_source)."""

from __future__ import annotations

from pathlib import Path

from rcan.qtopt.load import translator_source

RCAN = {"obs": "rcan", "translator": "runs/recorded"}


def test_override_wins(tmp_path: Path) -> None:
    (tmp_path / "translator").mkdir()
    assert translator_source(tmp_path, RCAN, "elsewhere") == "elsewhere"


def test_bundled_folder_before_the_recorded_path(tmp_path: Path) -> None:
    (tmp_path / "translator").mkdir()
    assert translator_source(tmp_path, RCAN) == str(tmp_path / "translator")


def test_bundled_inside_the_checkpoint_of_a_run_folder(tmp_path: Path) -> None:
    (tmp_path / "checkpoint" / "translator").mkdir(parents=True)
    assert translator_source(tmp_path, RCAN) == str(tmp_path / "checkpoint" / "translator")


def test_recorded_path_last(tmp_path: Path) -> None:
    assert translator_source(tmp_path, RCAN) == "runs/recorded"
    assert translator_source(tmp_path, {"obs": "rcan"}) is None


def test_other_modes_use_none(tmp_path: Path) -> None:
    (tmp_path / "translator").mkdir()
    assert translator_source(tmp_path, {"obs": "canonical"}) is None
