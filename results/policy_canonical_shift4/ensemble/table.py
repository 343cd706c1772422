"""The augmented run acting with the mean Q of its last K snapshots, K = 1, 3, 5, 10.

Reads the ``rcan evaluate runs/policy_canonical_shift4 --ensemble K`` results kept here
(``<objects>_s<seed>_k<K>.json``: 600 episodes each, held-out test objects under seed 30,000
and training objects under seed 40,000, episodes none of the earlier evaluations used), writes
ensemble.json and prints the Markdown table the README quotes. Run from the repository root:

    python results/policy_canonical_shift4/ensemble/table.py
"""

import json
import re
from pathlib import Path

HERE = Path(__file__).resolve().parent
NAME = re.compile(r"(?P<objects>test|train)_s(?P<seed>\d+)_k(?P<k>\d+)\.json")
KEYS = ("success", "ci_low", "ci_high", "episodes")
COLUMNS = (("test", "held-out objects"), ("train", "training objects"))


def summarize() -> dict:
    rows: dict[int, dict] = {}
    for path in sorted(HERE.glob("*.json")):
        match = NAME.fullmatch(path.name)
        if match is None:
            continue
        result = json.loads(path.read_text())
        members = result.get("ensemble") or [result["policy"]]
        assert len(members) == int(match["k"]), path.name
        assert result["objects"] == match["objects"] and result["seed"] == int(match["seed"])
        row = rows.setdefault(int(match["k"]), {"k": int(match["k"]), "members": members})
        row[match["objects"]] = {"seed": result["seed"], **{k: result[k] for k in KEYS},
                                 "closed_on_nothing": result["outcomes"]["closed_on_nothing"]}
    return {"command": "python results/policy_canonical_shift4/ensemble/table.py",
            "rows": [rows[k] for k in sorted(rows)]}


def cell(score: dict | None) -> str:
    if score is None:
        return "-"
    return (f"{100 * score['success']:.1f}% [{100 * score['ci_low']:.1f}, "
            f"{100 * score['ci_high']:.1f}]")


def table(summary: dict) -> str:
    """One line per ensemble size; snapshot names shortened to their grasp counts."""
    head = "| snapshots averaged | " + " | ".join(title for _, title in COLUMNS) + " |"
    lines = [head, "|---" * (len(COLUMNS) + 1) + "|"]
    for row in summary["rows"]:
        grasps = [int(m.rstrip("/").rsplit("_", 1)[-1]) // 1000 for m in row["members"]
                  if "grasps_" in m]
        label = (f"{row['k']} ({grasps[0]}k-{grasps[-1]}k)" if grasps
                 else "1 (the final network)")
        lines.append(f"| {label} | " + " | ".join(cell(row.get(o)) for o, _ in COLUMNS) + " |")
    return "\n".join(lines)


if __name__ == "__main__":
    result = summarize()
    (HERE / "ensemble.json").write_text(json.dumps(result, indent=2) + "\n")
    print(table(result))
