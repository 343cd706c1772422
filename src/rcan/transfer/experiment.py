"""``rcan experiment table1``: RCAN's transfer table (James et al. 2019, Table 1) in our world.

Three simulated policies are trained with the same budget (or taken from given run folders):
``canonical`` (sees canonical renders, canonical domain), ``randomized`` (raw images of the
randomized domain) and ``rcan`` (G(x) stacked with x, randomized domain, frozen translator).
Each is measured on held-out objects in its own training domain (column ``sim``), zero-shot
in the target domain (``target_0``), and after joint finetuning in the target domain on N
on-policy target grasps (``target_5k``, ``target_28k``): ``train_policy`` with
``init_from=<sim run>``, so the finetuned policy starts from the sim networks and keeps the
whole sim replay as off-policy data, as RCAN's Sec. 4 does with real grasps. With
``rcan_from_canonical`` the ``rcan`` row's sim policy is derived from the canonical row's
instead of trained (see ``Table1Config.rcan_from_canonical``).

Finetuning runs once per row, to the largest budget, in a single train-policy folder that is
continued budget by budget (5k, then on to 28k: never from scratch); on reaching each budget
its weights are copied to that column's stage folder and evaluated there. Between budgets the
finetuning run's own shorter evaluations give the learning curve's intermediate points.
Every row's sim policy and zero-shot cells are measured before any finetuning, and the
finetuning columns are filled budget by budget across the rows, so the cheap columns come
first and a long experiment shows whole columns as it goes.

Every stage has its own folder; a stage whose ``metrics.json`` exists is skipped on rerun, and
train-policy resumes its runs from their checkpoints, so a killed experiment is continued by
running the same command again::

    OUT/experiment.json                        this config and the command
    OUT/timings.json                           wall seconds per stage (kept across reruns)
    OUT/progress.json                          the cells measured so far
    OUT/<row>/sim/                             train-policy run (absent if --<row>-run given)
    OUT/<row>/sim_eval/metrics.json            cell "sim"
    OUT/<row>/<target>/target_0/metrics.json   cell "target_0"
    OUT/<row>/<target>/finetune/               the one finetuning run, continued per budget
    OUT/<row>/<target>/target_5k/policy/       its weights at 5,000 target grasps
    OUT/<row>/<target>/target_5k/metrics.json  cell "target_5k"

Other target domains (a domain file made from photos of another bin, a shifted camera) go
to their own ``<target>`` folders and give a table of the same shape.
"""

from __future__ import annotations

import copy
import json
import shutil
import sys
import time
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import torch

from rcan.common.errors import RcanError
from rcan.common.io import atomic_folder, read_json, to_jsonable, write_json
from rcan.common.machine import machine
from rcan.qtopt.load import saved_env_config
from rcan.qtopt.observation import run_domain
from rcan.qtopt.train import TrainPolicyConfig, load_run_config, train_policy
from rcan.sim.domain import domain_name, load_domain
from rcan.transfer.episodes import ActorController, load_policy, play
from rcan.transfer.layout import PolicyFolder
from rcan.transfer.table import (
    ROWS,
    SIM,
    ZERO_SHOT,
    budget_column,
    check_budgets,
    check_rows,
    column_grasps,
    columns,
    make_cell,
    meta_path,
)


@dataclass
class Table1Config:
    """Settings of ``rcan experiment table1``; saved as ``OUT/experiment.json``."""

    out: Path = Path("runs/table1")
    """Folder of the stages (one subfolder each); rerunning the command continues it."""
    table: Path | None = None
    """Table JSON (default results/table1.json, or results/table1_<name>.json for another
    --target-domain); its metadata goes beside it as <name>.meta.json."""
    rows: tuple[str, ...] = ROWS
    """Rows to run: some of canonical, randomized, rcan."""
    target_domain: str = "target"
    """Domain standing in for reality: a built-in name or a domain file (YAML/JSON)."""
    translator: Path = Path("models/translator")
    """Frozen translator of the rcan row (used when that row is trained here)."""
    canonical_run: Path | None = None
    """Use this train-policy run as the canonical row's sim policy instead of training one."""
    randomized_run: Path | None = None
    """Use this train-policy run as the randomized row's sim policy."""
    rcan_run: Path | None = None
    """Use this train-policy run as the rcan row's sim policy (its recorded translator)."""
    rcan_from_canonical: bool = False
    """Make the rcan row's sim policy from the canonical row's (trained here or
    --canonical-run) instead of training one on [G(x), x]: its weights read G(x), the x half
    starts at zero, the canonical replay comes along as [c, c], and one collection cycle
    (--train.episodes-per-cycle grasps through G(x) in the randomized domain) makes it a run
    finetuning can start from."""
    train: TrainPolicyConfig = field(default_factory=TrainPolicyConfig)
    """Settings of the simulated training runs, the same for every row (obs, domain,
    translator, out and init_from are set per row); --train.grasps is the common budget,
    --train.seed the experiment's seed, --train.threads its CPU threads."""
    finetune_grasps: tuple[int, ...] = (5_000, 28_000)
    """Target grasps after which the finetuned policy is measured, one column each."""
    finetune_eval_every: int = 1_000
    """Target grasps between the finetuning run's own evaluations (the curve points between
    the columns); it checkpoints at each of them."""
    finetune_eval_episodes: int = 50
    """Episodes per such intermediate evaluation."""
    finetune_lr: float = 0.0
    """Adam learning rate while finetuning (0: the sim run's own); a smaller one moves a
    converged network less on the first, few target grasps."""
    finetune_updates_per_episode: float = 0.0
    """Gradient steps per target grasp while finetuning (0: the sim run's own). Target grasps
    are the scarce resource there, compute is not (QT-Opt took ~26 steps per real grasp), and
    the on-policy share of each batch ramps with gradient steps, not grasps."""
    finetune_freeze_raw_input: bool = False
    """rcan row only: keep the raw-image weights fixed while finetuning, so the network goes
    on reading G(x) alone (e.g. after --rcan-from-canonical, whose raw half is zero)."""
    eval_episodes: int = 200
    """Episodes per table cell."""
    eval_objects: str = "test"
    """Object set of every evaluation (held out from training)."""
    eval_seed: int = 10_000
    """Seed of the evaluation episodes: every policy meets the same episodes."""
    report: bool = True
    """Also write the report (Markdown + HTML with pictures) when the table is complete."""
    report_out: Path | None = None
    """Report folder (default: <table folder>/<table name>_report)."""
    report_episodes: int = 2
    """Episodes recorded as GIFs per pictured policy in the report."""


def default_table(config: Table1Config) -> Path:
    """The table JSON path for ``config``."""
    if config.table is not None:
        return Path(config.table)
    name = domain_name(config.target_domain)
    return Path("results") / ("table1.json" if name == "target" else f"table1_{name}.json")


def trained_grasps(run: Path) -> int:
    """Grasps a train-policy run (or a policy snapshot) has learned from, 0 if none yet."""
    for folder in (run / "checkpoint", run):
        path = folder / "state.json"
        if path.is_file():
            return int(read_json(path).get("grasps", 0))
    return 0


class Timings:
    """Wall seconds per stage, kept in a JSON file so reruns keep earlier stages' times."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.seconds: dict[str, float] = read_json(path) if path.is_file() else {}

    def record(self, stage: str, seconds: float) -> None:
        """Add ``seconds`` to ``stage`` (a resumed stage accumulates) and save. The file is
        read again first, so a second process filling other rows of the same OUT keeps the
        stages it recorded meanwhile."""
        if self.path.is_file():
            self.seconds = read_json(self.path)
        self.seconds[stage] = round(self.seconds.get(stage, 0.0) + seconds, 3)
        write_json(self.path, self.seconds)


class Table1:
    """One run of the experiment; see the module docstring for the stages."""

    def __init__(self, config: Table1Config, command: str = "") -> None:
        self.config = config
        self.command = command
        self.rows = check_rows(config.rows)
        self.budgets = check_budgets(config.finetune_grasps)
        for name in ("eval_episodes", "finetune_eval_every", "finetune_eval_episodes"):
            if getattr(config, name) < 1:
                raise RcanError(f"--{name.replace('_', '-')} must be >= 1, got "
                                f"{getattr(config, name)}")
        for name in ("finetune_lr", "finetune_updates_per_episode"):
            if getattr(config, name) < 0:
                raise RcanError(f"--{name.replace('_', '-')} must be >= 0 (0: the sim run's), "
                                f"got {getattr(config, name)}")
        load_domain(config.target_domain)  # unknown or malformed domains stop here, not later
        self.target = config.target_domain
        self.out = Path(config.out)
        self.target_dir = domain_name(self.target)
        if config.rcan_from_canonical:
            if config.rcan_run is not None:
                raise RcanError("--rcan-from-canonical makes the rcan row's sim policy: "
                                "drop --rcan-run, or this option")
            if "rcan" in self.rows and "canonical" not in self.rows and (
                    config.canonical_run is None):
                raise RcanError("--rcan-from-canonical needs the canonical row (--rows "
                                "canonical rcan) or --canonical-run RUN")
        self.given = {row: self._check_given(row) for row in self.rows}
        if "rcan" in self.rows and self.given["rcan"] is None and not Path(
                config.translator).is_dir():  # checked before the canonical row trains
            raise RcanError(f"row 'rcan' needs a translator: {config.translator} is not a "
                            "folder (--translator CHECKPOINT, or --rcan-run RUN)")
        self.timings = Timings(self.out / "timings.json")
        self.meta_rows: dict[str, dict[str, Any]] = {}
        self.finetunes: dict[str, TrainPolicyConfig] = {}

    def _check_given(self, row: str) -> Path | None:
        run = getattr(self.config, f"{row}_run")
        if run is None:
            return None
        found = PolicyFolder.find(run)
        if found.obs != row:
            raise RcanError(f"--{row}-run {run}: trained with obs={found.obs!r}, the {row!r} "
                            f"row needs obs={row!r}")
        if self.budgets and not (found.checkpoint / "replay.h5").is_file():
            raise RcanError(f"--{row}-run {run}: not a train-policy run with its replay "
                            "(checkpoint/replay.h5), which finetuning starts from")
        return Path(run)

    # -- stages ---------------------------------------------------------------------------
    def run(self) -> dict[str, dict[str, dict[str, Any]]] | None:
        """Run every unfinished stage; the table, or None if a time limit stopped training
        (rerun the same command to continue).

        Every row's sim policy and zero-shot cells come first, then the finetuning columns
        budget by budget, so a long experiment shows whole columns early; the cells so far
        are kept in ``OUT/progress.json``."""
        torch.set_num_threads(self.config.train.threads)
        write_json(self.out / "experiment.json",
                   {"command": self.command, "config": to_jsonable(self.config)})
        started = time.perf_counter()
        results: dict[str, dict[str, dict[str, Any]]] = {}
        for row in self.rows:
            cells = self.zero_shot_cells(row)
            if cells is None:
                return None
            results[row] = cells
            self.write_progress(results)
        for budget in self.budgets:
            for row in self.rows:
                cell = self.finetuned_cell(row, budget)
                if cell is None:
                    return None
                results[row][budget_column(budget)] = cell
                self.write_progress(results)
        for row in self.rows:
            curve = Path(self.finetunes[row].out) / "curve.json"
            self.meta_rows[row]["finetune_run"] = str(self.finetunes[row].out)
            self.meta_rows[row]["finetune_curve"] = (json.loads(curve.read_text())
                                                     if curve.is_file() else [])
        table = {row: {c: make_cell(results[row][c]) for c in columns(self.budgets)}
                 for row in self.rows}
        path = default_table(self.config)
        write_json(path, table)
        write_json(meta_path(path), self.metadata(time.perf_counter() - started))
        print(f"wrote {path} and {meta_path(path)}")
        if self.config.report:
            from rcan.transfer.report import ReportConfig, build_report, default_out

            report = build_report(ReportConfig(
                table=path, out=self.config.report_out or default_out(path),
                gif_episodes=self.config.report_episodes, seed=self.config.eval_seed,
                threads=self.config.train.threads))
            print(f"wrote {report}/report.md and report.html")
        return table

    def zero_shot_cells(self, row: str) -> dict[str, dict[str, Any]] | None:
        """The row's sim policy (trained, continued or given) and its ``sim`` and
        ``target_0`` cells' evaluation results; None if a time limit stopped training."""
        sim_run = self.given[row] or self.train_sim(row)
        if sim_run is None:
            return None
        sim_config = load_run_config(sim_run)
        own_domain = run_domain(sim_config.obs, sim_config.domain)
        meta: dict[str, Any] = {
            "sim_run": str(sim_run), "given": self.given[row] is not None,
            "sim_domain": own_domain, "translator": _str(sim_config.translator),
            "sim_grasps_trained": trained_grasps(sim_run), "stages": {},
        }
        if sim_config.init_from is not None:  # e.g. an rcan row made from the canonical one
            meta["sim_init_from"] = str(sim_config.init_from)
            meta["sim_init_grasps_trained"] = trained_grasps(Path(sim_config.init_from))
        self.meta_rows[row] = meta
        self.finetunes[row] = self.finetune_config(sim_run, sim_config,
                                                   self.row_dir(row) / "finetune")
        return {
            SIM: self.evaluate(f"{row}/sim_eval", self.out / row / "sim_eval", sim_run,
                               own_domain, meta),
            ZERO_SHOT: self.evaluate(f"{row}/{self.target_dir}/{ZERO_SHOT}",
                                     self.row_dir(row) / ZERO_SHOT, sim_run, self.target, meta),
        }

    def finetuned_cell(self, row: str, budget: int) -> dict[str, Any] | None:
        """The row's cell after ``budget`` target grasps of joint finetuning (continuing the
        row's one finetuning run); None if a time limit stopped it first."""
        column = budget_column(budget)
        stage = self.row_dir(row) / column
        finetune = self.finetunes[row]
        if not (stage / "metrics.json").is_file() and not (stage / "policy").is_dir():
            if not self.finetune_to(f"{row}/{self.target_dir}/finetune", finetune, budget):
                return None
            copy_policy(finetune.out, stage / "policy")
        return self.evaluate(f"{row}/{self.target_dir}/{column}", stage, stage / "policy",
                             self.target, self.meta_rows[row])

    def row_dir(self, row: str) -> Path:
        """The folder of a row's target-domain stages."""
        return self.out / row / self.target_dir

    def write_progress(self, results: dict[str, dict[str, dict[str, Any]]]) -> None:
        """``OUT/progress.json``: the cells measured so far, as the table will hold them."""
        write_json(self.out / "progress.json",
                   {row: {c: make_cell(r) for c, r in cells.items()}
                    for row, cells in results.items()})

    def train_sim(self, row: str) -> Path | None:
        """Train (or continue) the row's simulated policy; None if stopped by a time limit."""
        config = copy.deepcopy(self.config.train)
        config.obs = row  # type: ignore[assignment]
        config.domain = None
        config.translator = Path(self.config.translator) if row == "rcan" else None
        config.init_from = None
        config.out = self.out / row / "sim"
        if row == "rcan" and self.config.rcan_from_canonical:
            canonical = self.config.canonical_run or self.out / "canonical" / "sim"
            if trained_grasps(Path(canonical)) == 0:
                raise RcanError(f"--rcan-from-canonical: {canonical} holds no trained "
                                "canonical policy")
            config.init_from = Path(canonical)
            config.canonical_replay_as_rcan = True
            config.grasps = config.episodes_per_cycle
        metrics = config.out / "metrics.json"
        if metrics.is_file() and read_json(metrics).get(
                "grasps_trained", 0) >= config.grasps:
            return config.out
        print(f"[{row}] training in simulation to {config.grasps} grasps in {config.out}")
        start = time.perf_counter()
        train_policy(config)
        self.timings.record(f"{row}/sim_train", time.perf_counter() - start)
        if trained_grasps(config.out) < config.grasps:
            print(f"[{row}] stopped at {trained_grasps(config.out)} grasps (time limit); "
                  "rerun the same command to continue")
            return None
        return config.out

    def finetune_config(self, sim_run: Path, sim_config: TrainPolicyConfig,
                        folder: Path) -> TrainPolicyConfig:
        """The joint-finetuning run: the sim run's own settings, in the target domain,
        starting from its networks and replay."""
        config = copy.deepcopy(sim_config)
        config.domain = self.target
        config.init_from = sim_run
        config.out = folder
        config.eval_every_grasps = self.config.finetune_eval_every
        # Its replay holds the sim data and the target data, gigabytes: written every 10
        # cycles it took an eighth of the run's time, so checkpoint at each evaluation.
        config.checkpoint_every_cycles = max(
            config.checkpoint_every_cycles,
            self.config.finetune_eval_every // config.episodes_per_cycle)
        config.eval_episodes = self.config.finetune_eval_episodes
        # The target stands in for a real robot, which knows no object poses to aim at.
        config.exploration.explorer = "random"
        # A sim run made --init-from a canonical one keeps that option, but its own replay
        # already holds rcan images: finetuning takes it whole, as from any other run.
        config.canonical_replay_as_rcan = False
        if self.config.finetune_lr:
            lr = self.config.finetune_lr
            config.learner = replace(
                config.learner, lr=lr, lr_end=min(config.learner.lr_end, lr))
        if self.config.finetune_updates_per_episode:
            config.updates_per_episode = self.config.finetune_updates_per_episode
        config.freeze_raw_input = (config.freeze_raw_input or (
            config.obs == "rcan" and self.config.finetune_freeze_raw_input))
        for name in ("threads", "time_limit_min", "collectors", "bellman_updaters",
                     "ray_address"):
            setattr(config, name, getattr(self.config.train, name))
        return config

    def finetune_to(self, stage: str, config: TrainPolicyConfig, budget: int) -> bool:
        """Continue the finetuning run until ``budget`` target grasps; False if a time limit
        stopped it first."""
        have = trained_grasps(Path(config.out))
        if have >= budget + config.episodes_per_cycle:
            raise RcanError(f"{config.out} is already at {have} target grasps, past "
                            f"{budget}, and its weights at {budget} were not kept: remove "
                            f"{config.out} to redo the finetuning")
        if have < budget:
            print(f"[{stage}] finetuning in {self.target} to {budget} target grasps")
            run = copy.deepcopy(config)
            run.grasps = budget
            start = time.perf_counter()
            train_policy(run)
            self.timings.record(f"{stage}_to_{budget}", time.perf_counter() - start)
            if trained_grasps(Path(config.out)) < budget:
                print(f"[{stage}] stopped at {trained_grasps(Path(config.out))} grasps (time "
                      "limit); rerun the same command to continue")
                return False
        return True

    def evaluate(self, key: str, stage: Path, policy: Path, domain: str,
                 meta: dict[str, Any]) -> dict[str, Any]:
        """One table cell: the policy's greedy success in ``domain`` on the held-out objects
        (``stage/metrics.json``, reused if present)."""
        metrics = stage / "metrics.json"
        column = stage.name if stage.name != "sim_eval" else SIM
        if metrics.is_file():
            result = read_json(metrics)
        else:
            start = time.perf_counter()
            actor, policy_config = load_policy(policy, seed=self.config.train.seed)
            env = saved_env_config(policy_config, domain, self.config.eval_objects)
            played = play(ActorController(actor, f"{key}"), env, self.config.eval_episodes,
                          self.config.eval_seed)
            seconds = time.perf_counter() - start
            result = {**played.as_dict(), "policy": str(policy), "domain": domain,
                      "objects": self.config.eval_objects, "seed": self.config.eval_seed,
                      "grasps_trained": trained_grasps(policy), "seconds": round(seconds, 3)}
            write_json(metrics, result)
            self.timings.record(key, seconds)
            print(f"[{key}] {result['success']:.1%} [{result['ci_low']:.1%}, "
                  f"{result['ci_high']:.1%}] over {result['episodes']} episodes")
        meta["stages"][column] = {"folder": str(stage), "policy": result.get("policy"),
                                  "grasps_trained": result.get("grasps_trained"),
                                  "seconds": result.get("seconds")}
        return result

    def metadata(self, seconds: float) -> dict[str, Any]:
        """The sibling metadata file: how, where and from what the table was made."""
        return {
            "command": self.command,
            "config": to_jsonable(self.config),
            "seed": self.config.train.seed,
            "target_domain": self.target,
            "eval_objects": self.config.eval_objects,
            "eval_seed": self.config.eval_seed,
            "columns": column_grasps(self.budgets),
            "machine": machine(),
            "rows": self.meta_rows,
            "stage_seconds": self.timings.seconds,
            "wall_seconds_this_run": round(seconds, 3),
            "finished": datetime.now(UTC).isoformat(timespec="seconds"),
            "stages_folder": str(self.out),
        }


def copy_policy(run: Path, folder: Path) -> Path:
    """Copy a train-policy run's current policy (config, online weights, state) to
    ``folder``, atomically: a loadable policy folder fixed at this point of training."""
    source = run / "checkpoint"
    with atomic_folder(folder) as tmp:
        for name in ("config.json", "online.safetensors", "state.json"):
            shutil.copy2(source / name, tmp / name)
    return folder


def run_table1(config: Table1Config, command: str | None = None
               ) -> dict[str, dict[str, dict[str, Any]]] | None:
    """Run (or continue) the experiment; the table, or None if a time limit stopped it."""
    if command is None:
        command = "rcan experiment table1 " + " ".join(sys.argv[3:])
    return Table1(config, command).run()


def _str(value: Any) -> str | None:
    return None if value is None else str(value)
