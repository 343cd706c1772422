"""Learning curves side by side: common points, pooled Wilson rates, table, CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rcan.cli import main
from rcan.common.errors import RcanError
from rcan.common.stats import wilson
from rcan.qtopt.curve import compare_curves, comparison_table, read_curve


def _point(grasps: int, wins: int, episodes: int = 10) -> dict:
    rate = wilson(wins, episodes)
    return {"grasps": grasps, "success": rate.success, "ci_low": rate.ci_low,
            "ci_high": rate.ci_high, "episodes": episodes, "gradient_steps": 2 * grasps}


def _write(folder: Path, points: list[dict]) -> Path:
    folder.mkdir(parents=True)
    (folder / "curve.json").write_text(json.dumps(points))
    return folder


def test_compare_keeps_the_common_points_and_pools_them() -> None:
    a = [_point(1000, 2), _point(2000, 5), _point(3000, 9)]
    b = [_point(2000, 6), _point(3000, 3), _point(4000, 10)]
    summary = compare_curves({"a": a, "b": b})
    assert [p["grasps"] for p in summary["points"]] == [2000, 3000]
    assert summary["points"][0]["a"] == {k: a[1][k] for k in
                                         ("success", "ci_low", "ci_high", "episodes")}
    expected = wilson(5 + 9, 20)
    assert summary["pooled_over_points"]["a"]["success"] == pytest.approx(0.7)
    assert summary["pooled_over_points"]["a"]["ci_low"] == pytest.approx(expected.ci_low)
    assert summary["pooled_over_points"]["b"]["episodes"] == 20
    assert comparison_table(summary, {"a": "first"}).splitlines() == [
        "| grasps | 2,000 | 3,000 |", "|---|---|---|", "| first | 50% | 90% |",
        "| b | 60% | 30% |"]


def test_compare_can_pool_only_the_later_points() -> None:
    a = [_point(1000, 0), _point(2000, 5), _point(3000, 9)]
    b = [_point(1000, 10), _point(2000, 6), _point(3000, 3)]
    summary = compare_curves({"a": a, "b": b}, since=2000)
    assert [p["grasps"] for p in summary["points"]] == [1000, 2000, 3000]  # all still shown
    assert summary["pooled_since"] == 2000
    assert summary["pooled_grasps"] == [2000, 3000]
    assert summary["pooled_over_points"]["a"]["success"] == pytest.approx(0.7)
    assert summary["pooled_over_points"]["b"]["success"] == pytest.approx(0.45)
    with pytest.raises(RcanError, match="no grasp count at or after 4,000"):
        compare_curves({"a": a, "b": b}, since=4000)


def test_compare_refuses_one_curve_or_no_common_point() -> None:
    with pytest.raises(RcanError, match="at least two"):
        compare_curves({"a": [_point(1000, 1)]})
    with pytest.raises(RcanError, match="share no grasp count"):
        compare_curves({"a": [_point(1000, 1)], "b": [_point(2000, 1)]})


def test_read_curve_names_what_is_wrong(tmp_path: Path) -> None:
    with pytest.raises(RcanError, match=r"no curve\.json"):
        read_curve(tmp_path)
    (tmp_path / "curve.json").write_text("[{")
    with pytest.raises(RcanError, match="malformed"):
        read_curve(tmp_path)
    (tmp_path / "curve.json").write_text(json.dumps([{"grasps": 1, "success": 0.5}]))
    with pytest.raises(RcanError, match="ci_low"):
        read_curve(tmp_path)


def test_cli_writes_json_and_png(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    one = _write(tmp_path / "one", [_point(1000, 2), _point(2000, 4)])
    two = _write(tmp_path / "two", [_point(1000, 3), _point(2000, 8)])
    out = tmp_path / "cmp"
    assert main(["compare-curves", str(one), str(two), "--out", str(out)]) == 0
    summary = json.loads((out / "compare.json").read_text())
    assert summary["runs"] == {"one": str(one), "two": str(two)}
    assert (out / "compare.png").read_bytes()[:4] == b"\x89PNG"
    assert "| two | 30% | 80% |" in capsys.readouterr().out
    assert main(["compare-curves", str(one), str(two), "--out", str(out),
                 "--since", "2000"]) == 0
    assert "two: pooled over 1 points from 2,000 grasps 80.0%" in capsys.readouterr().out
    assert main(["compare-curves", str(one), str(two), "--out", str(out),
                 "--labels", "same", "same"]) != 0
    assert "expected 2 distinct names" in capsys.readouterr().err
