"""Which part of the target domain costs the translator its accuracy: the shipped translator
on the target domain with one factor at a time replaced by the training domain's.

Each ``<factor>.yaml`` here is ``target`` with that factor (camera, lighting, sensor effects,
all textures, or the textures of one group of surfaces) taken from ``randomized``; each
``<factor>.json`` is ``rcan evaluate-translator`` on held-out pairs rendered in it with the
seed of the target evaluation set (the same physics states). Prints the README's table. Run
from the repository root:

    python results/translator/target_factors/table.py
"""

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
HERE = Path(__file__).resolve().parent
#: file -> what differs from the held-out target domain
FACTORS = {
    "camera": "camera (no offset; the training jitter)",
    "lighting": "lighting",
    "effects": "sensor effects (noise, blur, JPEG, colour)",
    "textures": "every texture",
    "arm_gripper": "arm and gripper textures",
    "background": "background textures",
    "objects": "object textures",
    "table_tray": "table and tray textures",
}
KEYS = ("psnr", "miou", "object_iou", "iou_arm", "iou_background", "iou_tray")


def _row(label: str, metrics: dict) -> str:
    cells = [f"{metrics['psnr']:.2f}"] + [f"{metrics[k]:.3f}" for k in KEYS[1:]]
    return f"| {label} | " + " | ".join(cells) + " |"


def table() -> str:
    lines = ["| rendered in | PSNR (dB) | mIoU | object IoU | arm IoU | background IoU "
             "| tray IoU |", "|---|---|---|---|---|---|---|"]
    for label, path in (("`randomized` (the training domain)", "randomized.json"),
                        ("`target` (held out)", "target.json")):
        lines.append(_row(label, json.loads((ROOT / "results/translator" / path).read_text())))
    for name, label in FACTORS.items():
        path = HERE / f"{name}.json"
        if path.is_file():
            lines.append(_row(f"`target`, {label} from `randomized`",
                              json.loads(path.read_text())))
    return "\n".join(lines)


if __name__ == "__main__":
    print(table())
