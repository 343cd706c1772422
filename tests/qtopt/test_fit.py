"""``rcan fit-policy``: gradient steps on a run's replay without new grasps, and resume."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from rcan.common.errors import RcanError
from rcan.qtopt.cem import CEMConfig
from rcan.qtopt.fit import FitPolicyConfig, fit_policy
from rcan.qtopt.networks import QNetworkConfig
from rcan.qtopt.train import TrainPolicyConfig, train_policy

FAST_CEM = CEMConfig(samples=8, elites=2, iterations=1)


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("fit") / "source"
    train_policy(TrainPolicyConfig(
        out=out, grasps=6, bootstrap_episodes=4, episodes_per_cycle=2,
        updates_per_episode=1.0, offline_capacity=500, online_capacity=500,
        network=QNetworkConfig(channels=8, hidden=16), act_cem=FAST_CEM, target_cem=FAST_CEM,
        eval_every_grasps=100, eval_episodes=2, checkpoint_every_cycles=1,
    ))
    return out


def test_fit_adds_steps_keeps_grasps_and_leaves_the_source_alone(source: Path,
                                                                   tmp_path: Path) -> None:
    before = load_file(str(source / "checkpoint" / "online.safetensors"))
    out = tmp_path / "fit"
    last = fit_policy(FitPolicyConfig(run=source, out=out, steps=5, eval_every_steps=3,
                                      checkpoint_every_steps=2))
    state = json.loads((out / "checkpoint" / "state.json").read_text())
    assert state["learner_steps"] == 2 + 5 and state["grasps"] == 6
    curve = json.loads((out / "fit_curve.json").read_text())
    assert [c["added_steps"] for c in curve] == [0, 3, 5]
    assert [c["gradient_steps"] for c in curve] == [2, 5, 7]
    assert last == curve[-1] and (out / "fit_curve.png").exists()
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["grasps_trained"] == 6 and metrics["episodes"] == 2
    after = load_file(str(out / "checkpoint" / "online.safetensors"))
    assert any(not torch.equal(before[k], after[k]) for k in before)
    for k, v in load_file(str(source / "checkpoint" / "online.safetensors")).items():
        torch.testing.assert_close(v, before[k])
    assert json.loads((out / "config.json").read_text())["command"].startswith(
        "rcan train-policy")


def test_a_stopped_fit_resumes_where_it_stopped(source: Path, tmp_path: Path) -> None:
    out = tmp_path / "fit"
    fit_policy(FitPolicyConfig(run=source, out=out, steps=2, eval_every_steps=10,
                               checkpoint_every_steps=1))
    fit_policy(FitPolicyConfig(run=source, out=out, steps=4, eval_every_steps=10,
                               checkpoint_every_steps=1))
    state = json.loads((out / "checkpoint" / "state.json").read_text())
    assert state["learner_steps"] == 2 + 4
    curve = json.loads((out / "fit_curve.json").read_text())
    assert [c["added_steps"] for c in curve] == [0, 2, 4]


def test_fit_needs_a_run_and_another_folder(source: Path, tmp_path: Path) -> None:
    with pytest.raises(RcanError, match="not a train-policy run"):
        fit_policy(FitPolicyConfig(run=tmp_path / "nothing", out=tmp_path / "fit"))
    with pytest.raises(RcanError, match="must differ"):
        fit_policy(FitPolicyConfig(run=source, out=source))
    assert not (tmp_path / "fit" / "checkpoint").exists()
