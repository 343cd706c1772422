"""How much of an evaluation's outcome is the episode, and how much the policy's own draws?

The same network replays the same 600 held-out episodes (seed 30,000) with other acting draws
(`rcan evaluate --actor-seed S`); if some layouts were hard and others easy, two replays would
agree more often than two independent coin flips of the same success rate. Reads the
``rcan evaluate`` JSONs (actor seed 0 is the plain run of results/patience/), prints the
Markdown table the README quotes and writes chance.json. Run from the repository root:

    python results/acting_chance/table.py
"""

import json
import math
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "src"))
from rcan.common.stats import paired_comparison  # noqa: E402

HERE = ROOT / "results" / "acting_chance"
PATIENCE = ROOT / "results" / "patience"

#: (label, evaluation A, evaluation B): the same policy and episodes, two acting seeds.
PAIRS = (
    ("final network, actor seeds 0 / 1", PATIENCE / "cos_final_s30000_plain.json",
     HERE / "cos_final_s30000_actor1.json"),
    ("final network, actor seeds 0 / 2", PATIENCE / "cos_final_s30000_plain.json",
     HERE / "cos_final_s30000_actor2.json"),
    ("final network, actor seeds 1 / 2", HERE / "cos_final_s30000_actor1.json",
     HERE / "cos_final_s30000_actor2.json"),
    ("last-5-snapshot ensemble, actor seeds 0 / 1",
     PATIENCE / "cos_ensemble5_s30000_plain.json", HERE / "cos_ensemble5_s30000_actor1.json"),
)


def agreement(a: str, b: str) -> dict:
    """Both replays' outcomes side by side: how often they agree, how often two independent
    draws of the same rates would, and the phi coefficient (0: the episode tells nothing)."""
    n = len(a)
    both = sum(x == y == "1" for x, y in zip(a, b, strict=True))
    neither = sum(x == y == "0" for x, y in zip(a, b, strict=True))
    paired = paired_comparison(a, b)
    pa, pb = a.count("1") / n, b.count("1") / n
    phi = ((both * neither - paired.only_a * paired.only_b)
           / math.sqrt(a.count("1") * a.count("0") * b.count("1") * b.count("0")))
    return {"episodes": n, "success_a": pa, "success_b": pb, "both": both, "neither": neither,
            "only_a": paired.only_a, "only_b": paired.only_b,
            "disagree": paired.only_a + paired.only_b,
            "disagree_if_independent": n * (pa * (1 - pb) + pb * (1 - pa)),
            "phi": phi, "p_value": paired.p_value}


def summarize() -> dict:
    rows = {}
    for label, a, b in PAIRS:
        first, second = (json.loads(Path(p).read_text()) for p in (a, b))
        for key in ("domain", "objects", "seed", "episodes", "policy", "ensemble"):
            assert first.get(key) == second.get(key), (label, key)
        rows[label] = {"a": str(Path(a).relative_to(ROOT)), "b": str(Path(b).relative_to(ROOT)),
                       **agreement(first["success_by_episode"], second["success_by_episode"])}
    return {"command": "python results/acting_chance/table.py", "pairs": rows}


def table(summary: dict) -> str:
    lines = ["| replays of the same episodes | success | disagree | if independent | phi |",
             "|---|---|---|---|---|"]
    for label, row in summary["pairs"].items():
        lines.append(f"| {label} | {100 * row['success_a']:.1f}% / {100 * row['success_b']:.1f}% "
                     f"| {row['disagree']} | {row['disagree_if_independent']:.0f} | "
                     f"{row['phi']:+.3f} |")
    return "\n".join(lines)


if __name__ == "__main__":
    result = summarize()
    (HERE / "chance.json").write_text(json.dumps(result, indent=2) + "\n")
    print(table(result))
