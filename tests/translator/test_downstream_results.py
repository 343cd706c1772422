"""results/translator/downstream: summary.json is what table.py makes of the measurements, the
README quotes its table, and every policy figure was measured on 200 episodes of the settings
the README states."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

RESULTS = Path(__file__).resolve().parents[2] / "results" / "translator"
DOWNSTREAM = RESULTS / "downstream"
TABLE = DOWNSTREAM / "table.py"
pytestmark = pytest.mark.skipif(not (DOWNSTREAM / "summary.json").is_file(),
                                reason="not published")


def test_summary_is_recomputed_from_the_measurements(load_script) -> None:
    assert load_script(TABLE).summarize() == json.loads((DOWNSTREAM / "summary.json").read_text())


def test_readme_quotes_the_table(load_script) -> None:
    summary = json.loads((DOWNSTREAM / "summary.json").read_text())
    assert load_script(TABLE).table(summary) in (RESULTS / "README.md").read_text()


def test_every_policy_figure_uses_the_stated_episodes() -> None:
    manifest = json.loads((DOWNSTREAM / "translators.json").read_text())
    for name in manifest:
        validation = json.loads((DOWNSTREAM / name / "policy_validation.json").read_text())
        target = json.loads((DOWNSTREAM / name / "policy_target.json").read_text())
        assert (validation["domain"], validation["objects"]) == ("randomized", "train"), name
        assert (target["domain"], target["objects"]) == ("target", "test"), name
        assert validation["episodes"] == target["episodes"] == 200, name
        assert validation["policy"] == target["policy"] == "models/policy_rcan", name
        assert (validation["seed"], target["seed"]) == (20000, 10000), name
        checkpoint = manifest[name]["checkpoint"]
        assert validation["translator"] == target["translator"] == checkpoint, name


def test_shipped_row_matches_the_zero_shot_table() -> None:
    """The shipped translator's target row is the zero-shot table's headline figure."""
    shipped = json.loads((DOWNSTREAM / "shipped" / "policy_target.json").read_text())
    readme = (RESULTS.parent / "zero_shot" / "README.md").read_text()
    assert f"**{100 * shipped['success']:.1f}%**" in readme
