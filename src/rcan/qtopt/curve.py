"""Learning curves on disk: a run's JSON points and PNG, and several runs side by side
(``rcan compare-curves``)."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from rcan.common.errors import RcanError
from rcan.common.io import atomic_path, read_json, write_json
from rcan.common.stats import RATE_KEYS, rate_fields, wilson


def write_curve(out: Path, curve: list[dict[str, Any]], name: str = "curve", x: str = "grasps",
                xlabel: str = "simulated grasps") -> None:
    """``NAME.json`` and ``NAME.png``: success (with its 95% band) against the key ``x``."""
    write_json(out / f"{name}.json", curve)
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5, 3.2), dpi=120)
    g = [c[x] for c in curve]
    ax.plot(g, [c["success"] for c in curve], marker="o")
    ax.fill_between(g, [c["ci_low"] for c in curve], [c["ci_high"] for c in curve], alpha=0.25)
    _save(fig, ax, xlabel, out / f"{name}.png")


def _save(fig: Any, ax: Any, xlabel: str, path: Path) -> None:
    """Label a success-vs-x plot the one way every curve here is drawn, and save it
    atomically."""
    ax.set_xlabel(xlabel)
    ax.set_ylabel("success, held-out objects")
    ax.set_ylim(0, 1)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png")
    import matplotlib.pyplot as plt

    plt.close(fig)


def read_curve(folder: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """``FOLDER/curve.json`` of a train-policy run or of a published results folder."""
    path = Path(folder) / "curve.json"
    if not path.is_file():
        raise RcanError(f"{folder}: no curve.json (expected a train-policy run or a folder "
                        "written by rcan publish-run)")
    points = read_json(path, list)
    needed = ("grasps", *RATE_KEYS)
    if not isinstance(points, list) or not all(
            isinstance(p, dict) and all(k in p for k in needed) for p in points):
        raise RcanError(f"{path}: expected a list of points with the fields {list(needed)}")
    return points


def compare_curves(curves: Mapping[str, Sequence[dict[str, Any]]],
                   since: int = 0) -> dict[str, Any]:
    """Learning curves side by side at the grasp counts all of them evaluated: each curve's
    success there, and each curve pooled with a Wilson interval over those points at or after
    ``since`` grasps (a plateau, say).

    The pooled interval treats the evaluations as independent; they are successive policies
    of one run on the same episodes, so it summarises a curve rather than testing it."""
    if len(curves) < 2:
        raise RcanError(f"compare at least two curves, got {len(curves)}")
    by_grasps = {label: {int(p["grasps"]): p for p in curve} for label, curve in curves.items()}
    common = sorted(set.intersection(*(set(c) for c in by_grasps.values())))
    if not common:
        raise RcanError(f"the curves of {list(curves)} share no grasp count")
    points = [{"grasps": g, **{label: rate_fields(c[g]) for label, c in by_grasps.items()}}
              for g in common]
    pooled_points = [g for g in common if g >= since]
    if not pooled_points:
        raise RcanError(f"the curves share no grasp count at or after {since:,} (their last "
                        f"common one is {common[-1]:,})")
    pooled = {}
    for label, c in by_grasps.items():
        wins = sum(round(c[g]["success"] * c[g]["episodes"]) for g in pooled_points)
        episodes = sum(int(c[g]["episodes"]) for g in pooled_points)
        pooled[label] = rate_fields(dataclasses.asdict(wilson(wins, episodes)))
    return {"points": points, "pooled_since": since, "pooled_grasps": pooled_points,
            "pooled_over_points": pooled}


def comparison_table(summary: dict[str, Any], labels: Mapping[str, str] | None = None) -> str:
    """Markdown: one column per common grasp count, one row per curve (``labels`` renames
    the curves' keys)."""
    points = summary["points"]
    keys = list(summary["pooled_over_points"])
    lines = ["| grasps | " + " | ".join(f"{p['grasps']:,}" for p in points) + " |",
             "|---|" + "---|" * len(points)]
    for key in keys:
        name = (labels or {}).get(key, key)
        lines.append(f"| {name} | "
                     + " | ".join(f"{100 * p[key]['success']:.0f}%" for p in points) + " |")
    return "\n".join(lines)


def plot_comparison(summary: dict[str, Any], path: str | os.PathLike[str],
                    labels: Mapping[str, str] | None = None) -> Path:
    """A PNG of every curve's success at the common points, with its 95% band."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5.5, 3.4), dpi=120)
    grasps = [p["grasps"] for p in summary["points"]]
    for key in summary["pooled_over_points"]:
        ax.plot(grasps, [p[key]["success"] for p in summary["points"]], marker="o",
                label=(labels or {}).get(key, key))
        ax.fill_between(grasps, [p[key]["ci_low"] for p in summary["points"]],
                        [p[key]["ci_high"] for p in summary["points"]], alpha=0.2)
    ax.legend(loc="upper left")
    out = Path(path)
    _save(fig, ax, "simulated grasps", out)
    return out
