"""results/translator/error_anatomy: the README quotes anatomy.json through anatomy.py's table,
and the figures in it hang together."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parents[2] / "results" / "translator"
ANATOMY = HERE / "error_anatomy" / "anatomy.json"


@pytest.mark.skipif(not ANATOMY.is_file(), reason="not published")
def test_readme_quotes_the_anatomy_table(load_script) -> None:
    summary = json.loads(ANATOMY.read_text())
    table = load_script(HERE / "error_anatomy" / "anatomy.py").table(summary)
    assert table in (HERE / "README.md").read_text()
    metrics = json.loads((HERE / "metrics.json").read_text())
    for domain, figures in summary["domains"].items():
        # the same pairs and rule as metrics.json, so the same object IoU
        assert figures["object_iou"] == pytest.approx(metrics[domain]["object_iou"], abs=5e-4)
        assert figures["object_iou_with_object_logit_bias"]["0.0"] == figures["object_iou"]
        assert sum(figures["false_pixels_by_distance"].values()) == pytest.approx(1, abs=1e-3)
        assert sum(figures["false_pixels_true_class"].values()) == figures["false_object_pixels"]
        assert figures["false_pixels_true_class"]["object"] == 0
