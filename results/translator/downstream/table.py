"""Translator quality against what a policy does with it.

For each translator in translators.json (its folder here holds what was measured), one row:
its recipe (from train_config.json), its own metrics on held-out pairs
(translator_<domain>.json, from ``rcan evaluate-translator``), and the success of one fixed
policy, ``models/policy_rcan`` (the canonical Q-network reading G(x)), acting through it on
validation episodes (policy_validation.json: randomized domain, training objects, seed 20,000)
and on the target domain (policy_target.json: held-out objects, seed 10,000). Writes
summary.json and prints the Markdown table the README quotes. Run from the repository root:

    python results/translator/downstream/table.py
"""

import json
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _read(path: Path) -> dict:
    return json.loads(path.read_text())


def _rate(result: dict) -> dict:
    return {k: result[k] for k in ("success", "ci_low", "ci_high", "episodes")}


def summarize() -> dict:
    manifest = _read(HERE / "translators.json")
    rows = []
    for name, info in manifest.items():
        folder = HERE / name
        model = _read(folder / "train_config.json")["model"]
        losses = model["losses"]
        rows.append({
            "name": name,
            "checkpoint": info["checkpoint"],
            "steps": info["steps"],
            "train_minutes": round(info["train_seconds"] / 60, 1),
            "recipe": {
                "lr": model["lr"],
                "gan": losses["gan"],
                "mask_balance": losses.get("mask_balance", False),
                "mask_iou": losses.get("mask_iou", 0.0),
                "stem_channels": model["generator"].get("stem_channels", 0),
            },
            "translator": {
                domain: {k: _read(folder / f"translator_{domain}.json")[k]
                         for k in ("object_iou", "miou", "psnr", "images")}
                for domain in ("randomized", "target")
            },
            "policy": {
                "validation": _rate(_read(folder / "policy_validation.json")),
                "target": _rate(_read(folder / "policy_target.json")),
            },
        })
    chosen = max(rows, key=lambda r: r["policy"]["validation"]["success"])["name"]
    return {"command": "python results/translator/downstream/table.py", "rows": rows,
            "best_on_validation": chosen}


def _pct(rate: dict) -> str:
    return (f"{100 * rate['success']:.1f}% [{100 * rate['ci_low']:.1f}, "
            f"{100 * rate['ci_high']:.1f}]")


def table(summary: dict) -> str:
    """One row per translator, sorted by its object IoU on target."""
    lines = [
        "| translator | steps | object IoU rand. / target | mIoU rand. / target "
        "| policy, validation | policy, target |",
        "|---|---|---|---|---|---|",
    ]
    rows = sorted(summary["rows"], key=lambda r: -r["translator"]["target"]["object_iou"])
    for r in rows:
        t = r["translator"]
        lines.append(
            f"| `{r['name']}` | {r['steps']:,} "
            f"| {t['randomized']['object_iou']:.3f} / {t['target']['object_iou']:.3f} "
            f"| {t['randomized']['miou']:.3f} / {t['target']['miou']:.3f} "
            f"| {_pct(r['policy']['validation'])} | {_pct(r['policy']['target'])} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    result = summarize()
    tmp = HERE / "summary.json.tmp"
    tmp.write_text(json.dumps(result, indent=2) + "\n")
    tmp.replace(HERE / "summary.json")
    print(table(result))
