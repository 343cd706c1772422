"""The loss and normalisation variants of the translator recipe, 2,000 steps each: the
Markdown table of results/translator/README.md from each variant's metrics.json.

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
}
#: The shipped recipe at 2,000 steps, as recorded in README.md (same data, seed and steps).
BASELINE = {"randomized": {"object_iou": 0.426, "miou": 0.722},
            "target": {"object_iou": 0.367, "miou": 0.633}}


def rows() -> list[tuple[str, dict]]:
    """(description, metrics.json) per variant, in VARIANTS order."""
    return [(text, json.loads((HERE / name / "metrics.json").read_text()))
            for name, text in VARIANTS.items()]


def table() -> str:
    """The README table: object IoU and mIoU per domain, and the change against the baseline."""
    lines = ["| variant | steps | object IoU rand. / target | mIoU rand. / target | "
             "target object IoU vs shipped recipe |", "|---|---|---|---|---|"]
    base = BASELINE
    lines.append(f"| shipped recipe | 2000 | {base['randomized']['object_iou']:.3f} / "
                 f"{base['target']['object_iou']:.3f} | {base['randomized']['miou']:.3f} / "
                 f"{base['target']['miou']:.3f} | - |")
    for text, m in rows():
        r, t = m["randomized"], m["target"]
        delta = t["object_iou"] - base["target"]["object_iou"]
        lines.append(f"| {text} | {m['step']} | {r['object_iou']:.3f} / {t['object_iou']:.3f} "
                     f"| {r['miou']:.3f} / {t['miou']:.3f} | {delta:+.3f} |")
    return "\n".join(lines)


if __name__ == "__main__":
    print(table())
