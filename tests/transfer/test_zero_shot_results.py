"""results/zero_shot/README.md quotes its JSON files faithfully (success, interval, outcomes)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

RESULTS = Path(__file__).resolve().parents[2] / "results" / "zero_shot"
#: README table rows, in order, and the evaluation each one quotes.
ROWS = ["canonical_canonical", "canonical_target", "rcan_init_randomized", "rcan_init_target",
        "rcan_warm_target", "canonical_otherbin", "rcan_init_otherbin", "canonical50k_target",
        "rcan_init50k_randomized", "rcan_init50k_target", "canonical50k_otherbin",
        "rcan_init50k_otherbin", "randomized22k_target", "rcan28k_target",
        "rcan_shift4_50k_target", "canonical_hold_target", "rcan_hold_target",
        "rcan_hold_randomized", "canonical_hold_otherbin", "rcan_hold_otherbin",
        "randomized_hold_otherbin", "rcan_hold_ft_otherbin"]


def _table_rows() -> list[list[str]]:
    lines = (RESULTS / "README.md").read_text().splitlines()
    rows = [line.strip("|").split("|") for line in lines if line.startswith("| ")]
    return [[cell.strip().strip("*") for cell in row] for row in rows[1:]]  # skip the header


@pytest.mark.skipif(not RESULTS.is_dir(), reason="no results/zero_shot")
def test_readme_table_matches_the_evaluations() -> None:
    rows = _table_rows()
    assert len(rows) == len(ROWS)
    for name, row in zip(ROWS, rows, strict=True):
        result = json.loads((RESULTS / f"{name}.json").read_text())
        assert result["episodes"] == 200 and result["objects"] == "test"
        assert row[2] == f"{100 * result['success']:.1f}%", name
        low, high = (float(v) for v in re.findall(r"[\d.]+", row[3]))
        assert (low, high) == (round(100 * result["ci_low"], 1), round(100 * result["ci_high"], 1))
        outcomes = result["outcomes"]
        assert [int(row[4]), int(row[5]), int(row[6])] == [
            outcomes["closed_on_nothing"], outcomes["ended_open"], result["timeouts"]], name
        assert sum(outcomes.values()) == result["episodes"]
