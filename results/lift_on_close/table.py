"""The README's table: does a policy trained to lift on close learn to retry, and does it pay?

Two canonical runs, the same recipe but for ``--env.lift-on-close --exploration.scripted-retry
0.5`` (policy_canonical_shift4_lift) against the cosine baseline (policy_canonical_shift4_cos),
each evaluated at the same number of grasps on the same 600 held-out episodes (seed 30,000),
with one network and with the ensemble of its last 5 snapshots. Reads the ``rcan evaluate``
JSONs here, prints the Markdown table the README quotes and writes lift.json. Run from the
repository root:

    python results/lift_on_close/table.py
"""

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "src"))
from rcan.common.stats import paired_comparison  # noqa: E402

HERE = ROOT / "results" / "lift_on_close"

#: (label, baseline evaluation, lift-on-close evaluation)
PAIRS = (
    ("one network", "baseline_final_s30000.json", "lift_final_s30000.json"),
    ("last-5-snapshot ensemble", "baseline_ensemble5_s30000.json",
     "lift_ensemble5_s30000.json"),
)
SAME = ("domain", "objects", "seed", "episodes", "actor_seed")


def _load(name: str) -> dict:
    return json.loads((HERE / name).read_text())


def _rate(result: dict, name: str) -> dict:
    return {"file": f"results/lift_on_close/{name}", "success": result["success"],
            "ci_low": result["ci_low"], "ci_high": result["ci_high"],
            "mean_episode_length": result["mean_episode_length"],
            "timeouts": result["timeouts"], "retries": result["retries"]}


def summarize() -> dict:
    rows = {}
    for label, base_name, lift_name in PAIRS:
        base, lift = _load(base_name), _load(lift_name)
        for key in SAME:
            assert base.get(key, 0) == lift.get(key, 0), (label, key)
        paired = paired_comparison(base["success_by_episode"], lift["success_by_episode"])
        rows[label] = {"baseline": _rate(base, base_name), "lift_on_close": _rate(lift, lift_name),
                       "difference": paired.difference, "p_value": paired.p_value}
    return {"command": "python results/lift_on_close/table.py", "rows": rows}


def _cell(rate: dict) -> str:
    retries = rate["retries"]
    return (f"{100 * rate['success']:.1f}% [{100 * rate['ci_low']:.1f}, "
            f"{100 * rate['ci_high']:.1f}], {rate['mean_episode_length']:.1f} steps, "
            f"{rate['timeouts']} timeouts, retried {retries['episodes']} "
            f"({retries['success']} succeeded)")


def table(summary: dict) -> str:
    lines = ["| acting | baseline | lift on close | difference (paired) |", "|---|---|---|---|"]
    for label, row in summary["rows"].items():
        lines.append(f"| {label} | {_cell(row['baseline'])} | {_cell(row['lift_on_close'])} | "
                     f"{100 * row['difference']:+.1f} (p = {row['p_value']:.2g}) |")
    return "\n".join(lines)


if __name__ == "__main__":
    result = summarize()
    (HERE / "lift.json").write_text(json.dumps(result, indent=2) + "\n")
    print(table(result))
