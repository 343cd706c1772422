"""``rcan bench qtopt`` writes every figure it reports (tiny repeat counts: shape, not speed)."""

from __future__ import annotations

import json
from pathlib import Path

from rcan.bench.qtopt_bench import QtOptBenchConfig, bench_qtopt


def test_every_figure_is_written(tmp_path: Path) -> None:
    out = tmp_path / "qtopt_bench.json"
    result = bench_qtopt(QtOptBenchConfig(translator=None, threads=1, repeats=2, ensemble=2,
                                          train_steps=1, train_repeats=1, out=out))
    assert json.loads(out.read_text()) == json.loads(json.dumps(result))
    for key in ("act_ms_canonical", "act_ms_canonical_ensemble2", "cem_batched_over_loop",
                "train_steps_per_s_batch64", "train_steps_per_s_batch64_nchw",
                "train_channels_last_over_nchw"):
        assert result[key] > 0, key
    assert "act_ms_rcan" not in result  # no translator given


def test_readme_quotes_the_published_figures() -> None:
    root = Path(__file__).resolve().parents[2]
    published = json.loads((root / "results" / "qtopt_bench.json").read_text())
    readme = " ".join((root / "README.md").read_text().split())
    assert f"in {published['act_ms_canonical']:.1f} ms from a canonical image" in readme
    assert f"{published['act_ms_rcan']:.1f} ms with the translator" in readme
    assert f"{published['act_ms_canonical_ensemble5']:.1f} ms with a five-snapshot" in readme
    assert f"{published['cem_batched_over_loop']:.1f}x faster" in readme
    assert f"{published['train_steps_per_s_batch64']:.1f} gradient steps/s" in readme
    assert f"{published['train_channels_last_over_nchw']:.2f}x the" in readme
    assert f"{published['train_steps_per_s_batch64_nchw']:.1f} of the same network" in readme
    e2e = json.loads((root / "results" / "qtopt_layout" / "e2e.json").read_text())
    assert (f"took {e2e['seconds']['channels_last']:.0f} s against {e2e['seconds']['nchw']:.0f} s"
            f" with NCHW activations ({e2e['nchw_over_channels_last']:.2f}x" in readme)
