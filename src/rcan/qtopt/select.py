"""``rcan select-snapshot RUN``: choose a learning-curve point without touching held-out objects.

Successive evaluations of one run differ by up to 20-odd points (a Q-function trained by
bootstrapped targets is a moving thing), so the last network is one draw, not the run's best.
Every curve point keeps its networks (``RUN/snapshots/grasps_N``); this scores each on
*validation* episodes, by default training objects under another seed, and names the best.
Its held-out figure is then measured once, with ``rcan evaluate RUN/snapshots/grasps_N``, so
the choice never sees the episodes it is reported on (early stopping on a validation set).
``--ensembles 3 5`` also scores the mean Q of the last 3 and the last 5 snapshots
(:mod:`rcan.qtopt.ensemble`), which then compete with the single snapshots.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tyro
from tqdm import tqdm

from rcan.common.errors import RcanError
from rcan.common.io import read_json, write_json
from rcan.common.stats import rate_fields
from rcan.qtopt.checkpoint import snapshot_folders, snapshot_grasps
from rcan.qtopt.collector import evaluate_actor
from rcan.qtopt.load import (
    ActingNetwork,
    ensemble_members,
    load_actor,
    saved_env_config,
    training_domain,
)

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
    """Seed of the validation episodes (held-out evaluations use 10,000 + the run's seed)."""
    domain: str | None = None
    """Domain name or file (default: the run's training domain)."""
    network: ActingNetwork = "online"
    """Weights to act with."""
    first_grasps: int = 0
    """Only snapshots taken at this many grasps or more (skip the early ones)."""
    ensembles: tuple[int, ...] = ()
    """Also score acting with the mean Q of the run's last K snapshots, for each K given."""
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
    if any(k < 2 for k in config.ensembles):
        raise RcanError(f"--ensembles: each K must be >= 2 (1 is the last snapshot), "
                        f"got {config.ensembles}")
    folders = snapshot_folders(config.run, config.first_grasps)
    if not folders:
        raise RcanError(f"no snapshots under {Path(config.run) / 'snapshots'} (train-policy keeps "
                        "one per learning-curve point)")
    if config.ensembles:
        ensemble_members(config.run, max(config.ensembles))  # enough snapshots? (fail early)
    out = config.out or Path(config.run) / "selection.json"
    settings = {"episodes": config.episodes, "objects": config.objects, "seed": config.seed,
                "domain": config.domain, "network": config.network}
    previous: dict[str, Any] = read_json(out) if out.is_file() else {}
    same = previous.get("settings") == settings
    done = {int(s["grasps"]): s for s in previous.get("snapshots", [])} if same else {}
    done_ensembles = {int(e["k"]): e for e in previous.get("ensembles", [])} if same else {}
    scores: list[dict[str, Any]] = []
    ensembles: list[dict[str, Any]] = []
    todo = [*folders, *sorted(set(config.ensembles))]
    for item in tqdm(todo, desc="select-snapshot", unit="policy"):
        if isinstance(item, Path):
            grasps = snapshot_grasps(item)
            if grasps not in done:
                done[grasps] = {"grasps": grasps, "folder": str(item),
                                **_validate(item, 1, config)}
            # selections saved before ensembles existed lack the command
            done[grasps].setdefault("evaluate", f"rcan evaluate {done[grasps]['folder']}")
            scores.append(done[grasps])
        else:
            if item not in done_ensembles:
                members = ensemble_members(config.run, item)
                result = _validate(Path(config.run), item, config)
                done_ensembles[item] = {"k": item, "members": [str(m) for m in members],
                                        "evaluate": f"rcan evaluate {config.run} --ensemble "
                                                    f"{item}", **result}
            ensembles.append(done_ensembles[item])
        # Saved after every policy, so a killed selection resumes where it stopped.
        write_json(out, {"run": str(config.run), "settings": settings, "snapshots": scores,
                         "ensembles": ensembles})
    # Ties go to a single snapshot over an ensemble (cheaper to act with), then to the later
    # snapshot (it has learned from more grasps) or the smaller ensemble.
    candidates = [((s["success"], 1, s["grasps"]), s) for s in scores]
    candidates += [((e["success"], 0, -e["k"]), e) for e in ensembles]
    best = max(candidates, key=lambda c: c[0])[1]
    summary = {"run": str(config.run), "settings": settings, "snapshots": scores,
               "ensembles": ensembles, "best": best}
    write_json(out, summary)
    return summary


def _validate(folder: Path, ensemble: int, config: SelectSnapshotConfig) -> dict[str, Any]:
    """Validation success of one snapshot (``ensemble`` 1) or of a run's last-K ensemble."""
    actor, train_config = load_actor(folder, network_name=config.network, ensemble=ensemble)
    domain = config.domain or training_domain(train_config)
    label = folder.name if ensemble == 1 else f"last {ensemble} snapshots"
    result = evaluate_actor(actor, saved_env_config(train_config, domain, config.objects),
                            config.episodes, config.seed, progress=label)
    return rate_fields(result)
