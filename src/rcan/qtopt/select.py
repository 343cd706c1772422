"""``rcan select-snapshot RUN``: choose a learning-curve point without touching held-out objects.

Successive evaluations of one run differ by up to 20-odd points (a Q-function trained by
bootstrapped targets is a moving thing), so the last network is one draw, not the run's best.
Every curve point keeps its networks (``RUN/snapshots/grasps_N``); this scores each on
*validation* episodes, by default training objects under another seed, and names the best.
Its held-out figure is then measured once, with ``rcan evaluate RUN/snapshots/grasps_N``, so
the choice never sees the episodes it is reported on (early stopping on a validation set).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tyro
from tqdm import tqdm

from rcan.common.errors import RcanError
from rcan.common.io import write_json
from rcan.qtopt.checkpoint import snapshot_folders, snapshot_grasps
from rcan.qtopt.collector import evaluate_actor
from rcan.qtopt.load import ActingNetwork, load_actor, policy_env, training_domain

#: The object set evaluations report on; choosing on it would make that report optimistic.
HELD_OUT = "test"


@dataclass
class SelectSnapshotConfig:
    """Settings of ``rcan select-snapshot``."""

    run: tyro.conf.Positional[Path]
    """A train-policy run folder with ``snapshots/`` (one per learning-curve point)."""
    episodes: int = 200
    """Validation episodes per snapshot."""
    objects: str = "train"
    """Validation object set: anything but the held-out test objects."""
    seed: int = 20_000
    """Seed of the validation episodes (the held-out evaluations use 10,000)."""
    domain: str | None = None
    """Domain name or file (default: the run's training domain)."""
    network: ActingNetwork = "online"
    """Weights to act with."""
    first_grasps: int = 0
    """Only snapshots taken at this many grasps or more (skip the early ones)."""
    out: Path | None = None
    """JSON of every score and the choice (default RUN/selection.json); reruns reuse the
    scores it already holds for the same settings."""


def select_snapshot(config: SelectSnapshotConfig) -> dict[str, Any]:
    """Score every snapshot on validation episodes; returns and writes the scores and the best."""
    if config.objects == HELD_OUT:
        raise RcanError("--objects test are the held-out objects the chosen "
                        "snapshot is reported on; validate on others (default: train)")
    if config.episodes < 1:
        raise RcanError(f"--episodes must be >= 1, got {config.episodes}")
    folders = snapshot_folders(config.run, config.first_grasps)
    if not folders:
        raise RcanError(f"no snapshots under {Path(config.run) / 'snapshots'} (train-policy keeps "
                        "one per learning-curve point)")
    out = config.out or Path(config.run) / "selection.json"
    settings = {"episodes": config.episodes, "objects": config.objects, "seed": config.seed,
                "domain": config.domain, "network": config.network}
    done: dict[int, dict[str, Any]] = {}
    if out.is_file():
        previous = json.loads(out.read_text())
        if previous.get("settings") == settings:
            done = {int(s["grasps"]): s for s in previous.get("snapshots", [])}
    scores = []
    for folder in tqdm(folders, desc="select-snapshot", unit="snapshot"):
        grasps = snapshot_grasps(folder)
        if grasps not in done:
            actor, train_config = load_actor(folder, network_name=config.network)
            domain = config.domain or training_domain(train_config)
            result = evaluate_actor(actor, policy_env(train_config, domain, config.objects),
                                    config.episodes, config.seed)
            done[grasps] = {"grasps": grasps, "folder": str(folder),
                            **{k: result[k] for k in ("success", "ci_low", "ci_high",
                                                      "episodes")}}
        scores.append(done[grasps])
        # Saved after every snapshot, so a killed selection resumes where it stopped.
        write_json(out, {"run": str(config.run), "settings": settings, "snapshots": scores})
    # Ties go to the later snapshot: it has learned from more grasps.
    best = max(scores, key=lambda s: (s["success"], s["grasps"]))
    summary = {"run": str(config.run), "settings": settings, "snapshots": scores,
               "best": best}
    write_json(out, summary)
    return summary
