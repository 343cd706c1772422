"""results/translation_cost: the README quotes the tables its script makes from the evaluations,
and every 'perfect' evaluation really fed the canonical render (no translator where it was
whole)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

RESULTS = Path(__file__).resolve().parents[2] / "results" / "translation_cost"
pytestmark = pytest.mark.skipif(not (RESULTS / "table.py").is_file(), reason="not published")


def test_readme_quotes_the_tables(load_script) -> None:
    script = load_script(RESULTS / "table.py")
    readme = (RESULTS / "README.md").read_text()
    assert script.table() in readme and script.class_table() in readme


def test_perfect_rows_used_no_translator_and_the_others_one() -> None:
    for path in sorted(RESULTS.glob("*.json")):
        result = json.loads(path.read_text())
        perfect = "_perfect_" in path.name
        assert result.get("perfect_translation", False) is perfect, path.name
        # a whole perfect translation needs no translator; G(x) and partial ones do
        whole = perfect and len(result.get("perfect_classes", [])) in (0, 6)
        assert (result["translator"] is None) is whole, path.name
        assert result["policy"] == "models/policy_rcan" and result["objects"] == "test"
        assert sum(result["outcomes"].values()) == result["episodes"]
