"""The README's table: do lifting on close and ending on a held object teach QT-Opt to retry?

Three canonical runs of the same recipe (``--image-shift 4``, 100-episode curve points every
2,000 grasps), told apart by their MDP: the baseline (policy_canonical_shift4_cos), lift on close
with scripted retries (policy_canonical_shift4_lift: ``--env.lift-on-close
--exploration.scripted-retry 0.5``) and the same plus end on hold (policy_canonical_shift4_hold:
``--env.end-on-hold``). Each run's snapshot at the same number of grasps plays the same 600
held-out episodes (seed 30,000). Reads the ``rcan evaluate`` JSONs here, prints the Markdown
table the README quotes and writes lift.json. Run from the repository root:

    python results/lift_on_close/table.py
"""

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "src"))
from rcan.common.stats import paired_comparison  # noqa: E402

HERE = ROOT / "results" / "lift_on_close"

#: (label, evaluation file); the first row is the baseline the others are paired with.
ROWS = (
    ("baseline", "cos_12k_s30000.json"),
    ("lift on close + scripted retries", "lift_12k_s30000.json"),
    ("lift on close + scripted retries + end on hold", "hold_12k_s30000.json"),
)
SAME = ("domain", "objects", "seed", "episodes", "actor_seed")


def _load(name: str) -> dict:
    return json.loads((HERE / name).read_text())


def summarize() -> dict:
    rows = {}
    base = _load(ROWS[0][1])
    for label, name in ROWS:
        result = _load(name)
        for key in SAME:
            assert base.get(key, 0) == result.get(key, 0), (label, key)
        paired = paired_comparison(base["success_by_episode"], result["success_by_episode"])
        rows[label] = {"file": f"results/lift_on_close/{name}", "policy": result["policy"],
                       "success": result["success"], "ci_low": result["ci_low"],
                       "ci_high": result["ci_high"],
                       "mean_episode_length": result["mean_episode_length"],
                       "timeouts": result["timeouts"], "retries": result["retries"],
                       "difference": paired.difference, "p_value": paired.p_value}
    return {"command": "python results/lift_on_close/table.py", "rows": rows}


def table(summary: dict) -> str:
    lines = ["| MDP (12,000 grasps) | success [95% CI] | vs baseline (paired) | mean length | "
             "timeouts | grasp attempts per episode | episodes with 2+ attempts (succeeded) |",
             "|---|---|---|---|---|---|---|"]
    for i, (label, row) in enumerate(summary["rows"].items()):
        paired = "-" if i == 0 else f"{100 * row['difference']:+.1f} (p = {row['p_value']:.2g})"
        lines.append(
            f"| {label} | {100 * row['success']:.1f}% [{100 * row['ci_low']:.1f}, "
            f"{100 * row['ci_high']:.1f}] | {paired} | {row['mean_episode_length']:.1f} | "
            f"{row['timeouts']} | {row['retries']['mean_attempts']:.2f} | "
            f"{row['retries']['episodes']} ({row['retries']['success']}) |")
    return "\n".join(lines)


if __name__ == "__main__":
    result = summarize()
    (HERE / "lift.json").write_text(json.dumps(result, indent=2) + "\n")
    print(table(result))
