"""The README's table: each policy acting plainly and with patience 1 on the same episodes.

Reads the ``rcan evaluate`` JSONs and the ``rcan compare-evals`` JSONs in this folder and
prints the Markdown table the README quotes. Run from the repository root:

    python results/patience/table.py
"""

import json
from pathlib import Path

HERE = Path(__file__).resolve().parent

#: (row label, file stem): STEM_plain.json and STEM_p1.json, compared in STEM_paired.json.
ROWS = (
    ("canonical, cosine run's final network, canonical domain, 600 episodes (seed 30,000)",
     "cos_final_s30000"),
    ("the same run's last-5-snapshot ensemble, same episodes", "cos_ensemble5_s30000"),
    ("shipped rcan policy (`models/policy_rcan`), `target`, 200 episodes (seed 10,000)",
     "rcan_shipped_target"),
)


def _rate(result: dict) -> str:
    return (f"{100 * result['success']:.1f}% [{100 * result['ci_low']:.1f}, "
            f"{100 * result['ci_high']:.1f}]")


def table() -> str:
    lines = ["| policy and episodes | plain argmax | patience 1 | difference | only plain / "
             "only patient | McNemar p | mean length |",
             "|---|---|---|---|---|---|---|"]
    for label, stem in ROWS:
        plain = json.loads((HERE / f"{stem}_plain.json").read_text())
        patient = json.loads((HERE / f"{stem}_p1.json").read_text())
        paired = json.loads((HERE / f"{stem}_paired.json").read_text())
        lines.append(
            f"| {label} | {_rate(plain)} | {_rate(patient)} | "
            f"{100 * paired['difference']:+.1f} | {paired['only_a']} / {paired['only_b']} | "
            f"{paired['p_value']:.2g} | {plain['mean_episode_length']:.1f} -> "
            f"{patient['mean_episode_length']:.1f} |")
    return "\n".join(lines)


if __name__ == "__main__":
    print(table())
