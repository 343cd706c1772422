"""results/translator/variants: the README quotes the table made from the runs' metrics, and
each run's config is the shipped recipe with exactly the change its row names."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

RESULTS = Path(__file__).resolve().parents[2] / "results" / "translator"
VARIANTS = RESULTS / "variants"
TABLE = VARIANTS / "table.py"
pytestmark = pytest.mark.skipif(not (VARIANTS / "table.py").is_file(), reason="not published")


def test_readme_quotes_the_table(load_script) -> None:
    assert load_script(TABLE).table() in (RESULTS / "README.md").read_text()


@pytest.mark.parametrize(("name", "changes", "steps"), [
    ("mask5", {"mask": 5.0}, 2000),
    ("batchnorm", {"norm": "batch"}, 2000),
    ("mask5_iou_lr1e-3", {"mask": 5.0, "mask_iou": 1.0, "lr": 1e-3}, 6232),
])
def test_each_variant_changes_what_its_row_says(name: str, changes: dict[str, object],
                                                steps: int) -> None:
    config = json.loads((VARIANTS / name / "config.json").read_text())
    metrics = json.loads((VARIANTS / name / "metrics.json").read_text())
    model = config["model"]
    assert (config["seed"], metrics["step"]) == (0, steps)
    settings = {"mask": model["losses"]["mask"], "mask_iou": model["losses"]["mask_iou"],
                "lr": model["lr"], "norm": model["generator"]["norm"],
                "gan": model["losses"]["gan"]}
    shipped = {"mask": 1.0, "mask_iou": 0.0, "lr": 2e-4, "norm": "instance", "gan": 0.1}
    assert settings == {**shipped, **changes}
    for domain in ("randomized", "target"):
        assert metrics[domain]["images"] == 1024


def test_natural_randomization_rows_are_its_curves() -> None:
    """The README's training-domain table quotes both runs' evaluation curves, and the two
    runs differ only in their training data."""
    readme = (RESULTS / "README.md").read_text()
    rows = [("randomized", "mask5_iou_lr1e-3", 2000), ("natural_randomization",
            "natural_randomization", 2000), ("randomized", "mask5_iou_lr1e-3", 4000),
            ("natural_randomization", "natural_randomization", 3000)]
    for domain, name, step in rows:
        curve = json.loads((VARIANTS / name / "eval_curve.json").read_text())
        point = next(p for p in curve if p["step"] == step)
        r, t = point["randomized"], point["target"]
        label = f"`{domain}` (`{name}`)" if domain == "randomized" else f"`{domain}`"
        assert (f"| {label} | {step:,} | {r['object_iou']:.3f} / {t['object_iou']:.3f} | "
                f"{r['miou']:.3f} / {t['miou']:.3f} |") in readme
    natural = json.loads((VARIANTS / "natural_randomization" / "config.json").read_text())
    combo = json.loads((VARIANTS / "mask5_iou_lr1e-3" / "config.json").read_text())
    assert natural["data"] == "runs/data/translator_train_natural"
    assert natural["model"] == combo["model"] and natural["seed"] == combo["seed"]


def test_photo_randomization_rows_are_its_curve() -> None:
    """The README's photograph table quotes the run's evaluation curve beside the same recipe on
    `randomized`, and the two runs differ only in their training data."""
    readme = (RESULTS / "README.md").read_text()
    photo_dir = VARIANTS / "photo_randomization"
    curve = json.loads((photo_dir / "eval_curve.json").read_text())
    combo = json.loads((VARIANTS / "mask5_iou_lr1e-3" / "eval_curve.json").read_text())
    assert curve, "no evaluation recorded"
    for point in curve:
        base = next((p for p in combo if p["step"] == point["step"]), None)
        if base is None:
            continue
        for label, p in (("`randomized` (`mask5_iou_lr1e-3`)", base),
                         ("`photo_randomization`", point)):
            r, t = p["randomized"], p["target"]
            assert (f"| {label} | {point['step']:,} | {r['object_iou']:.3f} / "
                    f"{t['object_iou']:.3f} | {r['miou']:.3f} / {t['miou']:.3f} |") in readme
    photo = json.loads((photo_dir / "config.json").read_text())
    config = json.loads((VARIANTS / "mask5_iou_lr1e-3" / "config.json").read_text())
    assert photo["data"] == "runs/data/translator_train_photo"
    assert photo["model"] == config["model"] and photo["seed"] == config["seed"]


def test_decoder_and_ceiling_table_is_quoted_and_runs_differ_as_named(load_script) -> None:
    """The README quotes the curves' table; the decoder run is the photo run with two decoder
    convolutions, and the ceiling run is that recipe trained on target pairs (train objects)."""
    curves = load_script(VARIANTS / "curves.py")
    assert curves.table() in (RESULTS / "README.md").read_text()
    photo = json.loads((VARIANTS / "photo_randomization" / "config.json").read_text())
    decoder = json.loads((VARIANTS / "decoder_convs2" / "config.json").read_text())
    ceiling = json.loads((VARIANTS / "target_trained" / "config.json").read_text())
    two = {**photo["model"], "generator": {**photo["model"]["generator"], "decoder_convs": 2}}
    assert decoder["model"] == two and decoder["data"] == photo["data"]
    assert ceiling["model"] == two and ceiling["data"] == "runs/data/translator_train_target"
    assert photo["seed"] == decoder["seed"] == ceiling["seed"] == 0
    for run in curves.curves().values():
        assert all(p["target"]["images"] == p["randomized"]["images"] == 1024
                   for p in run.values())
