"""results/table1_progress/: progress.json and the README's table are what the cells say."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest

HERE = Path(__file__).resolve().parents[2] / "results" / "table1_progress"

pytestmark = pytest.mark.skipif(not (HERE / "progress.json").is_file(),
                                reason="no results/table1_progress")


def test_progress_json_is_recomputed_from_the_cells(
        load_script: Callable[[Path], ModuleType]) -> None:
    script = load_script(HERE / "table.py")
    assert script.summarize() == json.loads((HERE / "progress.json").read_text())


def test_readme_quotes_the_table(load_script: Callable[[Path], ModuleType]) -> None:
    script = load_script(HERE / "table.py")
    assert script.table(script.summarize()) in (HERE / "README.md").read_text()


def test_readme_quotes_the_variants(load_script: Callable[[Path], ModuleType]) -> None:
    script = load_script(HERE / "table.py")
    quoted = script.variants()
    assert quoted.count("\n") >= 2  # a header and at least one variant
    assert quoted in (HERE / "README.md").read_text()


def test_every_cell_is_a_table1_stage_on_the_same_episodes() -> None:
    cells = sorted((HERE / "cells").glob("*.json"))
    assert cells
    for path in cells:
        result = json.loads(path.read_text())
        row, column = path.stem.split("_", 1)
        domain = result["domain"]
        assert (domain == "target") == column.startswith("target"), path.name
        assert (result["episodes"], result["seed"], result["objects"]) == (200, 10_000, "test")
        assert sum(result["outcomes"].values()) == result["episodes"], path.name
        assert row in ("canonical", "randomized", "rcan"), path.name


def test_readme_quotes_the_other_domain_zero_shot_row(
        load_script: Callable[[Path], ModuleType]) -> None:
    script = load_script(HERE / "table.py")
    quoted = script.other_domain()
    assert quoted.count("\n") == 3  # header, rule, target, the other domain
    assert quoted in (HERE / "README.md").read_text()


def test_the_5k_report_shows_the_cells() -> None:
    progress = json.loads((HERE / "progress.json").read_text())["table"]
    shown = json.loads((HERE / "table1_5k.json").read_text())
    assert shown == {row: {column: cells[column] for column in ("sim", "target_0", "target_5k")}
                     for row, cells in progress.items()}
    assert (HERE / "report_5k" / "report.md").is_file()
