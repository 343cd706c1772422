"""The README quotes every built-in-policy rollout in results/sim_policies faithfully."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ROLLOUTS = sorted((ROOT / "results" / "sim_policies").glob("*.json"))


@pytest.mark.skipif(not ROLLOUTS, reason="no results/sim_policies")
@pytest.mark.parametrize("path", ROLLOUTS, ids=[p.stem for p in ROLLOUTS])
def test_readme_quotes_the_rollout(path: Path) -> None:
    result = json.loads(path.read_text())
    readme = (ROOT / "README.md").read_text().replace("**", "")
    quoted = (f"{100 * result['success']:.1f}% [{100 * result['ci_low']:.1f}, "
              f"{100 * result['ci_high']:.1f}] over {result['episodes']}")
    assert quoted in readme, (path.name, quoted)
    assert f"--policy {result['policy']} --domain" in readme
