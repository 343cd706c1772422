"""Where a policy's translator is found (rcan.qtopt.load.translator_source)."""

from __future__ import annotations

from pathlib import Path

import pytest

from rcan.common.errors import RcanError
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
    recorded = tmp_path / "recorded"
    recorded.mkdir()
    config = {"obs": "rcan", "translator": str(recorded)}
    assert translator_source(tmp_path / "policy", config) == str(recorded)


def test_no_translator_anywhere_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(RcanError, match="needs a translator"):
        translator_source(tmp_path, {"obs": "rcan"})
    with pytest.raises(RcanError, match=r"'runs/recorded' \(config.json\) is not a folder"):
        translator_source(tmp_path, RCAN)


def test_other_modes_use_none(tmp_path: Path) -> None:
    (tmp_path / "translator").mkdir()
    assert translator_source(tmp_path, {"obs": "canonical"}) is None
    assert translator_source(tmp_path, {"obs": "canonical"}, "ignored") is None
