"""Training: the loss falls, checkpoints resume exactly, inference loads what training wrote."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from rcan.common.errors import RcanError
from rcan.data.generate import GenerateConfig, generate
from rcan.translator import Translator
from rcan.translator.data import load_paired
from rcan.translator.evaluate import EvaluateTranslatorConfig, evaluate_translator
from rcan.translator.model import Batch, ModelConfig, TranslatorModel
from rcan.translator.networks import DiscriminatorConfig, GeneratorConfig
from rcan.translator.train import (
    TrainTranslatorConfig,
    append_to_curve,
    evaluate,
    train_translator,
)


def _tiny_model() -> ModelConfig:
    return ModelConfig(
        generator=GeneratorConfig(base_channels=8, depth=3),
        discriminator=DiscriminatorConfig(base_channels=8, layers=2),
    )


@pytest.fixture(scope="module")
def paired(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("paired")
    generate(GenerateConfig(out=root, shards=1, episodes_per_shard=2, image_size=32, seed=0))
    return root


def test_supervised_loss_falls_when_overfitting_one_batch() -> None:
    torch.manual_seed(0)
    config = _tiny_model()
    config.lr = 2e-3
    model = TranslatorModel(config)
    rng = np.random.default_rng(0)
    image = torch.from_numpy(rng.integers(0, 255, (4, 3, 16, 16), dtype=np.uint8))
    bright = image[:, 0] > 127  # a mapping the network can learn: bright red -> "object"
    batch = Batch(
        image=image,
        canonical=torch.where(bright[:, None], 230, 20).to(torch.uint8).expand(-1, 3, -1, -1),
        mask=bright.long() * 5,
        depth=bright.float() * 0.2 + 0.8,
    )
    first = model.train_step(batch)
    for _ in range(100):
        last = model.train_step(batch)
    assert last["mask"] < 0.5 * first["mask"]
    assert last["l2"] < first["l2"]


def _config(paired: Path, out: Path, steps: int) -> TrainTranslatorConfig:
    return TrainTranslatorConfig(
        data=paired, eval_data=[paired], out=out, model=_tiny_model(), batch_size=4,
        steps=steps, checkpoint_every=2, eval_every=100, image_every=2, log_every=1, threads=1,
    )


def test_resume_after_a_kill_is_exact(paired: Path, tmp_path: Path) -> None:
    straight = tmp_path / "straight"
    train_translator(_config(paired, straight, 4))
    resumed = tmp_path / "resumed"
    train_translator(_config(paired, resumed, 2))  # "killed" after two steps
    train_translator(_config(paired, resumed, 4))
    a = Translator.from_checkpoint(straight / "translator").generator.state_dict()
    b = Translator.from_checkpoint(resumed / "translator").generator.state_dict()
    for key in a:
        torch.testing.assert_close(a[key], b[key], rtol=0, atol=0)
    metrics = json.loads((straight / "metrics.json").read_text())
    domain = next(k for k in metrics if k != "step")
    assert set(metrics[domain]) >= {"psnr", "miou", "object_iou", "depth_rmse"}
    assert (straight / f"grid_{domain}.png").exists()
    assert (straight / "tb").is_dir()
    exported = json.loads((straight / "translator" / "config.json").read_text())
    assert exported["trained"]["steps"] == 4


def test_eval_curve_keeps_every_evaluation_once_across_a_resume(
    paired: Path, tmp_path: Path
) -> None:
    def config(out: Path, steps: int) -> TrainTranslatorConfig:
        c = _config(paired, out, steps)
        c.eval_every = 2
        return c

    straight, resumed = tmp_path / "straight", tmp_path / "resumed"
    train_translator(config(straight, 6))
    train_translator(config(resumed, 4))  # "killed" after the evaluation at step 4 ...
    append_to_curve(resumed / "eval_curve.json", {"step": 5, "stale": {}})  # ... and one more
    train_translator(config(resumed, 6))
    a = json.loads((straight / "eval_curve.json").read_text())
    b = json.loads((resumed / "eval_curve.json").read_text())
    assert [e["step"] for e in a] == [e["step"] for e in b] == [2, 4, 6]
    assert a == b
    assert b[-1] == json.loads((resumed / "metrics.json").read_text())


def test_append_to_curve_replaces_steps_at_or_after_the_new_one(tmp_path: Path) -> None:
    path = tmp_path / "eval_curve.json"
    for step in (1, 2, 3):
        append_to_curve(path, {"step": step, "value": step})
    curve = append_to_curve(path, {"step": 2, "value": 20})
    assert curve == [{"step": 1, "value": 1}, {"step": 2, "value": 20}]
    assert json.loads(path.read_text()) == curve
    path.write_text("{}")
    with pytest.raises(RcanError, match=r"eval_curve\.json: expected a JSON list"):
        append_to_curve(path, {"step": 4})


def test_changed_model_refuses_to_resume(paired: Path, tmp_path: Path) -> None:
    train_translator(_config(paired, tmp_path, 2))
    other = _config(paired, tmp_path, 4)
    other.model.generator.base_channels = 16
    with pytest.raises(RcanError, match="different 'model'"):
        train_translator(other)


def test_translate_validates_and_keeps_shapes(paired: Path, tmp_path: Path) -> None:
    train_translator(_config(paired, tmp_path, 2))
    t = Translator.from_checkpoint(tmp_path / "translator")
    batch = t.translate(np.zeros((2, 32, 32, 3), np.uint8))
    assert batch.canonical.shape == (2, 32, 32, 3) and batch.canonical.dtype == np.uint8
    assert batch.mask.shape == (2, 32, 32) and batch.depth.dtype == np.float32
    single = t.translate(np.zeros((32, 32, 3), np.uint8))
    assert single.canonical.shape == (32, 32, 3)
    with pytest.raises(RcanError, match="uint8"):
        t.translate(np.zeros((32, 32, 3), np.float32))
    with pytest.raises(RcanError, match="shape"):
        t.translate(np.zeros((32, 32), np.uint8))
    with pytest.raises(RcanError, match="not a folder"):
        Translator.from_checkpoint(tmp_path / "nope")


def test_evaluate_translator_matches_the_training_metrics(paired: Path, tmp_path: Path) -> None:
    config = _config(paired, tmp_path, 2)
    train_translator(config)
    out = tmp_path / "eval" / "metrics.json"
    result = evaluate_translator(EvaluateTranslatorConfig(tmp_path / "translator", paired, out))
    direct = evaluate(Translator.from_checkpoint(tmp_path / "translator"),
                      load_paired(paired, progress=False))
    for key in ("psnr", "miou", "object_iou", "depth_rmse"):
        assert result[key] == pytest.approx(direct[key])
    assert json.loads(out.read_text())["miou"] == pytest.approx(result["miou"])
    assert out.with_suffix(".png").stat().st_size > 0


def test_shards_of_two_image_sizes_are_refused_in_one_line(tmp_path: Path) -> None:
    generate(GenerateConfig(out=tmp_path, shards=1, episodes_per_shard=1, image_size=32, seed=0))
    other = tmp_path / "other"
    generate(GenerateConfig(out=other, shards=1, episodes_per_shard=1, image_size=16, seed=0))
    (other / "shard-00000.h5").rename(tmp_path / "shard-00001.h5")
    with pytest.raises(RcanError, match=r"shard-00001\.h5: images of shape \(16, 16, 3\)"):
        load_paired(tmp_path, progress=False)
