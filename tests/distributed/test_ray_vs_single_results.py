"""results/ray_vs_single/summary.json agrees with itself: pooled rates are the Wilson intervals
of the per-seed counts, and the comparison flags follow from them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rcan.common.stats import wilson

SUMMARY = Path(__file__).resolve().parents[2] / "results" / "ray_vs_single" / "summary.json"


def test_pooled_rates_follow_from_the_seeds() -> None:
    if not SUMMARY.is_file():
        pytest.skip("results/ray_vs_single not published")
    summary = json.loads(SUMMARY.read_text())
    for wiring in ("single", "ray"):
        seeds = [v for k, v in summary["per_seed"].items() if k.startswith(f"{wiring}_")]
        wins = sum(round(v["success"] * v["episodes"]) for v in seeds)
        episodes = sum(v["episodes"] for v in seeds)
        pooled = summary["pooled"][wiring]
        expected = wilson(wins, episodes)
        assert pooled["episodes"] == episodes
        assert pooled["success"] == pytest.approx(expected.success)
        assert (pooled["ci_low"], pooled["ci_high"]) == pytest.approx(
            (expected.ci_low, expected.ci_high))
        assert all(v["grasps_trained"] == seeds[0]["grasps_trained"] for v in seeds)
    single, ray = summary["pooled"]["single"], summary["pooled"]["ray"]
    assert summary["ray_within_single_ci"] == (single["ci_low"] <= ray["success"]
                                               <= single["ci_high"])
