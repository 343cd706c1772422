"""Table 1 as far as it is measured: the README's table, beside RCAN's real-robot figures.

Each cell is a stage's ``metrics.json`` from ``rcan experiment table1 --out runs/table1_hold``
(copied to ``cells/<row>_<column>.json``): 200 held-out-object episodes, seed 10,000, the
same episodes for every row of a column. Cells not measured yet are absent. Reads the cells,
writes ``progress.json`` (the table's JSON shape, plus the rcan / randomized zero-shot
ratio) and prints the Markdown table the README quotes, then the table of variants tried
beside the table's rows (``variants/``: the same 200 target episodes), then the rows' sim
policies zero-shot in a second held-out domain (``results/zero_shot/``). Run from the
repository root:

    python results/table1_progress/table.py
"""

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "src"))
from rcan.transfer.report import PAPER  # noqa: E402
from rcan.transfer.table import ROWS, make_cell  # noqa: E402

HERE = ROOT / "results" / "table1_progress"
COLUMNS = ("sim", "target_0", "target_5k", "target_28k")
HEADERS = ("sim (own domain)", "target, zero-shot", "+ 5k target grasps",
           "+ 28k target grasps")
#: variants/<file>.json -> (the row it varies, what was changed); each an evaluation in target
#: on the cells' episodes.
VARIANTS = {
    "rcan_target_5k_lr3e-5_frozen_raw": ("rcan", "+ 5k target grasps, finetuned at lr 3e-5 with "
                                                 "the raw-image weights frozen"),
    "rcan_gx_2k_target": ("rcan", "canonical network + 2,000 sim grasps through G(x), "
                                  "zero-shot"),
    "rcan_gx_4k_target": ("rcan", "canonical network + 4,000 sim grasps through G(x), "
                                  "zero-shot"),
    "rcan_gx_6k_target": ("rcan", "canonical network + 6,000 sim grasps through G(x), "
                                  "zero-shot"),
    "rcan_target_2k": ("rcan", "+ 2k target grasps, default finetuning (2 steps per grasp)"),
    "rcan_target_2k_upe8": ("rcan", "+ 2k target grasps, 8 gradient steps per grasp"),
    "randomized_target_2k": ("randomized", "+ 2k target grasps, default finetuning (2 steps "
                                           "per grasp)"),
    "randomized_target_2k_upe8": ("randomized", "+ 2k target grasps, 8 gradient steps per "
                                                "grasp"),
}


#: The rows' sim policies zero-shot in a second held-out domain (results/zero_shot/).
OTHER_DOMAIN = "examples/otherbin/domain.yaml"
OTHER_ZERO_SHOT = {"canonical": "canonical_hold_otherbin", "randomized": "randomized_hold_otherbin",
                   "rcan": "rcan_hold_ft_otherbin"}


def summarize() -> dict:
    table: dict[str, dict[str, dict]] = {}
    for row in ROWS:
        for column in COLUMNS:
            path = HERE / "cells" / f"{row}_{column}.json"
            if path.is_file():
                result = json.loads(path.read_text())
                assert result["episodes"] >= 200 and result["objects"] == "test", path
                assert result["seed"] == 10_000, path
                table.setdefault(row, {})[column] = make_cell(result)
    summary: dict = {"command": "python results/table1_progress/table.py", "table": table}
    zero = [table.get(row, {}).get("target_0") for row in ("rcan", "randomized")]
    if all(zero):
        summary["rcan_over_randomized_target_0"] = zero[0]["success"] / zero[1]["success"]
    return summary


def variants() -> str:
    """The Markdown table of ``variants/``, each beside its row's zero-shot cell."""
    lines = ["| row | variant | target success | vs. the row's zero-shot cell |",
             "|---|---|---|---|"]
    for name, (row, label) in VARIANTS.items():
        path = HERE / "variants" / f"{name}.json"
        if not path.is_file():
            continue
        result = json.loads(path.read_text())
        assert (result["episodes"], result["seed"], result["objects"], result["domain"]) == (
            200, 10_000, "test", "target"), path
        base = make_cell(json.loads((HERE / "cells" / f"{row}_target_0.json").read_text()))
        cell = make_cell(result)
        delta = 100 * (cell["success"] - base["success"])
        lines.append(f"| {row} | {label} (`{name}`) | {_cell(cell)} | {delta:+.1f} points |")
    return "\n".join(lines)


def other_domain() -> str:
    """The Markdown row of the table's sim policies zero-shot in ``OTHER_DOMAIN``, beside
    their target_0 cells, and the rcan / randomized ratio in each."""
    lines = ["| domain | canonical | randomized | rcan | rcan / randomized |",
             "|---|---|---|---|---|"]
    target = {row: make_cell(json.loads((HERE / "cells" / f"{row}_target_0.json").read_text()))
              for row in ROWS}
    other = {}
    for row, name in OTHER_ZERO_SHOT.items():
        result = json.loads((ROOT / "results" / "zero_shot" / f"{name}.json").read_text())
        assert (result["episodes"], result["seed"], result["objects"], result["domain"]) == (
            200, 10_000, "test", OTHER_DOMAIN), name
        other[row] = make_cell(result)
    for label, cells in (("`target`", target), (f"`{OTHER_DOMAIN}`", other)):
        ratio = cells["rcan"]["success"] / cells["randomized"]["success"]
        lines.append(f"| {label} | " + " | ".join(_cell(cells[row]) for row in ROWS)
                     + f" | {ratio:.2f}x |")
    return "\n".join(lines)


def _cell(cell: dict | None) -> str:
    if cell is None:
        return "not yet"
    return (f"{100 * cell['success']:.1f}% [{100 * cell['ci_low']:.1f}, "
            f"{100 * cell['ci_high']:.1f}]")


def table(summary: dict) -> str:
    lines = ["| row | " + " | ".join(HEADERS) + " |",
             "|---|" + "---|" * len(COLUMNS)]
    for row in ROWS:
        cells = summary["table"].get(row, {})
        ours = " | ".join(_cell(cells.get(c)) for c in COLUMNS)
        paper = " | ".join("-" if PAPER[row][c] is None else f"{100 * PAPER[row][c]:.0f}%"
                           for c in COLUMNS)
        lines.append(f"| {row} | {ours} |")
        lines.append(f"| {row}, paper (real robot) | {paper} |")
    return "\n".join(lines)


if __name__ == "__main__":
    result = summarize()
    (HERE / "progress.json").write_text(json.dumps(result, indent=2) + "\n")
    print(table(result))
    print()
    print(variants())
    print()
    print(other_domain())
