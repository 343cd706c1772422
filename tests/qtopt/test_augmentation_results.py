"""results/augmentation: compare.json is what compare.py makes of the published curves, and the
README quotes it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

RESULTS = Path(__file__).resolve().parents[2] / "results" / "augmentation"

COMPARE = RESULTS / "compare.py"


@pytest.mark.skipif(not (RESULTS / "compare.json").is_file(), reason="not published")
def test_compare_json_is_recomputed_from_the_published_curves(load_script) -> None:
    assert load_script(COMPARE).compare() == json.loads((RESULTS / "compare.json").read_text())


@pytest.mark.skipif(not (RESULTS / "compare.json").is_file(), reason="not published")
def test_readme_quotes_the_pooled_success_and_every_point(load_script) -> None:
    summary = json.loads((RESULTS / "compare.json").read_text())
    readme = (RESULTS / "README.md").read_text()
    for key in ("plain", "shift4"):
        pooled = summary["pooled_over_points"][key]
        assert f"{100 * pooled['success']:.1f}% [{100 * pooled['ci_low']:.1f}, " \
               f"{100 * pooled['ci_high']:.1f}]" in readme, key
    assert load_script(COMPARE).table(summary) in readme


SHIFT4 = RESULTS.parent / "policy_canonical_shift4"


@pytest.mark.skipif(not (SHIFT4 / "snapshots.json").is_file(), reason="not published")
def test_snapshot_table_is_recomputed_and_quoted(load_script) -> None:
    module = load_script(SHIFT4 / "snapshots.py")
    summary = module.summarize()
    assert summary == json.loads((SHIFT4 / "snapshots.json").read_text())
    assert module.table(summary) in (SHIFT4 / "README.md").read_text()
    rows = summary["rows"]
    best = max(rows, key=lambda r: (r["validation"]["success"], r["grasps"]))
    assert summary["chosen_on_validation"] == best["grasps"]
    assert summary["validation_settings"]["objects"] != "test"
    assert all(r["held_out"]["episodes"] == 200 for r in rows)


@pytest.mark.skipif(not (SHIFT4 / "ensemble" / "ensemble.json").is_file(),
                    reason="not published")
def test_ensemble_table_is_recomputed_and_quoted(load_script) -> None:
    from rcan.common.stats import wilson

    module = load_script(SHIFT4 / "ensemble" / "table.py")
    summary = module.summarize()
    assert summary == json.loads((SHIFT4 / "ensemble" / "ensemble.json").read_text())
    readme = (SHIFT4 / "README.md").read_text()
    assert module.table(summary) in readme
    for row in summary["rows"]:
        assert len(row["members"]) == row["k"]
        for objects in ("test", "train"):
            score = row[objects]
            successes = round(score["success"] * score["episodes"])
            assert score["ci_low"] == pytest.approx(wilson(successes, score["episodes"]).ci_low)
    # the size the README reports on held-out objects is the one validation (training objects)
    # picks
    best = max(summary["rows"], key=lambda r: r["train"]["success"])
    assert f"K = {best['k']} grasps **{module.cell(best['test'])}**" in readme
    # ... and the one select-snapshot picked among single snapshots and ensembles, on the same
    # validation episodes (same scores: the evaluations are deterministic)
    selection = json.loads((SHIFT4 / "ensemble" / "selection.json").read_text())
    assert selection["settings"]["objects"] != "test"
    assert selection["best"].get("k") == best["k"]
    chosen = next(e for e in selection["ensembles"] if e["k"] == best["k"])
    assert chosen["success"] == best["train"]["success"]
    singles = [s["success"] for s in selection["snapshots"]]
    assert f"{100 * min(singles):.1f}-{100 * max(singles):.1f}%" in " ".join(readme.split())


SEED1 = RESULTS.parent / "policy_canonical_shift4_seed1"


@pytest.mark.skipif(not (SEED1 / "ensemble_32k").is_dir(), reason="not published")
def test_second_seed_ensemble_rows_quote_their_evaluations() -> None:
    rows = [line for line in (SEED1 / "README.md").read_text().splitlines()
            if line.startswith(("| 32,000 |", "| 38,000 |"))]
    assert len(rows) == 2
    for grasps, row in zip((32, 38), rows, strict=True):
        cells = [c.strip() for c in row.strip("|").split("|")]
        closed = []
        for k, cell in zip((1, 5), cells[1:3], strict=True):
            result = json.loads((SEED1 / f"ensemble_{grasps}k" / f"test_s30000_k{k}.json")
                                .read_text())
            assert result["objects"] == "test" and result["episodes"] == 600
            members = result["ensemble"] or [result["policy"]]
            assert len(members) == k
            if k == 5:
                assert members[-1].endswith(f"grasps_0{grasps}000")
            assert cell == (f"{100 * result['success']:.1f}% [{100 * result['ci_low']:.1f}, "
                            f"{100 * result['ci_high']:.1f}]")
            closed.append(str(result["outcomes"]["closed_on_nothing"]))
        assert cells[3] == " / ".join(closed)
