"""The results table's shape: column names, budgets, rows and the JSON check."""

from __future__ import annotations

from typing import Any

import pytest

from rcan.common.errors import RcanError
from rcan.common.stats import wilson
from rcan.transfer.table import (
    budget_column,
    check_budgets,
    check_rows,
    check_table,
    columns,
    format_cell,
    grasps_of,
    make_cell,
    meta_path,
)


@pytest.mark.parametrize(("grasps", "column"), [(5000, "target_5k"), (28000, "target_28k"),
                                                (2, "target_2"), (1500, "target_1500")])
def test_budget_columns_round_trip(grasps: int, column: str) -> None:
    assert budget_column(grasps) == column
    assert grasps_of(column) == grasps
    assert grasps_of("target_0") == 0 and grasps_of("sim") is None


def test_budgets_are_checked_and_sorted() -> None:
    assert check_budgets([28000, 5000]) == (5000, 28000)
    assert columns((28000, 5000)) == ["sim", "target_0", "target_5k", "target_28k"]
    for bad in ([0], [-5], [5, 5], [1000, 1000]):
        with pytest.raises(RcanError, match="finetune grasps"):
            check_budgets(bad)


def test_rows_are_checked_and_ordered() -> None:
    assert check_rows(["rcan", "canonical"]) == ("canonical", "rcan")
    with pytest.raises(RcanError, match="unknown row 'dr'"):
        check_rows(["canonical", "dr"])
    with pytest.raises(RcanError, match="no rows"):
        check_rows([])


def _cell(successes: int, episodes: int) -> dict[str, Any]:
    rate = wilson(successes, episodes)
    return make_cell({"success": rate.success, "ci_low": rate.ci_low,
                      "ci_high": rate.ci_high, "episodes": episodes, "extra": 1})


def test_table_check_accepts_the_shape_and_names_the_culprit() -> None:
    good = {"rcan": {"sim": _cell(9, 10), "target_0": _cell(5, 10), "target_5k": _cell(8, 10)}}
    assert check_table(good, "t.json") is good
    assert set(good["rcan"]["sim"]) == {"success", "ci_low", "ci_high", "episodes"}
    swapped = {"rcan": {"sim": {**_cell(9, 10), "ci_low": 0.95}, "target_0": _cell(5, 10)}}
    with pytest.raises(RcanError, match=r"t.json: rcan.sim: need 0 <= ci_low"):
        check_table(swapped, "t.json")
    with pytest.raises(RcanError, match="unknown row 'dr'"):
        check_table({"dr": good["rcan"]}, "t.json")
    with pytest.raises(RcanError, match="needs at least 'sim' and 'target_0'"):
        check_table({"rcan": {"sim": _cell(1, 2)}}, "t.json")
    with pytest.raises(RcanError, match="episodes must be a positive integer"):
        check_table({"rcan": {"sim": {**_cell(1, 2), "episodes": 0},
                              "target_0": _cell(1, 2)}}, "t.json")


def test_cell_text_and_meta_path() -> None:
    assert format_cell(_cell(1, 2)) == "50.0% [9.5, 90.5] n=2"
    assert format_cell(None) == "-"
    assert str(meta_path("results/table1.json")) == "results/table1.meta.json"
