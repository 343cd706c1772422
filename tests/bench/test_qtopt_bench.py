"""``rcan bench qtopt`` writes every figure it reports (tiny repeat counts: shape, not speed)."""

from __future__ import annotations

import json
from pathlib import Path

from rcan.bench.qtopt_bench import QtOptBenchConfig, bench_qtopt


def test_every_figure_is_written(tmp_path: Path) -> None:
    out = tmp_path / "qtopt_bench.json"
    result = bench_qtopt(QtOptBenchConfig(translator=None, threads=1, repeats=2, ensemble=2,
                                          train_steps=1, out=out))
    assert json.loads(out.read_text()) == json.loads(json.dumps(result))
    for key in ("act_ms_canonical", "act_ms_canonical_ensemble2", "cem_batched_over_loop",
                "train_steps_per_s_batch64"):
        assert result[key] > 0, key
    assert "act_ms_rcan" not in result  # no translator given
