"""Every kept curve point of the augmented run, on validation and on held-out episodes.

Reads selection.json (``rcan select-snapshot``: 200 episodes with training objects, seed
20,000, per snapshot) and held_out/grasps_N.json (``rcan evaluate RUN/snapshots/grasps_N
--episodes 200``: the held-out test objects, seed 10,000), writes snapshots.json and prints the
Markdown table the README quotes. Run from the repository root:

    python results/policy_canonical_shift4/snapshots.py
"""

import json
from pathlib import Path

HERE = Path(__file__).resolve().parent
KEYS = ("success", "ci_low", "ci_high", "episodes")


def summarize() -> dict:
    selection = json.loads((HERE / "selection.json").read_text())
    rows = []
    for score in selection["snapshots"]:
        held_out = json.loads((HERE / "held_out" / f"grasps_{score['grasps']:06d}.json")
                              .read_text())
        rows.append({"grasps": score["grasps"],
                     "validation": {k: score[k] for k in KEYS},
                     "held_out": {k: held_out[k] for k in KEYS}})
    chosen = selection["best"]["grasps"]
    return {"command": "python results/policy_canonical_shift4/snapshots.py",
            "validation_settings": selection["settings"], "rows": rows,
            "chosen_on_validation": chosen, "last": rows[-1]["grasps"]}


def table(summary: dict) -> str:
    """One line per snapshot; the one chosen on validation in bold."""
    lines = ["| grasps | validation (training objects) | held-out objects |", "|---|---|---|"]
    for row in summary["rows"]:
        v, h = row["validation"], row["held_out"]
        cells = [f"{row['grasps']:,}", f"{100 * v['success']:.1f}%",
                 f"{100 * h['success']:.1f}% [{100 * h['ci_low']:.1f}, {100 * h['ci_high']:.1f}]"]
        if row["grasps"] == summary["chosen_on_validation"]:
            cells = [f"**{c}**" for c in cells]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


if __name__ == "__main__":
    result = summarize()
    (HERE / "snapshots.json").write_text(json.dumps(result, indent=2) + "\n")
    print(table(result))
