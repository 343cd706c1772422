"""A run's learning curve on disk: the JSON points and a PNG of success with its 95% band."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rcan.common.io import write_json


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
    ax.set_xlabel(xlabel)
    ax.set_ylabel("success, held-out objects")
    ax.set_ylim(0, 1)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    tmp = out / f".{name}.png.tmp"
    fig.savefig(tmp, format="png")
    plt.close(fig)
    tmp.replace(out / f"{name}.png")
