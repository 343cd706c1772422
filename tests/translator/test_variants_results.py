"""results/translator/variants: the README quotes the table made from the runs' metrics, and
each run's config is the shipped recipe with exactly the change its row names."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

RESULTS = Path(__file__).resolve().parents[2] / "results" / "translator"
VARIANTS = RESULTS / "variants"
TABLE = VARIANTS / "table.py"
pytestmark = pytest.mark.skipif(not (VARIANTS / "table.py").is_file(), reason="not published")


def test_readme_quotes_the_table(load_script) -> None:
    assert load_script(TABLE).table() in (RESULTS / "README.md").read_text()


@pytest.mark.parametrize(("name", "changes", "steps"), [
    ("mask5", {"mask": 5.0}, 2000),
    ("batchnorm", {"norm": "batch"}, 2000),
    ("mask5_iou_lr1e-3", {"mask": 5.0, "mask_iou": 1.0, "lr": 1e-3}, 6232),
])
def test_each_variant_changes_what_its_row_says(name: str, changes: dict[str, object],
                                                steps: int) -> None:
    config = json.loads((VARIANTS / name / "config.json").read_text())
    metrics = json.loads((VARIANTS / name / "metrics.json").read_text())
    model = config["model"]
    assert (config["seed"], metrics["step"]) == (0, steps)
    settings = {"mask": model["losses"]["mask"], "mask_iou": model["losses"]["mask_iou"],
                "lr": model["lr"], "norm": model["generator"]["norm"],
                "gan": model["losses"]["gan"]}
    shipped = {"mask": 1.0, "mask_iou": 0.0, "lr": 2e-4, "norm": "instance", "gan": 0.1}
    assert settings == {**shipped, **changes}
    for domain in ("randomized", "target"):
        assert metrics[domain]["images"] == 1024
