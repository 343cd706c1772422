"""results/translator/target_factors/: the README's table is what the evaluations say."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest

HERE = Path(__file__).resolve().parents[2] / "results" / "translator" / "target_factors"
pytestmark = pytest.mark.skipif(not (HERE / "table.py").is_file(), reason="not published")


def test_readme_quotes_the_table(load_script: Callable[[Path], ModuleType]) -> None:
    table = load_script(HERE / "table.py").table()
    assert len(table.splitlines()) == 2 + 2 + 8  # header, rule, two references, eight factors
    assert table in (HERE / "README.md").read_text()


@pytest.mark.parametrize("factor", ["camera", "lighting", "effects", "textures", "arm_gripper",
                                    "background", "objects", "table_tray"])
def test_each_evaluation_is_on_its_own_domain_file(factor: str) -> None:
    result = json.loads((HERE / f"{factor}.json").read_text())
    assert result["translator"] == "models/translator"
    assert result["data"] == f"runs/data/translator_eval_target_{factor}"
    assert result["images"] > 1000
    assert (HERE / f"{factor}.yaml").is_file()
