"""``rcan fit-policy``: more gradient steps on a run's replay, with no new grasps.

Asks whether a QT-Opt run's plateau lies in its data or in how long it fitted that data. The
networks, optimiser, target networks and replay of a ``train-policy`` run are copied to a new
folder and trained for ``steps`` more gradient steps, exactly as the run trained them (same
mixed batches, Bellman updater and target delays), but nothing is collected: the grasp count
stays the source's. QT-Opt (Kalashnikov et al. 2018) trains offline on stored grasps the same
way before its on-policy phase.

Outputs in ``OUT`` (a ``train-policy`` run folder, so ``rcan evaluate OUT`` reads it and
``rcan train-policy --out OUT`` could continue collecting): ``checkpoint/``, ``config.json``
(the source run's settings), ``fit_config.json`` (these settings), ``fit_curve.json`` and
``fit_curve.png`` (greedy success on the source run's evaluation episodes vs. added gradient
steps), ``metrics.json`` when done, and TensorBoard logs in ``tb_fit/``. A killed fit resumes
from ``OUT/checkpoint`` with the same command.
"""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from torch.utils.tensorboard import SummaryWriter
from tqdm import tqdm

from rcan.common.checkpoint import load_json
from rcan.common.errors import RcanError
from rcan.common.io import atomic_folder, atomic_path, write_json
from rcan.qtopt.curve import write_curve
from rcan.qtopt.train import (
    TrainPolicyConfig,
    build_trainer_parts,
    evaluate_policy,
    gradient_steps,
    load_run_config,
    past_time_limit,
    save_training_state,
)


@dataclass
class FitPolicyConfig:
    """Settings of ``rcan fit-policy``; saved as ``OUT/fit_config.json``."""

    run: Path
    """The train-policy run to continue from (its checkpoint: networks, optimiser, replay)."""
    out: Path
    """Output folder (a new train-policy run folder); an existing fit there is resumed."""
    steps: int = 50_000
    """Gradient steps to add."""
    eval_every_steps: int = 10_000
    """Added gradient steps between evaluations (the first is at 0 added steps)."""
    eval_episodes: int | None = None
    """Episodes per evaluation (default: the source run's, on the same seeds)."""
    checkpoint_every_steps: int = 5_000
    """Added gradient steps between checkpoints (the replay is rewritten with each)."""
    time_limit_min: float = 0.0
    """Stop with a checkpoint after this many minutes (0: no limit); rerun to continue."""
    threads: int = 1
    """PyTorch CPU threads."""

    def __post_init__(self) -> None:
        if self.steps < 0 or self.eval_every_steps < 1 or self.checkpoint_every_steps < 1:
            raise RcanError("fit-policy: need steps >= 0, eval_every_steps >= 1 and "
                            f"checkpoint_every_steps >= 1, got {self.steps}, "
                            f"{self.eval_every_steps}, {self.checkpoint_every_steps}")


def start_fit_folder(source: Path, out: Path) -> None:
    """Copy ``source``'s checkpoint and config into ``out`` (atomically, once)."""
    checkpoint = source / "checkpoint"
    if not (checkpoint / "replay.h5").is_file():
        raise RcanError(f"fit-policy --run {source}: not a train-policy run "
                        "(no checkpoint/replay.h5)")
    # The config first: the checkpoint's presence is what marks the folder as started.
    with atomic_path(out / "config.json") as tmp_config:
        shutil.copy2(source / "config.json", tmp_config)
    with atomic_folder(out / "checkpoint") as tmp:
        for item in checkpoint.iterdir():
            shutil.copy2(item, tmp / item.name)


def load_train_config(out: Path, threads: int, eval_episodes: int | None) -> TrainPolicyConfig:
    """The train-policy settings saved in ``out/config.json``, pointed at ``out``."""
    config = load_run_config(out)
    config.out, config.threads = out, threads
    if eval_episodes is not None:
        config.eval_episodes = eval_episodes
    return config


def fit_policy(fit: FitPolicyConfig) -> dict[str, Any]:
    """Run (or resume) the fit; returns the last evaluation."""
    out = Path(fit.out)
    if Path(fit.run).resolve() == out.resolve():
        raise RcanError("fit-policy: --out must differ from --run")
    if not (out / "checkpoint").is_dir():
        start_fit_folder(Path(fit.run), out)
    write_json(out / "fit_config.json", fit)
    config = load_train_config(out, fit.threads, fit.eval_episodes)
    parts = build_trainer_parts(config, command=load_json(out, "config").get("command"))
    learner, actor, state = parts.learner, parts.actor, parts.state
    progress = state.setdefault("fit", {"from": str(fit.run), "start_steps": learner.steps,
                                        "curve": [], "seconds": 0.0})
    done = learner.steps - progress["start_steps"]
    writer = SummaryWriter(str(out / "tb_fit"))
    bar = tqdm(total=fit.steps, initial=done, desc="fit-policy", unit="step")
    started = time.perf_counter()
    seconds_before = float(progress["seconds"])

    def evaluate_now() -> dict[str, Any]:
        point = {"added_steps": done, **evaluate_policy(config, actor, int(state["grasps"]),
                                                        learner.steps)}
        progress["curve"].append(point)
        writer.add_scalar("eval/success", point["success"], done)
        write_curve(out, progress["curve"], "fit_curve", "added_steps",
                    "gradient steps added (no new grasps)")
        return point

    last = progress["curve"][-1] if progress["curve"] else evaluate_now()
    while done < fit.steps:
        chunk = min(fit.steps - done,
                    fit.checkpoint_every_steps - done % fit.checkpoint_every_steps,
                    fit.eval_every_steps - done % fit.eval_every_steps)
        t0 = time.perf_counter()
        logs = gradient_steps(parts, chunk, config.learner.batch_size)
        done += chunk
        bar.update(chunk)
        writer.add_scalar("throughput/gradient_steps_per_s", chunk / (time.perf_counter() - t0),
                          done)
        for key, value in logs.items():
            writer.add_scalar(f"learner/{key}", value, done)
        actor.load_weights(learner.network.state_dict())
        if done % fit.eval_every_steps == 0 or done == fit.steps:
            last = evaluate_now()
            bar.set_postfix(eval=f"{last['success']:.2f}")
        out_of_time = past_time_limit(started, fit.time_limit_min)
        if done % fit.checkpoint_every_steps == 0 or done == fit.steps or out_of_time:
            progress["seconds"] = seconds_before + time.perf_counter() - started
            save_training_state(out, config, learner, parts.targets, parts.replay, state,
                                parts.rng, actor, parts.label_gen)
        if out_of_time:
            print(f"time limit reached at {done} added steps; rerun the same command to continue")
            break
    bar.close()
    writer.close()
    if done >= fit.steps:
        write_json(out / "metrics.json", {**last, "grasps_trained": int(state["grasps"])})
    return last
