"""results/finetune_target/README.md quotes its curves and evaluations faithfully."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

RESULTS = Path(__file__).resolve().parents[2] / "results" / "finetune_target"
COLUMNS = [500, 1000, 2000, 3000, 4000, 5000]
ROWS = {"lr1e-4_curve.json": "learning rate 1e-4 (the run's own)",
        "lr1e-5_curve.json": "learning rate 1e-5",
        "shift4_curve.json": "1e-4 with `--image-shift 4`",
        "frozen_raw_curve.json": "1e-4 with `--freeze-raw-input`",
        "canonical_replay_curve.json":
            "1e-4, `--freeze-raw-input`, the canonical run's replay as [c, c]",
        "no_updates_curve.json": "no gradient steps (control)"}


def _pct(rate: float, digits: int = 0) -> str:
    return f"{100 * rate:.{digits}f}%"


@pytest.mark.skipif(not RESULTS.is_dir(), reason="not published")
def test_table_rows_are_the_curves() -> None:
    readme = (RESULTS / "README.md").read_text()
    start = json.loads((RESULTS / "start_100.json").read_text())
    assert start["episodes"] == 100 and start["domain"] == "target"
    for name, label in ROWS.items():
        curve = {p["grasps"]: p for p in json.loads((RESULTS / name).read_text())}
        assert all(p["episodes"] == 100 for p in curve.values())
        cells = [_pct(start["success"])] + [
            _pct(curve[g]["success"]) if g in curve else "" for g in COLUMNS]
        assert f"| {label} | " + " | ".join(cells) + " |" in readme, name


@pytest.mark.skipif(not RESULTS.is_dir(), reason="not published")
def test_the_200_episode_figure_is_quoted() -> None:
    result = json.loads((RESULTS / "lr1e-4_5k_eval_200.json").read_text())
    assert result["episodes"] == 200
    quoted = (f"**{_pct(result['success'], 1)}** [{100 * result['ci_low']:.1f}, "
              f"{100 * result['ci_high']:.1f}]")
    assert quoted in (RESULTS / "README.md").read_text()
