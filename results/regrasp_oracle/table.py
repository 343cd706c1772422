"""The README's table: each policy plainly and with the regrasp oracle on the same episodes.

Reads the ``rcan evaluate`` JSONs (plain runs from results/patience/, oracle runs here),
prints the Markdown table the README quotes and writes regrasp.json. Run from the root:

    python results/regrasp_oracle/table.py
"""

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "src"))
from rcan.common.stats import paired_comparison  # noqa: E402

HERE = ROOT / "results" / "regrasp_oracle"
PATIENCE = ROOT / "results" / "patience"

#: (label, plain evaluation, oracle evaluations by retries)
ROWS = (
    ("canonical, cosine run's final network, canonical domain, 600 episodes (seed 30,000)",
     PATIENCE / "cos_final_s30000_plain.json",
     {1: HERE / "cos_final_s30000_r1.json", 2: HERE / "cos_final_s30000_r2.json"}),
    ("shipped rcan policy (`models/policy_rcan`), `target`, 200 episodes (seed 10,000)",
     PATIENCE / "rcan_shipped_target_plain.json", {2: HERE / "rcan_shipped_target_r2.json"}),
)


def _load(path: Path) -> dict:
    return json.loads(path.read_text())


def summarize() -> dict:
    rows = {}
    for label, plain_path, oracle_paths in ROWS:
        plain = _load(plain_path)
        row = {"plain": {"file": str(plain_path.relative_to(ROOT)),
                         "success": plain["success"], "ci_low": plain["ci_low"],
                         "ci_high": plain["ci_high"],
                         "mean_episode_length": plain["mean_episode_length"]}}
        for retries, path in oracle_paths.items():
            oracle = _load(path)
            for key in ("domain", "objects", "seed", "episodes", "policy", "actor_seed"):
                assert plain.get(key, 0) == oracle.get(key, 0), (label, key)
            assert oracle["regrasp_oracle"] == retries
            paired = paired_comparison(plain["success_by_episode"], oracle["success_by_episode"])
            row[f"oracle_{retries}"] = {
                "file": str(path.relative_to(ROOT)), "success": oracle["success"],
                "ci_low": oracle["ci_low"], "ci_high": oracle["ci_high"],
                "mean_episode_length": oracle["mean_episode_length"],
                "difference": paired.difference, "p_value": paired.p_value}
        rows[label] = row
    return {"command": "python results/regrasp_oracle/table.py", "rows": rows}


def _cell(rate: dict) -> str:
    text = (f"{100 * rate['success']:.1f}% [{100 * rate['ci_low']:.1f}, "
            f"{100 * rate['ci_high']:.1f}]")
    if "p_value" in rate:
        text += f", {100 * rate['difference']:+.1f} (p = {rate['p_value']:.1g})"
    return text + f", {rate['mean_episode_length']:.1f} steps"


def table(summary: dict) -> str:
    lines = ["| policy and episodes | plain | one oracle regrasp | two oracle regrasps |",
             "|---|---|---|---|"]
    for label, row in summary["rows"].items():
        cells = [_cell(row["plain"])] + [_cell(row[k]) if k in row else "-"
                                         for k in ("oracle_1", "oracle_2")]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


if __name__ == "__main__":
    result = summarize()
    (HERE / "regrasp.json").write_text(json.dumps(result, indent=2) + "\n")
    print(table(result))
