"""Choosing a learning-curve point on validation episodes, never on the held-out objects."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rcan.common.errors import RcanError
from rcan.qtopt.cem import CEMConfig
from rcan.qtopt.checkpoint import snapshot_grasps
from rcan.qtopt.networks import QNetworkConfig
from rcan.qtopt.select import SelectSnapshotConfig, select_snapshot
from rcan.qtopt.train import TrainPolicyConfig, train_policy
from rcan.sim.env import EnvConfig

FAST_CEM = CEMConfig(samples=8, elites=2, iterations=1)


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("run")
    train_policy(TrainPolicyConfig(
        out=out, grasps=8, bootstrap_episodes=4, episodes_per_cycle=2, updates_per_episode=1.0,
        offline_capacity=500, online_capacity=500, network=QNetworkConfig(channels=8, hidden=16),
        act_cem=FAST_CEM, target_cem=FAST_CEM, eval_every_grasps=2, eval_episodes=1,
        env=EnvConfig(image_height=32, image_width=32, max_steps=2)))
    return out


def test_every_snapshot_is_scored_and_the_best_named(run: Path, tmp_path: Path) -> None:
    out = tmp_path / "selection.json"
    summary = select_snapshot(SelectSnapshotConfig(run, episodes=2, out=out))
    assert [s["grasps"] for s in summary["snapshots"]] == [6, 8]
    assert all(s["episodes"] == 2 and 0 <= s["success"] <= 1 for s in summary["snapshots"])
    best = max(summary["snapshots"], key=lambda s: (s["success"], s["grasps"]))
    assert summary["best"] == best and Path(best["folder"]).is_dir()
    assert json.loads(out.read_text()) == summary
    assert summary["settings"]["objects"] == "train"

    # A rerun with the same settings reuses the saved scores (here: doctored to pick 6).
    for s in summary["snapshots"]:
        s["success"] = 1.0 if s["grasps"] == 6 else 0.0
    out.write_text(json.dumps(summary))
    assert select_snapshot(SelectSnapshotConfig(run, episodes=2, out=out))["best"]["grasps"] == 6
    # Other settings score afresh.
    again = select_snapshot(SelectSnapshotConfig(run, episodes=1, first_grasps=8, out=out))
    assert [s["grasps"] for s in again["snapshots"]] == [8] and again["best"]["episodes"] == 1


def test_ensembles_of_the_last_snapshots_compete_with_single_ones(run: Path, tmp_path: Path
                                                                 ) -> None:
    out = tmp_path / "selection.json"
    summary = select_snapshot(SelectSnapshotConfig(run, episodes=2, ensembles=(2,), out=out))
    (ensemble,) = summary["ensembles"]
    assert ensemble["k"] == 2 and ensemble["evaluate"] == f"rcan evaluate {run} --ensemble 2"
    assert [Path(m).name for m in ensemble["members"]] == ["grasps_000006", "grasps_000008"]
    assert ensemble["episodes"] == 2 and 0 <= ensemble["success"] <= 1
    # An ensemble wins only by scoring higher; a tie goes to the single snapshot.
    for s in summary["snapshots"]:
        s["success"] = 0.5
    summary["ensembles"][0]["success"] = 0.5
    out.write_text(json.dumps(summary))
    best = select_snapshot(SelectSnapshotConfig(run, episodes=2, ensembles=(2,), out=out))["best"]
    assert best["grasps"] == 8
    summary["ensembles"][0]["success"] = 1.0
    out.write_text(json.dumps(summary))
    best = select_snapshot(SelectSnapshotConfig(run, episodes=2, ensembles=(2,), out=out))["best"]
    assert best["k"] == 2 and "--ensemble 2" in best["evaluate"]
    with pytest.raises(RcanError, match="each K must be >= 2"):
        select_snapshot(SelectSnapshotConfig(run, ensembles=(1,), out=out))
    with pytest.raises(RcanError, match="ensemble of 3"):
        select_snapshot(SelectSnapshotConfig(run, ensembles=(3,), out=out))


def test_held_out_objects_and_runs_without_snapshots_are_refused(run: Path, tmp_path: Path
                                                                 ) -> None:
    with pytest.raises(RcanError, match="held-out"):
        select_snapshot(SelectSnapshotConfig(run, objects="test"))
    with pytest.raises(RcanError, match="no snapshots"):
        select_snapshot(SelectSnapshotConfig(tmp_path))
    with pytest.raises(RcanError, match="not a snapshot folder"):
        snapshot_grasps(tmp_path / "grasps_x")
