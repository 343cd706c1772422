"""``rcan experiment table1`` end to end with tiny networks: the JSON, its metadata, budgets
continued rather than restarted, finished stages skipped, other target domains, bad input."""

from __future__ import annotations

import copy
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import torch
import yaml
from safetensors.torch import load_file

from rcan.cli import main
from rcan.common.errors import RcanError
from rcan.common.stats import wilson
from rcan.qtopt.cem import CEMConfig
from rcan.qtopt.networks import QNetworkConfig
from rcan.qtopt.train import TrainPolicyConfig
from rcan.sim.domain import BUILTIN_DIR
from rcan.transfer import episodes, experiment
from rcan.transfer.experiment import Table1, Table1Config, run_table1

FAST_CEM = CEMConfig(samples=8, elites=2, iterations=1)
COLUMNS = ["sim", "target_0", "target_2", "target_4"]


def tiny_config(root: Path, translator_folder: Path, **changes: Any) -> Table1Config:
    """Three rows, 6 simulated grasps each, finetuning budgets of 2 and 4 target grasps."""
    train = TrainPolicyConfig(
        grasps=6, bootstrap_episodes=4, episodes_per_cycle=2, updates_per_episode=1.0,
        offline_capacity=500, online_capacity=500, network=QNetworkConfig(channels=8, hidden=16),
        act_cem=FAST_CEM, target_cem=FAST_CEM, eval_every_grasps=4, eval_episodes=2,
        checkpoint_every_cycles=1)
    config = Table1Config(out=root / "runs", table=root / "results" / "table1.json",
                          translator=translator_folder, train=train, finetune_grasps=(4, 2),
                          finetune_eval_every=2, finetune_eval_episodes=2, eval_episodes=3,
                          report_episodes=1)
    for key, value in changes.items():
        setattr(config, key, value)
    return config


@pytest.fixture(scope="module")
def done(tmp_path_factory: pytest.TempPathFactory, translator_dir: Path) -> Path:
    """A finished tiny experiment (every row, stage and the report)."""
    root = tmp_path_factory.mktemp("table1")
    torch.set_num_threads(1)
    assert run_table1(tiny_config(root, translator_dir), command="test command") is not None
    return root


def test_table_json_has_every_row_and_cell(done: Path) -> None:
    table = json.loads((done / "results" / "table1.json").read_text())
    assert list(table) == ["canonical", "randomized", "rcan"]
    for row, cells in table.items():
        assert list(cells) == COLUMNS, row
        for cell in cells.values():
            assert list(cell) == ["success", "ci_low", "ci_high", "episodes"]
            assert cell["episodes"] == 3
            rate = wilson(round(cell["success"] * 3), 3)  # the interval is Wilson's
            assert (cell["ci_low"], cell["ci_high"]) == pytest.approx((rate.ci_low,
                                                                       rate.ci_high))


def test_cells_come_from_their_stage_and_domain(done: Path) -> None:
    runs = done / "runs"
    table = json.loads((done / "results" / "table1.json").read_text())
    for row, own in (("canonical", "canonical"), ("randomized", "randomized"),
                     ("rcan", "randomized")):
        sim = json.loads((runs / row / "sim_eval" / "metrics.json").read_text())
        assert (sim["domain"], sim["objects"], sim["seed"]) == (own, "test", 10_000)
        assert sim["success"] == table[row]["sim"]["success"]
        for column in COLUMNS[1:]:
            cell = json.loads((runs / row / "target" / column / "metrics.json").read_text())
            assert cell["domain"] == "target"
            assert cell["success"] == table[row][column]["success"]


def test_finetuning_continues_from_the_smaller_budget(done: Path) -> None:
    base = done / "runs" / "rcan" / "target"
    config = json.loads((base / "finetune" / "config.json").read_text())
    assert config["domain"] == "target" and config["obs"] == "rcan"
    assert config["init_from"] == str(done / "runs" / "rcan" / "sim")
    state = json.loads((base / "finetune" / "checkpoint" / "state.json").read_text())
    # one run: 4 target grasps in all, 1 gradient step per grasp, not 2 + 4 from two starts
    assert state["grasps"] == 4 and state["learner_steps"] == 4
    curve = json.loads((base / "finetune" / "curve.json").read_text())
    assert [p["grasps"] for p in curve] == [2, 4]
    snaps = {c: json.loads((base / c / "policy" / "state.json").read_text())["grasps"]
             for c in ("target_2", "target_4")}
    assert snaps == {"target_2": 2, "target_4": 4}
    w2 = load_file(str(base / "target_2" / "policy" / "online.safetensors"))
    w4 = load_file(str(base / "target_4" / "policy" / "online.safetensors"))
    sim = load_file(str(done / "runs" / "rcan" / "sim" / "checkpoint" / "online.safetensors"))
    assert any(not torch.equal(w2[k], w4[k]) for k in w2)
    assert any(not torch.equal(w2[k], sim[k]) for k in w2)


def test_zero_shot_columns_come_before_any_finetuning(tmp_path: Path, translator_dir: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """Every row's sim and target_0 cells are measured first, then the finetuning columns
    budget by budget across the rows; progress.json holds the cells so far."""
    order: list[str] = []
    progress: list[dict[str, Any]] = []

    def counting_play(controller: Any, *args: Any, **kwargs: Any) -> Any:
        order.append(controller.name)
        return episodes.play(controller, *args, **kwargs)

    original = Table1.write_progress

    def recording(self: Table1, results: dict[str, Any]) -> None:
        original(self, results)
        progress.append(json.loads((self.out / "progress.json").read_text()))

    monkeypatch.setattr(experiment, "play", counting_play)
    monkeypatch.setattr(Table1, "write_progress", recording)
    config = tiny_config(tmp_path, translator_dir, rows=("canonical", "randomized"),
                         finetune_grasps=(2, 4), report=False)
    table = run_table1(config, "order")
    assert order == ["canonical/sim_eval", "canonical/target/target_0",
                     "randomized/sim_eval", "randomized/target/target_0",
                     "canonical/target/target_2", "randomized/target/target_2",
                     "canonical/target/target_4", "randomized/target/target_4"]
    assert [sorted(p["randomized"]) if "randomized" in p else None for p in progress] == [
        None, ["sim", "target_0"], ["sim", "target_0"], ["sim", "target_0", "target_2"],
        ["sim", "target_0", "target_2"], ["sim", "target_0", "target_2", "target_4"]]
    assert progress[-1] == table


def test_finetuning_never_explores_with_object_poses(tmp_path: Path,
                                                   translator_dir: Path) -> None:
    config = tiny_config(tmp_path, translator_dir)
    config.train.exploration.explorer = "aimed"  # fine in simulation
    finetune = Table1(config).finetune_config(tmp_path / "sim", config.train, tmp_path / "ft")
    assert finetune.exploration.explorer == "random"  # the target stands in for a real robot
    assert config.train.exploration.explorer == "aimed"


def test_finetuning_takes_an_rcan_runs_replay_as_it_is(tmp_path: Path,
                                                       translator_dir: Path) -> None:
    """An rcan sim run made from a canonical one (--canonical-replay-as-rcan) is finetuned
    from its own rcan replay; the option would make --init-from refuse it."""
    config = tiny_config(tmp_path, translator_dir)
    sim = copy.deepcopy(config.train)
    sim.obs, sim.canonical_replay_as_rcan = "rcan", True
    finetune = Table1(config).finetune_config(tmp_path / "sim", sim, tmp_path / "ft")
    assert not finetune.canonical_replay_as_rcan and sim.canonical_replay_as_rcan


def test_finetuning_options_change_only_the_finetuning_runs(tmp_path: Path,
                                                            translator_dir: Path) -> None:
    config = tiny_config(tmp_path, translator_dir, finetune_lr=3e-5,
                         finetune_freeze_raw_input=True, finetune_updates_per_episode=8.0)
    table = Table1(config)
    rcan_sim = copy.deepcopy(config.train)
    rcan_sim.obs = "rcan"
    rcan = table.finetune_config(tmp_path / "sim", rcan_sim, tmp_path / "ft")
    canonical = table.finetune_config(tmp_path / "sim", config.train, tmp_path / "ft")
    assert rcan.learner.lr == canonical.learner.lr == 3e-5
    assert rcan.updates_per_episode == canonical.updates_per_episode == 8.0
    assert rcan.learner.lr_end <= 3e-5
    assert rcan.freeze_raw_input and not canonical.freeze_raw_input  # rcan only
    assert config.train.learner.lr == 1e-4 and not rcan_sim.freeze_raw_input
    assert config.train.updates_per_episode == rcan_sim.updates_per_episode == 1.0
    default = Table1(tiny_config(tmp_path, translator_dir)).finetune_config(
        tmp_path / "sim", rcan_sim, tmp_path / "ft")
    assert default.learner.lr == 1e-4 and not default.freeze_raw_input
    assert default.updates_per_episode == 1.0
    # checkpoints at each of its evaluations (every 2 target grasps, 2 per cycle), not before
    assert default.checkpoint_every_cycles == 1 == config.train.checkpoint_every_cycles
    config.finetune_eval_every = 20
    assert Table1(config).finetune_config(tmp_path / "sim", rcan_sim,
                                          tmp_path / "ft").checkpoint_every_cycles == 10


@pytest.mark.parametrize("option", ["finetune_lr", "finetune_updates_per_episode"])
def test_negative_finetune_settings_are_refused(tmp_path: Path, translator_dir: Path,
                                                option: str) -> None:
    with pytest.raises(RcanError, match=f"--{option.replace('_', '-')} must be >= 0"):
        Table1(tiny_config(tmp_path, translator_dir, **{option: -1.0}))


def test_rcan_row_can_be_made_from_the_canonical_row(tmp_path: Path,
                                                     translator_dir: Path) -> None:
    config = tiny_config(tmp_path, translator_dir, rows=("canonical", "rcan"),
                         rcan_from_canonical=True, finetune_grasps=(2,))
    assert run_table1(config, command="test command") is not None
    canonical_sim = tmp_path / "runs" / "canonical" / "sim"
    rcan_sim = json.loads((tmp_path / "runs" / "rcan" / "sim" / "config.json").read_text())
    assert rcan_sim["obs"] == "rcan" and rcan_sim["init_from"] == str(canonical_sim)
    assert rcan_sim["canonical_replay_as_rcan"] and rcan_sim["grasps"] == 2  # one cycle
    meta = json.loads((tmp_path / "results" / "table1.meta.json").read_text())
    assert meta["rows"]["rcan"]["sim_init_from"] == str(canonical_sim)
    assert meta["rows"]["rcan"]["sim_init_grasps_trained"] == 6
    table = json.loads((tmp_path / "results" / "table1.json").read_text())
    assert list(table) == ["canonical", "rcan"]
    report = (tmp_path / "results" / "table1_report" / "report.md").read_text()
    assert f"| 6 + 2 (from {canonical_sim}) |" in report  # the grasps it was made from count


@pytest.mark.parametrize(("changes", "message"), [
    ({"rcan_run": Path("somewhere")}, "drop --rcan-run"),
    ({"rows": ("rcan",)}, "needs the canonical row"),
])
def test_rcan_from_canonical_refuses_what_it_cannot_use(tmp_path: Path, translator_dir: Path,
                                                       changes: dict[str, Any],
                                                       message: str) -> None:
    config = tiny_config(tmp_path, translator_dir, rcan_from_canonical=True, **changes)
    with pytest.raises(RcanError, match=message):
        Table1(config)


def test_metadata_records_how_it_was_made(done: Path) -> None:
    meta = json.loads((done / "results" / "table1.meta.json").read_text())
    assert meta["command"] == "test command" and meta["seed"] == 0
    assert meta["config"]["finetune_grasps"] == [4, 2] and meta["target_domain"] == "target"
    assert {"platform", "cpu_count", "torch"} <= set(meta["machine"])
    assert meta["columns"] == {"sim": None, "target_0": 0, "target_2": 2, "target_4": 4}
    for row in ("canonical", "randomized", "rcan"):
        for stage in ("sim_train", "sim_eval", "target/target_0", "target/finetune_to_2",
                      "target/target_2", "target/finetune_to_4", "target/target_4"):
            assert meta["stage_seconds"][f"{row}/{stage}"] > 0
        assert meta["rows"][row]["sim_grasps_trained"] == 6
        assert [p["grasps"] for p in meta["rows"][row]["finetune_curve"]] == [2, 4]
    assert meta["rows"]["rcan"]["translator"] is not None
    assert meta["rows"]["canonical"]["translator"] is None
    saved = json.loads((done / "runs" / "experiment.json").read_text())
    assert saved["config"]["eval_episodes"] == 3


def test_report_is_written_with_the_tables_numbers(done: Path) -> None:
    report = done / "results" / "table1_report"
    table = json.loads((done / "results" / "table1.json").read_text())
    md = (report / "report.md").read_text()
    cell = table["rcan"]["target_0"]
    assert f"{cell['success']:.1%} [{100 * cell['ci_low']:.1f}, " in md
    assert "| rcan / RCAN |" in md and "70%" in md and "real robot" in md
    for name in ("finetuning_curves.png", "translations.png", "q_map.png",
                 "episode_rcan_zero_shot_0.gif", "episode_rcan_finetuned_0.gif"):
        assert (report / name).stat().st_size > 1000, name
        assert f"({name})" in md
    html = (report / "report.html").read_text()
    assert html.count("src='data:image/") == 5


def test_rerun_skips_finished_stages(done: Path, translator_dir: Path,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    table_file = done / "results" / "table1.json"
    before = table_file.read_text()

    def forbidden(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("a finished stage ran again")

    monkeypatch.setattr(experiment, "train_policy", forbidden)
    monkeypatch.setattr(experiment, "play", forbidden)
    config = tiny_config(done, translator_dir, report=False)
    assert json.dumps(run_table1(config, "again"), indent=2) + "\n" == before

    # a lost cell is measured again from its kept policy, without any training
    (done / "runs" / "rcan" / "target" / "target_2" / "metrics.json").unlink()
    calls: list[str] = []

    def counting_play(controller: Any, *args: Any, **kwargs: Any) -> Any:
        calls.append(controller.name)
        return episodes.play(controller, *args, **kwargs)

    monkeypatch.setattr(experiment, "play", counting_play)
    assert run_table1(config, "again") is not None
    assert calls == ["rcan/target/target_2"]
    assert table_file.read_text() == before  # same policy, same episodes, same numbers


def test_another_target_domain_gives_the_same_shape(done: Path, translator_dir: Path,
                                                    tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    spec = yaml.safe_load((BUILTIN_DIR / "target.yaml").read_text())
    spec["name"] = "shifted"
    spec["camera"]["offset"] = [0.05, 0.02, 0.0]
    domain = tmp_path / "shifted.yaml"
    domain.write_text(yaml.safe_dump(spec))
    config = tiny_config(tmp_path, translator_dir, rows=("canonical",), target_domain=str(domain),
                         canonical_run=done / "runs" / "canonical" / "sim",
                         finetune_grasps=(2,), table=None, report=False)
    monkeypatch.chdir(tmp_path)  # the default table path is relative: results/...
    table = run_table1(config, "shifted")
    assert table is not None and list(table["canonical"]) == ["sim", "target_0", "target_2"]
    saved = json.loads((tmp_path / "results" / "table1_shifted.json").read_text())
    assert saved == table
    cell = json.loads((tmp_path / "runs" / "canonical" / "shifted" / "target_0" /
                       "metrics.json").read_text())
    assert cell["domain"] == str(domain)
    assert not (tmp_path / "runs" / "canonical" / "sim").exists()  # the given run was used
    # the given run's sim cell is measured again here and equals the first experiment's
    first = json.loads((done / "results" / "table1.json").read_text())
    assert table["canonical"]["sim"] == first["canonical"]["sim"]


def test_bad_input_stops_before_anything_is_written(tmp_path: Path, translator_dir: Path,
                                                    done: Path) -> None:
    cases = [
        ({"rows": ("canonical", "dr")}, "unknown row 'dr'"),
        ({"finetune_grasps": (0, 5)}, "finetune grasps must be positive"),
        ({"finetune_grasps": (5, 5)}, "must be distinct"),
        ({"translator": tmp_path / "missing"}, "row 'rcan' needs a translator"),
        ({"target_domain": "mars"}, "unknown domain 'mars'"),
        ({"eval_episodes": 0}, "--eval-episodes must be >= 1"),
        ({"rcan_run": done / "runs" / "canonical" / "sim"}, "trained with obs='canonical'"),
    ]
    for changes, message in cases:
        with pytest.raises(RcanError, match=message):
            run_table1(tiny_config(tmp_path, translator_dir, **changes))
    assert not (tmp_path / "runs").exists() and not (tmp_path / "results").exists()


def test_cli_reports_bad_rows_in_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["experiment", "table1", "--rows", "canonical", "nope"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "unknown row 'nope'" in err
    assert main(["experiment", "frobnicate"]) == 2
    assert main(["experiment", "--help"]) == 0
    assert "table1" in capsys.readouterr().out


def test_given_finished_finetune_cannot_be_rewound(done: Path, translator_dir: Path,
                                                   tmp_path: Path) -> None:
    """A budget smaller than what the finetuning run already reached cannot be measured:
    its weights at that point were never kept, and the error says how to redo it."""
    runs = tmp_path / "runs"
    shutil.copytree(done / "runs" / "canonical", runs / "canonical")
    config = tiny_config(tmp_path, translator_dir, rows=("canonical",), finetune_grasps=(1, 4),
                         report=False)
    with pytest.raises(RcanError, match="already at 4 target grasps, past 1"):
        run_table1(config)


def test_timings_of_two_processes_on_one_folder_add_up(tmp_path: Path) -> None:
    first, second = (experiment.Timings(tmp_path / "timings.json") for _ in range(2))
    first.record("canonical/sim_train", 2.0)
    second.record("rcan/sim_train", 3.0)  # started before the first one wrote
    first.record("canonical/sim_train", 1.0)
    assert json.loads((tmp_path / "timings.json").read_text()) == {
        "canonical/sim_train": 3.0, "rcan/sim_train": 3.0}
