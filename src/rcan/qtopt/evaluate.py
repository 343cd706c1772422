"""``rcan evaluate POLICY``: greedy success on held-out objects in any domain, with a 95% CI."""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
import tyro

from rcan.common.errors import RcanError
from rcan.common.io import read_json, write_json
from rcan.common.stats import paired_comparison, rate_fields
from rcan.qtopt.collector import evaluate_actor
from rcan.qtopt.ensemble import QEnsemble
from rcan.qtopt.load import (
    ActingNetwork,
    load_actor,
    run_patience,
    saved_env_config,
    training_domain,
    translator_source,
)
from rcan.sim.domain import domain_name
from rcan.sim.render import CLASS_NAMES


@dataclass
class EvaluateConfig:
    """Settings of ``rcan evaluate``."""

    policy: tyro.conf.Positional[Path]
    """Run folder (or its checkpoint folder) written by ``rcan train-policy``."""
    domain: str | None = None
    """Domain name or file (default: the policy's training domain)."""
    episodes: int = 200
    """Evaluation episodes."""
    objects: str = "test"
    """Object set (default: held-out test objects)."""
    seed: int = 10_000
    """Seed of the evaluation episodes (fixed, so policies meet the same episodes)."""
    actor_seed: int = 0
    """Seed of the policy's own random draws (CEM samples): another value replays the same
    episodes with other draws, which shows how much of the outcome is acting chance."""
    translator: Path | None = None
    """Override the translator of an rcan policy."""
    out: Path | None = None
    """JSON file for the result (default: POLICY/eval_<domain>.json)."""
    cem_samples: int | None = None
    """Override the run's acting CEM: actions sampled per iteration."""
    cem_elites: int | None = None
    """Override the run's acting CEM: elites refit to."""
    cem_iterations: int | None = None
    """Override the run's acting CEM: sample-score-refit rounds."""
    patience: float | None = None
    """End episodes for success rather than speed: CEM ranks a non-terminating action by
    PATIENCE x the undiscounted success one step on (rcan.qtopt.policy.Patience; 1 undoes the
    discount and step penalty); default: QT-Opt's plain argmax of Q."""
    regrasp_oracle: int = 0
    """Diagnostic (simulation only): up to N times per episode a terminate on a closed, empty
    gripper re-opens it and goes on instead of ending (EnvConfig.regrasp_oracle): what learning
    to regrasp would be worth."""
    network: ActingNetwork = "online"
    """Weights to act with: the learner's (online) or their Polyak average (target_polyak)."""
    ensemble: int = 1
    """Act with the mean Q of the run's last N snapshots (POLICY: the run folder); 1: one
    network."""
    ensemble_until: int | None = None
    """With --ensemble: take the last N snapshots up to this many grasps (the ensemble the run
    had then) instead of its newest ones."""
    perfect_translation: bool = False
    """Feed the policy each state's own canonical render in place of G(x) (a translator that
    is never wrong; canonical and rcan policies): against the same episodes through the
    translator, it measures what translation costs (simulation only)."""
    perfect_classes: tuple[str, ...] = ()
    """With --perfect-translation and an rcan policy: only these classes' pixels (background,
    table, tray, arm, gripper, object; by the true mask) come from the canonical render, the
    rest stay G(x) (default: the whole image)."""
    threads: int | None = None
    """PyTorch CPU threads (default: PyTorch's own choice); 1 when several evaluations share
    the cores."""


def evaluate(config: EvaluateConfig) -> dict[str, Any]:
    """Run the evaluation and write its JSON."""
    if config.perfect_classes and not config.perfect_translation:
        raise RcanError("--perfect-classes needs --perfect-translation")
    if config.threads is not None:
        torch.set_num_threads(config.threads)
    actor, train_config = load_actor(
        config.policy, str(config.translator) if config.translator else None,
        seed=config.actor_seed,
        network_name=config.network, ensemble=config.ensemble,
        ensemble_until=config.ensemble_until,
        perfect_classes=config.perfect_classes if config.perfect_translation else None,
    )
    domain = config.domain or training_domain(train_config)
    overrides = {
        "samples": config.cem_samples,
        "elites": config.cem_elites,
        "iterations": config.cem_iterations,
    }
    actor.cem = dataclasses.replace(
        actor.cem, **{k: v for k, v in overrides.items() if v is not None}
    )
    # The MDP the policy was trained in (image size, episode length, action scales, world);
    # runs from before the environment was recorded get the defaults.
    env = saved_env_config(train_config, domain, config.objects)
    env.canonical_view = config.perfect_translation
    env.regrasp_oracle = config.regrasp_oracle
    if config.patience is not None:
        actor.patience = run_patience(train_config, env, config.patience)
    result = {
        "policy": str(config.policy),
        "obs": train_config["obs"],
        "domain": domain,
        "objects": config.objects,
        "seed": config.seed,
        "actor_seed": config.actor_seed,
        "translator": (None if config.perfect_translation and not config.perfect_classes
                       else translator_source(config.policy, train_config, config.translator)),
        "perfect_translation": config.perfect_translation,
        "perfect_classes": (list(config.perfect_classes or CLASS_NAMES)
                            if config.perfect_translation else []),
        "act_cem": dataclasses.asdict(actor.cem),
        "patience": dataclasses.asdict(actor.patience) if actor.patience else None,
        "regrasp_oracle": config.regrasp_oracle,
        "network": config.network,
        "ensemble": (list(actor.network.sources)
                     if isinstance(actor.network, QEnsemble) else None),
        **evaluate_actor(actor, env, config.episodes, config.seed,
                         progress=f"evaluate in {domain_name(domain)}"),
    }
    name = domain_name(domain)
    out = config.out or Path(config.policy) / f"eval_{name}.json"
    write_json(out, result)
    return result


#: Fields two evaluations must share to have met the same episodes.
SAME_EPISODES = ("domain", "objects", "seed", "episodes")


def read_evaluation(path: str | os.PathLike[str]) -> dict[str, Any]:
    """An ``rcan evaluate`` JSON that records each episode's success (RcanError if not)."""
    result = read_json(path)
    if not isinstance(result.get("success_by_episode"), str):
        raise RcanError(f"{path}: no 'success_by_episode' field (written by an rcan evaluate "
                        "older than paired comparisons; evaluate again)")
    return result


def compare_evaluations(a: str | os.PathLike[str], b: str | os.PathLike[str]) -> dict[str, Any]:
    """Two evaluations of the same episodes side by side, with McNemar's paired test
    (rcan.common.stats.paired_comparison): whether B's gain over A is more than chance."""
    first, second = read_evaluation(a), read_evaluation(b)
    for key in SAME_EPISODES:
        if first.get(key) != second.get(key):
            raise RcanError(f"{a} and {b} did not meet the same episodes: {key} "
                            f"{first.get(key)!r} vs {second.get(key)!r}")
    try:
        paired = paired_comparison(first["success_by_episode"], second["success_by_episode"])
    except ValueError as err:
        raise RcanError(f"{a} and {b}: {err}") from None
    return {"a": {"file": str(a), **rate_fields(first)},
            "b": {"file": str(b), **rate_fields(second)},
            **{key: first[key] for key in SAME_EPISODES}, **dataclasses.asdict(paired)}
