"""Side by side: the canonical learning curve without and with random-shift augmentation.

Reads the published curves (results/policy_canonical_plain/curve.json and
results/policy_canonical_shift4/curve.json), keeps the grasp counts both evaluated, and writes
compare.json (both successes per point, and each run's success pooled over those points with
a Wilson interval) and compare.png, and prints the Markdown table the README quotes. Run from
the repository root:

    python results/augmentation/compare.py
"""

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "src"))
from rcan.qtopt.curve import (  # noqa: E402
    compare_curves,
    comparison_table,
    plot_comparison,
    read_curve,
)

RUNS = {"plain": "policy_canonical_plain", "shift4": "policy_canonical_shift4"}
OUT = ROOT / "results" / "augmentation"


def compare() -> dict:
    curves = {key: read_curve(ROOT / "results" / name) for key, name in RUNS.items()}
    return {"command": "python results/augmentation/compare.py", "runs": RUNS,
            **compare_curves(curves)}


LABELS = {"plain": "no augmentation", "shift4": "random shift, 4 px"}


def table(summary: dict) -> str:
    """The README's table: one column per common grasp count, one row per run."""
    return comparison_table(summary, LABELS)


def plot(summary: dict) -> None:
    plot_comparison(summary, OUT / "compare.png", LABELS)


if __name__ == "__main__":
    result = compare()
    (OUT / "compare.json").write_text(json.dumps(result, indent=2) + "\n")
    plot(result)
    print(table(result))
    print(json.dumps(result["pooled_over_points"], indent=2))
