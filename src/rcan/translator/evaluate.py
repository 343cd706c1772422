"""``rcan evaluate-translator``: a trained translator's metrics on held-out pairs of any domain.

Training reports its held-out sets as it goes; this measures a finished translator on pairs
made later (a new domain, e.g. a domain file of your own bin) with the same metrics, and draws
the same grid (input | G(x) | true canonical | G's mask | G's depth).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rcan.common.io import write_json
from rcan.sim.show import write_grid
from rcan.translator.data import load_paired
from rcan.translator.inference import Translator
from rcan.translator.train import evaluate, grid_rows


@dataclass
class EvaluateTranslatorConfig:
    """Settings of ``rcan evaluate-translator``."""

    translator: Path
    """Translator checkpoint folder (e.g. models/translator)."""
    data: Path
    """Paired shards from ``rcan generate --kind paired`` (held-out objects, any domain)."""
    out: Path
    """JSON file for the metrics; the grid goes next to it as <stem>.png."""
    limit: int | None = None
    """Evaluate at most this many pairs (whole shards, in order)."""


def evaluate_translator(config: EvaluateTranslatorConfig) -> dict[str, Any]:
    """Metrics (psnr, miou, object_iou, depth_rmse, per-class IoU) of the translator."""
    translator = Translator.from_checkpoint(config.translator)
    data = load_paired(config.data, limit=config.limit)
    result: dict[str, Any] = {
        "translator": str(config.translator),
        "data": str(config.data),
        **evaluate(translator, data, progress="evaluate-translator"),
    }
    out = Path(config.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    write_json(out, result)
    write_grid([grid_rows(translator, data, 8)], out.with_suffix(".png"), scale=2)
    return result
