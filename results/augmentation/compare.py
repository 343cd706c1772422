"""Side by side: the canonical learning curve without and with random-shift augmentation.

Reads the published curves (results/policy_canonical/curve.json and
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
from rcan.common.stats import wilson  # noqa: E402

RUNS = {"plain": "policy_canonical", "shift4": "policy_canonical_shift4"}
OUT = ROOT / "results" / "augmentation"


def load_curve(name: str) -> dict[int, dict]:
    curve = json.loads((ROOT / "results" / name / "curve.json").read_text())
    return {int(p["grasps"]): p for p in curve}


def compare() -> dict:
    curves = {key: load_curve(name) for key, name in RUNS.items()}
    common = sorted(set(curves["plain"]) & set(curves["shift4"]))
    points = [{"grasps": g, **{key: {k: curves[key][g][k] for k in
                                     ("success", "ci_low", "ci_high", "episodes")}
                               for key in RUNS}} for g in common]
    pooled = {}
    for key in RUNS:
        wins = sum(round(curves[key][g]["success"] * curves[key][g]["episodes"]) for g in common)
        episodes = sum(curves[key][g]["episodes"] for g in common)
        rate = wilson(wins, episodes)
        pooled[key] = {"success": rate.success, "ci_low": rate.ci_low, "ci_high": rate.ci_high,
                       "episodes": episodes}
    return {"command": "python results/augmentation/compare.py", "runs": RUNS,
            "points": points, "pooled_over_points": pooled}


LABELS = {"plain": "no augmentation", "shift4": "random shift, 4 px"}


def table(summary: dict) -> str:
    """The README's table: one column per common grasp count, one row per run."""
    points = summary["points"]
    lines = ["| grasps | " + " | ".join(f"{p['grasps']:,}" for p in points) + " |",
             "|---|" + "---|" * len(points)]
    for key, label in LABELS.items():
        lines.append(f"| {label} | "
                     + " | ".join(f"{100 * p[key]['success']:.0f}%" for p in points) + " |")
    return "\n".join(lines)


def plot(summary: dict) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5.5, 3.4), dpi=120)
    grasps = [p["grasps"] for p in summary["points"]]
    for key, label in LABELS.items():
        ax.plot(grasps, [p[key]["success"] for p in summary["points"]], marker="o", label=label)
        ax.fill_between(grasps, [p[key]["ci_low"] for p in summary["points"]],
                        [p[key]["ci_high"] for p in summary["points"]], alpha=0.2)
    ax.set_xlabel("simulated grasps")
    ax.set_ylabel("success, held-out objects")
    ax.set_ylim(0, 1)
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left")
    fig.tight_layout()
    fig.savefig(OUT / "compare.png")
    plt.close(fig)


if __name__ == "__main__":
    result = compare()
    (OUT / "compare.json").write_text(json.dumps(result, indent=2) + "\n")
    plot(result)
    print(table(result))
    print(json.dumps(result["pooled_over_points"], indent=2))
