"""What translation costs the shipped policy: the same episodes played through the translator
(G(x)) and through a perfect one (the state's own canonical render; ``rcan evaluate
--perfect-translation``). The Markdown table of results/translation_cost/README.md.

    python results/translation_cost/table.py
"""

from __future__ import annotations

import json
from pathlib import Path

from rcan.common.stats import wilson

HERE = Path(__file__).resolve().parent
ZERO_SHOT = HERE.parent / "zero_shot"
#: (domain, seed, evaluation through G(x), evaluation through a perfect translation).
ROWS = [
    ("target", 10_000, ZERO_SHOT / "rcan_init50k_target.json", HERE / "target_perfect_s10000.json"),
    ("target", 20_000, HERE / "target_gx_s20000.json", HERE / "target_perfect_s20000.json"),
    ("examples/otherbin", 10_000, ZERO_SHOT / "rcan_init50k_otherbin.json",
     HERE / "otherbin_perfect_s10000.json"),
    ("examples/otherbin", 20_000, HERE / "otherbin_gx_s20000.json",
     HERE / "otherbin_perfect_s20000.json"),
    ("randomized (training domain)", 10_000, ZERO_SHOT / "rcan_init50k_randomized.json",
     HERE / "randomized_perfect_s10000.json"),
]

#: The per-class table: which pixels come from the true canonical render (the rest G(x)),
#: target domain, seed 20,000, 300 episodes.
CLASS_ROWS = [
    ("none (G(x) everywhere)", HERE / "target_gx_s20000.json"),
    ("object", HERE / "target_perfect_object_s20000.json"),
    ("arm, gripper", HERE / "target_perfect_robot_s20000.json"),
    ("background, table, tray", HERE / "target_perfect_scene_s20000.json"),
    ("arm, gripper, object", HERE / "target_perfect_robot_object_s20000.json"),
    ("all but object", HERE / "target_perfect_all_but_object_s20000.json"),
    ("all (perfect translation)", HERE / "target_perfect_s20000.json"),
]


def load(path: Path) -> dict:
    """One ``rcan evaluate`` result."""
    return json.loads(path.read_text())


def cell(result: dict) -> str:
    """Success with its 95% interval, in percent."""
    return (f"{100 * result['success']:.1f}% [{100 * result['ci_low']:.1f}, "
            f"{100 * result['ci_high']:.1f}]")


def table() -> str:
    """One row per (domain, episode seed), and the two target rows pooled."""
    lines = ["| domain | episode seed | episodes | through G(x) | perfect translation | "
             "cost of translation |", "|---|---|---|---|---|---|"]
    pooled = {"gx": [0, 0], "perfect": [0, 0]}
    for domain, seed, gx_path, perfect_path in ROWS:
        gx, perfect = load(gx_path), load(perfect_path)
        # evaluations from before rcan evaluate recorded its seed used the default, 10,000
        assert gx.get("seed", 10_000) == perfect["seed"] == seed
        assert gx["episodes"] == perfect["episodes"] and gx["domain"] == perfect["domain"]
        assert perfect["perfect_translation"] and not gx.get("perfect_translation", False)
        cost = 100 * (perfect["success"] - gx["success"])
        lines.append(f"| {domain} | {seed:,} | {gx['episodes']} | {cell(gx)} | {cell(perfect)} "
                     f"| {cost:.1f} points |")
        if domain == "target":
            for key, result in (("gx", gx), ("perfect", perfect)):
                pooled[key][0] += result["outcomes"]["success"]
                pooled[key][1] += result["episodes"]
    gx_all, perfect_all = (wilson(*pooled[k]) for k in ("gx", "perfect"))
    episodes = pooled["gx"][1]
    rows = [{"success": r.success, "ci_low": r.ci_low, "ci_high": r.ci_high}
            for r in (gx_all, perfect_all)]
    lines.append(f"| target, both seeds | | {episodes} | {cell(rows[0])} | {cell(rows[1])} | "
                 f"{100 * (perfect_all.success - gx_all.success):.1f} points |")
    return "\n".join(lines)


def class_table() -> str:
    """Success when only some classes' pixels are translated perfectly (by the true mask)."""
    lines = ["| true canonical pixels (the rest G(x)) | success | 95% interval | closed on nothing "
             "| ended open | timeouts |", "|---|---|---|---|---|---|"]
    for label, path in CLASS_ROWS:
        r = load(path)
        assert (r["seed"], r["episodes"], r["domain"]) == (20_000, 300, "target")
        o = r["outcomes"]
        lines.append(f"| {label} | {100 * r['success']:.1f}% | [{100 * r['ci_low']:.1f}, "
                     f"{100 * r['ci_high']:.1f}] | {o['closed_on_nothing']} | {o['ended_open']} "
                     f"| {r['timeouts']} |")
    return "\n".join(lines)


if __name__ == "__main__":
    print(table())
    print()
    print(class_table())
