"""``rcan train-translator``: pix2pix-style training of the RCAN generator, resumable.

Read top to bottom: settings, data, model, then one loop that logs, draws, checkpoints and
evaluates at fixed intervals. A killed run restarts from ``OUT/checkpoint`` exactly: weights,
optimiser moments, RNG state, and the batch order (a function of the step alone).

Outputs in ``OUT``: ``config.json`` (these settings), ``tb/`` (TensorBoard scalars and image
grids), ``checkpoint/`` (latest, for resuming), ``translator/`` (the exported generator:
``generator.safetensors`` + ``config.json``), ``metrics.json`` (the latest evaluation),
``eval_curve.json`` (every evaluation so far, by step) and ``grid_<domain>.png`` for each
evaluation set.
"""

from __future__ import annotations

import platform
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils.tensorboard import SummaryWriter
from tqdm import tqdm

from rcan.common.checkpoint import (
    load_json,
    load_optimizer_tensors,
    load_tensors,
    save_checkpoint,
)
from rcan.common.io import read_json, save_run_config, to_jsonable, write_json
from rcan.sim.show import colorize_depth, colorize_mask, write_grid
from rcan.translator.data import PairedArrays, batch_indices, load_paired
from rcan.translator.inference import Translator
from rcan.translator.metrics import TranslationMetrics
from rcan.translator.model import ModelConfig, TranslatorModel


@dataclass
class TrainTranslatorConfig:
    """Settings of ``rcan train-translator``; saved as ``OUT/config.json``."""

    data: Path = Path("runs/data/translator_train")
    """Paired shards to train on (randomized domain)."""
    eval_data: list[Path] = field(
        default_factory=lambda: [
            Path("runs/data/translator_eval_randomized"),
            Path("runs/data/translator_eval_target"),
        ]
    )
    """Held-out paired shards to measure on (e.g. randomized and target); missing ones are
    skipped with a warning."""
    out: Path = Path("runs/translator")
    """Output folder; an existing run there is resumed."""
    model: ModelConfig = field(default_factory=ModelConfig)
    """Networks, losses, optimiser."""
    batch_size: int = 32
    """Samples per step."""
    steps: int = 20000
    """Total optimisation steps."""
    time_limit_min: float = 0.0
    """Stop (with a checkpoint and evaluation) after this many minutes of training in total,
    resumed invocations included (a training budget); 0 = none."""
    max_train_samples: int | None = None
    """Use only the first this many training samples."""
    eval_samples: int = 1024
    """Samples per evaluation set."""
    seed: int = 0
    """Seed of the initialisation and the batch order."""
    threads: int = 2
    """CPU threads for PyTorch."""
    log_every: int = 50
    """Steps between TensorBoard scalars."""
    image_every: int = 1000
    """Steps between TensorBoard image grids."""
    checkpoint_every: int = 500
    """Steps between checkpoints."""
    eval_every: int = 5000
    """Steps between evaluations (and at the end)."""
    device: str = "cpu"
    """Torch device."""


def train_translator(config: TrainTranslatorConfig) -> dict[str, Any]:
    """Train (or resume) and return the final metrics."""
    torch.set_num_threads(config.threads)
    out = Path(config.out)
    save_run_config(out, config, ("model", "data", "batch_size", "seed", "max_train_samples"))

    train = load_paired(config.data, config.max_train_samples)
    evals = {}
    for path in config.eval_data:
        if Path(path).is_dir():
            data = load_paired(path, config.eval_samples)
            evals[data.domain or Path(path).name] = data
        else:
            print(f"warning: evaluation set {path} not found, skipped", file=sys.stderr)

    torch.manual_seed(config.seed)
    model = TranslatorModel(config.model, config.device)
    counts = np.bincount(train.mask.ravel(), minlength=config.model.generator.num_classes)
    model.set_class_frequencies(torch.from_numpy(counts / counts.sum()))
    state = {"step": 0, "train_seconds": 0.0}
    if (out / "checkpoint").is_dir():
        state = _restore(model, out / "checkpoint")
        print(f"resuming from step {state['step']}")
        trim_curve(out / "eval_curve.json", int(state["step"]))

    writer = SummaryWriter(str(out / "tb"))
    start_step, started = int(state["step"]), time.perf_counter()
    seconds_before = float(state["train_seconds"])
    bar = tqdm(range(start_step, config.steps), initial=start_step, total=config.steps,
               desc="train-translator")
    metrics: dict[str, Any] = {}
    for step in bar:
        batch = train.batch(batch_indices(len(train), config.batch_size, step, config.seed))
        logs = model.train_step(batch)
        done = step + 1
        elapsed = seconds_before + time.perf_counter() - started
        out_of_time = config.time_limit_min > 0 and elapsed > 60 * config.time_limit_min
        if done % config.log_every == 0:
            rate = (done - start_step) * config.batch_size / (time.perf_counter() - started)
            for name, value in logs.items():
                writer.add_scalar(f"loss/{name}", value, done)
            writer.add_scalar("throughput/samples_per_s", rate, done)
            bar.set_postfix(g=f"{logs['g']:.3f}", mask=f"{logs['mask']:.3f}",
                            samples_s=f"{rate:.0f}")
        if done % config.image_every == 0:
            translator = Translator(model.generator, config.device)
            for name, data in evals.items():
                writer.add_image(f"translation/{name}", grid_rows(translator, data, 6), done,
                                 dataformats="HWC")
            model.generator.train()
        last = done == config.steps or out_of_time
        if done % config.checkpoint_every == 0 or last:
            _save(model, config, out / "checkpoint", done, elapsed)
        if done % config.eval_every == 0 or last:
            metrics = evaluate_and_report(model, evals, out, done, writer)
            model.generator.train()
        if out_of_time:
            print(f"time limit reached at step {done}")
            break
    if not metrics:  # nothing left to train: report on the finished run
        metrics = evaluate_and_report(model, evals, out, start_step, writer)
    writer.close()
    final = load_json(out / "checkpoint", "state")
    export(model, config, out / "translator", int(final["step"]), float(final["train_seconds"]))
    return metrics


def evaluate(translator: Translator, data: PairedArrays, batch: int = 256,
             progress: str | None = None) -> dict[str, float]:
    """Metrics of ``translator`` on ``data`` (see TranslationMetrics); ``progress``: the label
    of a progress bar over the pairs (None: silent, as inside training)."""
    metrics = TranslationMetrics()
    bar = tqdm(total=len(data), desc=progress, disable=progress is None, unit="pair")
    for i in range(0, len(data), batch):
        t = translator.translate(data.image[i : i + batch])
        metrics.update(t.canonical, data.canonical[i : i + batch], t.mask,
                       data.mask[i : i + batch], t.depth, data.depth[i : i + batch])
        bar.update(len(t.canonical))
    bar.close()
    return metrics.result()


def evaluate_and_report(
    model: TranslatorModel,
    evals: dict[str, PairedArrays],
    out: Path,
    step: int,
    writer: SummaryWriter | None = None,
) -> dict[str, Any]:
    """Evaluate on every held-out set; write ``metrics.json`` and ``grid_<name>.png``, and
    add the result to ``eval_curve.json`` (see :func:`append_to_curve`)."""
    translator = Translator(model.generator, model.device)
    result: dict[str, Any] = {"step": step}
    for name, data in evals.items():
        result[name] = evaluate(translator, data)
        write_grid([grid_rows(translator, data, 8)], out / f"grid_{name}.png", scale=2)
        if writer is not None:
            for key in ("psnr", "miou", "object_iou", "depth_rmse"):
                writer.add_scalar(f"eval_{name}/{key}", result[name][key], step)
    write_json(out / "metrics.json", result)
    append_to_curve(out / "eval_curve.json", result)
    return result


def append_to_curve(path: Path, result: dict[str, Any]) -> list[dict[str, Any]]:
    """Add one evaluation (``{"step": ..., <set>: {...}}``) to the list in ``path``, in place
    of any entry at or after its step (re-evaluating a step replaces it)."""
    curve = [*_curve_until(path, int(result["step"]) - 1), result]
    write_json(path, curve)
    return curve


def trim_curve(path: Path, last_step: int) -> None:
    """Drop the entries of ``path`` after ``last_step``.

    A run killed between a checkpoint and its next one resumes from the checkpoint and trains
    those steps again (exactly), so evaluations recorded after it are redone, not kept twice.
    """
    if path.exists():
        write_json(path, _curve_until(path, last_step))


def _curve_until(path: Path, last_step: int) -> list[dict[str, Any]]:
    """The entries of the curve in ``path`` (none if it is missing) up to ``last_step``."""
    curve = read_json(path, list) if path.exists() else []
    return [entry for entry in curve if int(entry["step"]) <= last_step]


def grid_rows(translator: Translator, data: PairedArrays, rows: int) -> np.ndarray:
    """input | predicted canonical | true canonical | predicted mask | predicted depth."""
    picks = np.linspace(0, len(data) - 1, rows).astype(int)
    t = translator.translate(data.image[picks])
    lines = [
        np.concatenate([data.image[i], t.canonical[k], data.canonical[i],
                        colorize_mask(t.mask[k]), colorize_depth(t.depth[k])], axis=1)
        for k, i in enumerate(picks)
    ]
    return np.concatenate(lines, axis=0)


def export(model: TranslatorModel, config: TrainTranslatorConfig, folder: Path, step: int,
           seconds: float) -> Path:
    """Write the generator alone (what inference needs) with its config and provenance."""
    payload = {
        "generator": to_jsonable(config.model.generator),
        "trained": {
            "steps": step,
            "batch_size": config.batch_size,
            "train_seconds": round(seconds, 1),
            "seed": config.seed,
            "data": str(config.data),
            "device": config.device,
            "threads": config.threads,
            "machine": f"{platform.machine()} {platform.processor()}".strip(),
            "command": "rcan train-translator " + " ".join(sys.argv[2:]),
        },
    }
    return save_checkpoint(folder, {"generator": model.generator}, {}, {"step": step}, payload)


def _save(model: TranslatorModel, config: TrainTranslatorConfig, folder: Path, step: int,
          seconds: float) -> None:
    from safetensors.torch import save_file

    rng = {"torch_rng": torch.get_rng_state()}
    save_checkpoint(
        folder,
        {"generator": model.generator, "discriminator": model.discriminator},
        {"opt_generator": model.opt_g, "opt_discriminator": model.opt_d},
        {"step": step, "train_seconds": seconds},
        config,
        lambda tmp: save_file(rng, str(tmp / "rng.safetensors")),
    )


def _restore(model: TranslatorModel, folder: Path) -> dict[str, Any]:
    model.generator.load_state_dict(load_tensors(folder, "generator"))
    model.discriminator.load_state_dict(load_tensors(folder, "discriminator"))
    load_optimizer_tensors(model.opt_g, load_tensors(folder, "opt_generator"))
    load_optimizer_tensors(model.opt_d, load_tensors(folder, "opt_discriminator"))
    rng = folder / "rng.safetensors"
    if rng.exists():
        torch.set_rng_state(load_tensors(folder, "rng")["torch_rng"])
    return load_json(folder, "state")


__all__ = [
    "TrainTranslatorConfig", "append_to_curve", "evaluate", "export", "train_translator",
    "trim_curve",
]
