"""The transfer report: our table beside the paper's, finetuning curves, and pictures.

``rcan experiment report --table results/table1.json`` (and the end of ``rcan experiment
table1``) writes ``results/table1_report/report.md`` and ``report.html`` from the table, its
``.meta.json`` and, where they still exist, the policy folders the metadata names:

* the table, each of our cells beside the paper's figure for the same row and column;
* finetuning curves: success vs. target grasps per row with 95% bands (the table's cells and
  the finetuning runs' intermediate evaluations), the paper's figures marked;
* translations of target-domain states by the frozen translator;
* GIFs of a policy's episodes in the target domain, zero-shot and finetuned;
* a Q-value heat map for one target image.

The report shows what the JSON holds and nothing else; pictures whose inputs are gone (no
translator, no policy folders) are left out with a line saying so. The paper's numbers are
real-robot results: they are labelled as such, and our target domain is a simulated stand-in,
so the comparison is of trends, not values.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from rcan.common.errors import RcanError
from rcan.common.io import read_json
from rcan.qtopt.load import saved_env_config
from rcan.sim.domain import domain_name
from rcan.transfer.document import ReportFolder
from rcan.transfer.episodes import (
    ActorController,
    load_policy,
    play,
)
from rcan.transfer.pictures import add_gifs, add_q_maps, add_translations, first_observation
from rcan.transfer.table import (
    ROWS,
    SIM,
    check_table,
    format_cell,
    grasps_of,
    meta_path,
)

PAPER_SOURCE = ("James et al., CVPR 2019 (RCAN), Table 1: real-robot grasp success on unseen "
                "objects; the sim column is their simulation")
"""Where the paper's figures come from."""
PAPER: dict[str, dict[str, float | None]] = {
    "canonical": {"sim": 0.99, "target_0": 0.21, "target_5k": 0.30, "target_28k": None},
    "randomized": {"sim": 0.98, "target_0": 0.33, "target_5k": 0.85, "target_28k": 0.92},
    "rcan": {"sim": 0.99, "target_0": 0.70, "target_5k": 0.91, "target_28k": 0.94},
}
"""The paper's figures per row and column (None: not reported)."""
PAPER_ROWS = {
    "canonical": "canonical sim only (no randomization)",
    "randomized": "domain randomization (heavy)",
    "rcan": "RCAN",
}
"""The paper's name for each row."""
PAPER_GRASPS = {"target_0": 0, "target_5k": 5_000, "target_28k": 28_000}
"""Real grasps behind the paper's columns."""
COLOURS = {"canonical": "tab:blue", "randomized": "tab:orange", "rcan": "tab:green"}
"""One colour per row in every plot."""


@dataclass
class ReportConfig:
    """Settings of ``rcan experiment report``."""

    table: Path = Path("results/table1.json")
    """Table JSON written by ``rcan experiment table1`` (its .meta.json is read beside it)."""
    out: Path | None = None
    """Report folder (default: <table folder>/<table name>_report)."""
    translator: Path | None = None
    """Translator for the translation pictures (default: the rcan row's, from the metadata)."""
    row: str = "rcan"
    """Row whose policies the GIFs and the Q heat map show."""
    gif_episodes: int = 2
    """Target-domain episodes recorded as GIFs per pictured policy (0: none)."""
    translation_samples: int = 4
    """Target-domain states in the translation picture (0: none)."""
    grid: int = 25
    """Points per axis of the Q heat map."""
    seed: int = 10_000
    """Seed of the pictured episodes."""
    threads: int = 1
    """PyTorch CPU threads (one: the networks are small, and a second thread only spins
    when the cores are busy)."""


def column_label(column: str, grasps: int | None) -> str:
    """Human name of a column."""
    if column == SIM:
        return "sim"
    if grasps == 0:
        return "target, 0 grasps"
    return f"target + {grasps:,} grasps" if grasps is not None else column


def load_results(table: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """The checked table and its metadata ({} if the .meta.json is missing)."""
    try:
        data = json.loads(Path(table).read_text())
    except FileNotFoundError:
        raise RcanError(f"table {table} does not exist (rcan experiment table1 writes it)"
                        ) from None
    except json.JSONDecodeError as err:
        raise RcanError(f"table {table} is malformed ({err.msg})") from None
    check_table(data, str(table))
    meta_file = meta_path(table)
    meta = read_json(meta_file) if meta_file.is_file() else {}
    return data, meta


def table_rows(table: dict[str, Any], grasps: dict[str, int | None]
               ) -> tuple[list[str], list[list[str]]]:
    """Header and rows: each of our columns followed by the paper's figure for it."""
    present = [c for c in grasps if any(c in cells for cells in table.values())]
    header = ["policy (ours / paper)"]
    for column in present:
        header += [f"{column_label(column, grasps[column])}: ours",
                   "paper (real robot)" if column != SIM else "paper (sim)"]
    rows = []
    for row in (r for r in ROWS if r in table):
        line = [f"{row} / {PAPER_ROWS[row]}"]
        for column in present:
            paper = PAPER[row].get(column)
            line += [format_cell(table[row].get(column)),
                     "-" if paper is None else f"{paper:.0%}"]
        rows.append(line)
    return header, rows


def curve_points(row: str, table: dict[str, Any], meta: dict[str, Any],
                 grasps: dict[str, int | None]) -> tuple[list[dict[str, Any]],
                                                         list[dict[str, Any]]]:
    """(table cells, intermediate evaluations) of one row as points with ``grasps``."""
    cells = [{**table[row][c], "grasps": g} for c, g in grasps.items()
             if g is not None and c in table[row]]
    between = [p for p in meta.get("rows", {}).get(row, {}).get("finetune_curve", [])
               if isinstance(p, dict) and {"grasps", "success", "ci_low", "ci_high"} <= set(p)]
    return sorted(cells, key=lambda p: p["grasps"]), between


def plot_curves(table: dict[str, Any], meta: dict[str, Any], grasps: dict[str, int | None],
                path: Path) -> Path:
    """Success vs. target grasps, one panel per row, 95% bands, paper figures marked."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = [r for r in ROWS if r in table]
    fig, axes = plt.subplots(1, len(rows), figsize=(4.2 * len(rows), 3.4), dpi=120,
                             squeeze=False, sharey=True)
    for ax, row in zip(axes[0], rows, strict=True):
        colour = COLOURS[row]
        cells, between = curve_points(row, table, meta, grasps)
        points = sorted(cells + between, key=lambda p: (p["grasps"], -p.get("episodes", 0)))
        x = [p["grasps"] for p in points]
        ax.fill_between(x, [p["ci_low"] for p in points], [p["ci_high"] for p in points],
                        color=colour, alpha=0.18, linewidth=0)
        ax.plot(x, [p["success"] for p in points], color=colour, linewidth=1.2)
        if between:
            ax.plot([p["grasps"] for p in between], [p["success"] for p in between], "o",
                    color=colour, markersize=3, label="finetuning run's evaluations")
        ax.errorbar([p["grasps"] for p in cells], [p["success"] for p in cells],
                    yerr=[[p["success"] - p["ci_low"] for p in cells],
                          [p["ci_high"] - p["success"] for p in cells]],
                    fmt="s", color=colour, markersize=6, capsize=3, label="table cells (ours)")
        if SIM in table[row]:
            ax.axhline(table[row][SIM]["success"], color=colour, linestyle=":", linewidth=1,
                       label="ours in sim")
        # the paper's points inside our range of target grasps (its 28k point would squash
        # a curve that stops at 5k)
        reach = max([p["grasps"] for p in points] + [0])
        paper = [(g, PAPER[row][c]) for c, g in PAPER_GRASPS.items()
                 if PAPER[row][c] is not None and g <= 1.05 * reach]
        ax.plot([g for g, _ in paper], [v for _, v in paper], "D--", color="grey",
                markerfacecolor="none", linewidth=0.8, label="paper, real robot")
        ax.set_title(row)
        ax.set_xlabel("target grasps")
        ax.set_ylim(0, 1.02)
        ax.grid(alpha=0.3)
    axes[0][0].set_ylabel("success, held-out objects")
    axes[0][-1].legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    fig.savefig(path, format="png")
    plt.close(fig)
    return path


def _policy_pictures(doc: ReportFolder, config: ReportConfig, meta: dict[str, Any],
                     grasps: dict[str, int | None]) -> None:
    rows = meta.get("rows", {})
    row = config.row if config.row in rows else next(iter(rows), None)
    if row is None:
        doc.paragraph("No policy folders are named in the metadata: episode GIFs and the Q "
                      "heat map are left out.")
        return
    info = rows[row]
    last = [c for c in grasps if grasps[c] and c in info.get("stages", {})]
    candidates = [("zero-shot", info.get("sim_run"))]
    if last:
        candidates.append((f"finetuned, {grasps[last[-1]]:,} target grasps",
                           info["stages"][last[-1]].get("policy")))
    found = [(label, Path(p)) for label, p in candidates if p and Path(p).is_dir()]
    if not found:
        doc.paragraph(f"The {row} row's policy folders ({', '.join(str(p) for _, p in candidates)})"
                      " are not here: episode GIFs and the Q heat map are left out.")
        return
    domain = meta.get("target_domain", "target")
    objects = meta.get("eval_objects", "test")
    doc.heading(f"The {row} policy in `{domain_name(domain)}`")
    policies = []
    first_obs: dict[str, np.ndarray] | None = None
    for label, folder in found:
        actor, policy_config = load_policy(folder, seed=0)
        env = saved_env_config(policy_config, domain, objects)
        policies.append((f"{row}, {label}", actor, env.max_translation))
        if config.gif_episodes > 0:
            played = play(ActorController(actor, f"{row} {label}"), env, config.gif_episodes,
                          config.seed, record=config.gif_episodes)
            stem = "zero_shot" if label == "zero-shot" else "finetuned"
            add_gifs(doc, f"{row}, {label}, in {domain_name(domain)}", f"episode_{row}_{stem}",
                     played.recorded)
            if first_obs is None:
                first_obs = played.recorded[0].first_observation
        elif first_obs is None:
            first_obs = first_observation(env, config.seed)
    assert first_obs is not None
    add_q_maps(doc, first_obs, policies, config.grid)


def build_report(config: ReportConfig) -> Path:
    """Write the report folder for ``config.table``; returns the folder."""
    table_path = Path(config.table)
    table, meta = load_results(table_path)
    if config.gif_episodes < 0 or config.translation_samples < 0:
        raise RcanError("--gif-episodes and --translation-samples must be >= 0")
    torch.set_num_threads(config.threads)
    grasps = {c: g for c, g in (meta.get("columns") or {}).items()}
    for cells in table.values():
        for column in cells:
            grasps.setdefault(column, grasps_of(column))
    grasps = dict(sorted(grasps.items(), key=lambda kv: -1 if kv[1] is None else kv[1]))
    domain = meta.get("target_domain", "target")
    out = Path(config.out) if config.out else default_out(table_path)

    with ReportFolder(out, "Transfer: the results table") as doc:
        doc.paragraph(
            f"Grasp success of three simulated QT-Opt policies on held-out objects: in their "
            f"own training domain (sim), zero-shot in the target domain `{domain_name(domain)}` "
            "(our simulated stand-in for reality), and after joint finetuning there on "
            "on-policy target grasps. Cells: success [95% Wilson interval] n=episodes, from "
            f"`{table_path}`.")
        doc.heading("Ours beside the paper")
        header, rows = table_rows(table, grasps)
        doc.table(header, rows)
        doc.paragraph(f"Paper figures: {PAPER_SOURCE}. They were measured on real robots; "
                      "ours in simulation, with a different world, budget and network size, "
                      "so compare trends (which row transfers, how finetuning closes the "
                      "gap), not values.")
        doc.heading("Finetuning curves")
        plot_curves(table, meta, grasps, doc.file("finetuning_curves.png"))
        doc.image("finetuning_curves.png", "Success vs. target grasps (held-out objects) with "
                  "95% bands: squares are the table's cells, dots the finetuning runs' own "
                  "shorter evaluations; dotted: ours in sim; grey diamonds: the paper's "
                  "real-robot figures.")
        translator = config.translator or _translator(meta)
        doc.heading("Translations of the target domain")
        if translator is not None and config.translation_samples > 0 and translator.is_dir():
            add_translations(doc, translator, domain, config.translation_samples, config.seed)
        else:
            doc.paragraph("No translator given or found: translations are left out.")
        _policy_pictures(doc, config, meta, grasps)
        _provenance(doc, meta)
    return out


def _translator(meta: dict[str, Any]) -> Path | None:
    value = meta.get("rows", {}).get("rcan", {}).get("translator")
    return Path(value) if value else None


def _provenance(doc: ReportFolder, meta: dict[str, Any]) -> None:
    if not meta:
        doc.paragraph("No metadata file beside the table: command, machine and timings are "
                      "unknown.")
        return
    doc.heading("How it was made")
    machine = meta.get("machine", {})
    doc.paragraph(f"Command: `{meta.get('command', '?')}`. Seed {meta.get('seed')}; "
                  f"evaluation seed {meta.get('eval_seed')}; finished "
                  f"{meta.get('finished', '?')}.")
    doc.paragraph(f"Machine: {machine.get('platform', '?')}, {machine.get('cpu_count', '?')} "
                  f"CPUs, Python {machine.get('python', '?')}, torch {machine.get('torch', '?')}"
                  f" ({machine.get('torch_threads', '?')} threads).")
    rows = [[stage, duration(seconds)] for stage, seconds in
            (meta.get("stage_seconds") or {}).items()]
    if rows:
        doc.table(["stage", "wall time"], rows)
    runs = [[row, str(info.get("sim_run")), sim_grasps(info), str(info.get("translator") or "-")]
            for row, info in meta.get("rows", {}).items()]
    if runs:
        doc.table(["row", "sim run", "sim grasps", "translator"], runs)


def sim_grasps(row: dict[str, Any]) -> str:
    """A row's simulated grasps, counting those of the run it was started from (``16920 + 20
    (from runs/x)``) when it was made from another row's policy."""
    own = row.get("sim_grasps_trained")
    if row.get("sim_init_from") is None:
        return str(own)
    return f"{row.get('sim_init_grasps_trained')} + {own} (from {row['sim_init_from']})"


def duration(seconds: float) -> str:
    """``42 s``, ``12.5 min`` or ``3.2 h``."""
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"


def default_out(table: str | os.PathLike[str]) -> Path:
    """The report folder beside a table JSON."""
    path = Path(table)
    return path.with_name(f"{path.stem}_report")
