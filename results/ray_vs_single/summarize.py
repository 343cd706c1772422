"""Pool the per-seed evaluations of run.sh into summary.json (one Wilson interval per wiring)."""

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "src"))
from rcan.common.stats import wilson

runs = Path("runs/ray_vs_single")
summary: dict = {"command": "bash results/ray_vs_single/run.sh && "
                 "python results/ray_vs_single/summarize.py", "per_seed": {}, "pooled": {}}
for wiring in ("single", "ray"):
    wins = episodes = 0
    for seed in (0, 1, 2):
        m = json.loads((runs / f"{wiring}_{seed}" / "metrics.json").read_text())
        summary["per_seed"][f"{wiring}_{seed}"] = {k: m[k] for k in
                                                   ("success", "ci_low", "ci_high", "episodes",
                                                    "grasps_trained")}
        wins += round(m["success"] * m["episodes"])
        episodes += m["episodes"]
    rate = wilson(wins, episodes)
    summary["pooled"][wiring] = {"success": rate.success, "ci_low": rate.ci_low,
                                 "ci_high": rate.ci_high, "episodes": episodes}
s, r = summary["pooled"]["single"], summary["pooled"]["ray"]
summary["ray_within_single_ci"] = s["ci_low"] <= r["success"] <= s["ci_high"]
summary["intervals_overlap"] = r["ci_low"] <= s["ci_high"] and s["ci_low"] <= r["ci_high"]
Path("results/ray_vs_single/summary.json").write_text(json.dumps(summary, indent=2) + "\n")
print(json.dumps(summary["pooled"], indent=2), summary["ray_within_single_ci"],
      summary["intervals_overlap"])
