"""The loss and normalisation variants of the translator recipe (2,000 steps each, and the
three helpful changes together for 45 minutes): the Markdown table of
results/translator/README.md from each variant's metrics.json.

    python results/translator/variants/table.py
"""

from __future__ import annotations

import json
from pathlib import Path

HERE = Path(__file__).resolve().parent
#: Variant folder -> what it changes against the shipped recipe (--model.losses.gan 0.1).
VARIANTS = {
    "mask5": "`--model.losses.mask 5` (mask cross-entropy weight 5, not 1)",
    "batchnorm": "`--model.generator.norm batch` (batch, not instance, normalisation)",
    "mask5_iou_lr1e-3": "mask weight 5 + `--model.losses.mask-iou 1.0` + `--model.lr 1e-3`, "
                        "45-minute budget",
}
#: The shipped recipe at 2,000 steps, as recorded in README.md (same data, seed and steps).
BASELINE = {"randomized": {"object_iou": 0.426, "miou": 0.722},
            "target": {"object_iou": 0.367, "miou": 0.633}}


def rows() -> list[tuple[str, dict]]:
    """(description, metrics.json) per variant, in VARIANTS order."""
    return [(text, json.loads((HERE / name / "metrics.json").read_text()))
            for name, text in VARIANTS.items()]


def _shipped() -> dict:
    """The shipped translator's metrics (48-minute budget, results/translator/metrics.json)."""
    return json.loads((HERE.parent / "metrics.json").read_text())


def table() -> str:
    """The README table: object IoU and mIoU per domain, and the target object IoU against the
    shipped recipe at the same budget (2,000 steps; or the shipped model's 48 minutes)."""
    lines = ["| variant | steps | object IoU rand. / target | mIoU rand. / target | "
             "target object IoU vs shipped recipe, same budget |", "|---|---|---|---|---|"]
    shipped = _shipped()
    for text, m in [("shipped recipe, 2,000 steps", {"step": 2000, **BASELINE}),
                    ("shipped translator, 48 minutes", shipped)]:
        lines.append(f"| {text} | {m['step']} | {m['randomized']['object_iou']:.3f} / "
                     f"{m['target']['object_iou']:.3f} | {m['randomized']['miou']:.3f} / "
                     f"{m['target']['miou']:.3f} | - |")
    for text, m in rows():
        r, t = m["randomized"], m["target"]
        base = BASELINE if m["step"] == 2000 else shipped
        delta = t["object_iou"] - base["target"]["object_iou"]
        lines.append(f"| {text} | {m['step']} | {r['object_iou']:.3f} / {t['object_iou']:.3f} "
                     f"| {r['miou']:.3f} / {t['miou']:.3f} | {delta:+.3f} |")
    return "\n".join(lines)


if __name__ == "__main__":
    print(table())
