"""Where the shipped translator's object IoU is lost: false and missed object pixels, how far
each false one lies from a true object, and whether a different decision rule would help.

Reads the held-out pairs of results/translator/README.md (the first 1,024 pairs of
runs/data/translator_eval_randomized and ..._target, as in metrics.json) and writes
anatomy.json beside this file; prints the README's table. Run from the repository root:

    python results/translator/error_anatomy/anatomy.py      # ~1 minute on one core
"""

from __future__ import annotations

import glob
import json
import sys
from pathlib import Path

import numpy as np
import torch
from scipy import ndimage

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT / "src"))
from rcan.sim.render import CLASS_NAMES  # noqa: E402
from rcan.translator import Translator  # noqa: E402
from rcan.translator.inference import to_model_input  # noqa: E402

HERE = Path(__file__).resolve().parent
OBJECT = CLASS_NAMES.index("object")
PAIRS = 1024
BIASES = (-1.0, -0.5, 0.0, 0.5, 1.0)
"""Added to the object logit before the argmax (0: the translator's own rule)."""
FAR = 10
"""Distances of false object pixels to the nearest true one are counted up to this."""


def _pairs(domain: str) -> tuple[np.ndarray, np.ndarray]:
    files = sorted(glob.glob(str(ROOT / f"runs/data/translator_eval_{domain}/*.h5")))
    if not files:
        raise SystemExit(f"no shards in runs/data/translator_eval_{domain} (see "
                         "results/translator/README.md for the rcan generate command)")
    import h5py

    images, masks = [], []
    for name in files:
        with h5py.File(name) as f:
            images.append(f["randomized"][:])
            masks.append(f["mask"][:])
    return np.concatenate(images)[:PAIRS], np.concatenate(masks)[:PAIRS]


def _iou(pred: np.ndarray, true: np.ndarray) -> float:
    return float((pred & true).sum() / (pred | true).sum())


def anatomy(domain: str, translator: Translator) -> dict:
    images, masks = _pairs(domain)
    with torch.no_grad():
        logits = torch.cat([translator.generator(to_model_input(
            torch.from_numpy(images[i:i + 128]).permute(0, 3, 1, 2))).mask_logits
            for i in range(0, len(images), 128)])
    pred = logits.argmax(1).numpy()
    true, hit = masks == OBJECT, pred == OBJECT
    false_pos, missed = hit & ~true, true & ~hit
    distance = np.stack([ndimage.distance_transform_cdt(~t) for t in true])  # chessboard
    far = np.bincount(np.minimum(distance[false_pos], FAR), minlength=FAR + 1)[1:]
    cross = ndimage.generate_binary_structure(2, 1)
    biased = {}
    for bias in BIASES:
        shifted = logits.clone()
        shifted[:, OBJECT] += bias
        biased[str(bias)] = round(_iou(shifted.argmax(1).numpy() == OBJECT, true), 4)
    return {
        "pairs": len(images),
        "object_iou": round(_iou(hit, true), 4),
        "true_object_pixels": int(true.sum()),
        "false_object_pixels": int(false_pos.sum()),
        "missed_object_pixels": int(missed.sum()),
        "false_pixels_true_class": {CLASS_NAMES[k]: int(v) for k, v in
                                    enumerate(np.bincount(masks[false_pos], minlength=6))},
        "false_pixels_by_distance": {str(d): round(float(n / far.sum()), 4)
                                     for d, n in enumerate(far, start=1)},
        "object_iou_with_object_logit_bias": biased,
        "object_iou_after_opening": round(_iou(np.stack(
            [ndimage.binary_opening(h, cross) for h in hit]), true), 4),
        "object_iou_of_truth_dilated_1px": round(_iou(np.stack(
            [ndimage.binary_dilation(t, cross) for t in true]), true), 4),
    }


def table(summary: dict) -> str:
    lines = ["| domain | object IoU | false / missed object pixels | false pixels 1 / 2 / 3 / "
             ">3 px from a true object | best logit bias (IoU) | after a 1-px opening | "
             "truth dilated 1 px |", "|---|---|---|---|---|---|---|"]
    for domain, a in summary["domains"].items():
        d = a["false_pixels_by_distance"]
        rest = 1 - d["1"] - d["2"] - d["3"]
        best = max(a["object_iou_with_object_logit_bias"].items(), key=lambda kv: kv[1])
        lines.append(
            f"| {domain} | {a['object_iou']:.3f} | {a['false_object_pixels']:,} / "
            f"{a['missed_object_pixels']:,} | {100 * d['1']:.0f} / {100 * d['2']:.0f} / "
            f"{100 * d['3']:.0f} / {100 * rest:.0f}% | {float(best[0]):+.1f} ({best[1]:.3f}) | "
            f"{a['object_iou_after_opening']:.3f} | {a['object_iou_of_truth_dilated_1px']:.3f} |")
    return "\n".join(lines)


def main() -> dict:
    torch.set_num_threads(1)
    translator = Translator.from_checkpoint(ROOT / "models" / "translator")
    summary = {"command": "python results/translator/error_anatomy/anatomy.py",
               "translator": "models/translator",
               "domains": {d: anatomy(d, translator) for d in ("randomized", "target")}}
    (HERE / "anatomy.json").write_text(json.dumps(summary, indent=2) + "\n")
    return summary


if __name__ == "__main__":
    print(table(main()))
