"""The decoder and the target-trained ceiling: the Markdown table of results/translator/README.md
from the runs' evaluation curves (``eval_curve.json``, written by ``rcan train-translator``).

    python results/translator/variants/curves.py
"""

from __future__ import annotations

import json
from pathlib import Path

HERE = Path(__file__).resolve().parent
#: Run folder -> its column: the same recipe (mask weight 5, soft Jaccard, Adam 1e-3, GAN 0.1).
RUNS = {
    "photo_randomization": "`photo_randomization`, 1 conv per decoder level",
    "decoder_convs2": "`photo_randomization`, 2 convs",
    "target_trained": "trained on `target` itself, 2 convs (ceiling)",
}
#: Steps the table shows (those every run evaluated, as far as each went).
STEPS = (1000, 2000, 3000, 4000, 5000)


def curves() -> dict[str, dict[int, dict]]:
    """Run -> step -> evaluation."""
    return {name: {int(p["step"]): p for p in json.loads((HERE / name / "eval_curve.json")
                                                         .read_text())} for name in RUNS}


def table() -> str:
    """Target object IoU / mIoU per run and step (randomized held-out pairs in brackets)."""
    runs = curves()
    lines = ["| steps | " + " | ".join(RUNS.values()) + " |",
             "|---|" + "---|" * len(RUNS)]
    for step in STEPS:
        cells = []
        for name in RUNS:
            p = runs[name].get(step)
            cells.append("-" if p is None else
                         f"{p['target']['object_iou']:.3f} / {p['target']['miou']:.3f} "
                         f"({p['randomized']['object_iou']:.3f} / {p['randomized']['miou']:.3f})")
        lines.append(f"| {step:,} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


if __name__ == "__main__":
    print(table())
