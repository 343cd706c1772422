"""The benchmark's reporting: keys, and a ratio that is really ours over the peer's."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rcan.bench.sim_bench import SimBenchConfig, bench_sim


def test_bench_sim_writes_consistent_json(tmp_path: Path) -> None:
    out = tmp_path / "sim_bench.json"
    result = bench_sim(
        SimBenchConfig(episodes=2, peer_episodes=1, render_repeats=3, image_size=32, out=out)
    )
    saved = json.loads(out.read_text())
    for key in ("ours_episodes_per_s", "peer_episodes_per_s", "ratio", "ours_steps_per_s",
                "peer_steps_per_s", "paired_render_ms_64"):
        assert saved[key] == pytest.approx(result[key])
        assert saved[key] > 0
    ratio = saved["ours_episodes_per_s"] / saved["peer_episodes_per_s"]
    assert saved["ratio"] == pytest.approx(ratio)
    ours = saved["ours"]
    assert ours["episodes_per_s"] == pytest.approx(ours["episodes"] / ours["seconds"])
    assert saved["peer"]["episodes"] == 1
