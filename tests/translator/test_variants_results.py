"""results/translator/variants: the README quotes the table made from the runs' metrics, and
each run's config is the shipped recipe with exactly the change its row names."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

RESULTS = Path(__file__).resolve().parents[2] / "results" / "translator"
VARIANTS = RESULTS / "variants"
pytestmark = pytest.mark.skipif(not (VARIANTS / "table.py").is_file(), reason="not published")


def _table_module():
    spec = importlib.util.spec_from_file_location("variants_table", VARIANTS / "table.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_readme_quotes_the_table() -> None:
    assert _table_module().table() in (RESULTS / "README.md").read_text()


@pytest.mark.parametrize(("name", "changed"), [
    ("mask5", ("losses", "mask", 5.0)),
    ("batchnorm", ("generator", "norm", "batch")),
])
def test_each_variant_changes_one_setting(name: str, changed: tuple[str, str, object]) -> None:
    config = json.loads((VARIANTS / name / "config.json").read_text())
    metrics = json.loads((VARIANTS / name / "metrics.json").read_text())
    model = config["model"]
    assert (config["steps"], config["seed"], metrics["step"]) == (2000, 0, 2000)
    assert model["losses"]["gan"] == 0.1 and model["lr"] == 2e-4
    part, key, value = changed
    assert model[part][key] == value
    defaults = {"mask": 1.0, "norm": "instance"}
    for other, default in defaults.items():
        if other != key:
            section = model["losses"] if other == "mask" else model["generator"]
            assert section[other] == default
    for domain in ("randomized", "target"):
        assert metrics[domain]["images"] == 1024
