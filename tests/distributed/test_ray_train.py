"""QT-Opt on Ray: the same run and checkpoints as one process, resume across wirings, and
workers killed mid-run are replaced without losing replay data."""

from __future__ import annotations

import json
from pathlib import Path
from types import ModuleType

import pytest
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from rcan.common.errors import RcanError
from rcan.distributed.train import RayTrainer
from rcan.distributed.workers import CollectedChunk
from rcan.qtopt.cem import CEMConfig
from rcan.qtopt.networks import QNetworkConfig
from rcan.qtopt.replay import MixedReplay
from rcan.qtopt.train import TrainPolicyConfig, train_policy

pytest.importorskip("ray", reason="ray is not installed: pip install 'rcan[ray]'")
pytestmark = pytest.mark.ray

FAST_CEM = CEMConfig(samples=8, elites=2, iterations=1)
#: what the single-process run writes to metrics.json
METRICS = {"success", "ci_low", "ci_high", "episodes", "grasps", "gradient_steps",
           "grasps_trained"}


def _config(out: Path, grasps: int, **kw: object) -> TrainPolicyConfig:
    return TrainPolicyConfig(
        out=out, grasps=grasps, bootstrap_episodes=4, episodes_per_cycle=2,
        updates_per_episode=1.0, offline_capacity=500, online_capacity=500,
        network=QNetworkConfig(channels=8, hidden=16), act_cem=FAST_CEM, target_cem=FAST_CEM,
        eval_every_grasps=4, eval_episodes=2, checkpoint_every_cycles=1,
        **kw,  # type: ignore[arg-type]
    )


def _state(out: Path) -> dict:
    return json.loads((out / "checkpoint" / "state.json").read_text())


def test_two_collectors_then_resume_with_a_bellman_updater(
    tmp_path: Path, ray_cluster: ModuleType
) -> None:
    first = train_policy(_config(tmp_path, 8, collectors=2))
    assert first["grasps"] == 8
    state = _state(tmp_path)
    # 2 online chunks of 2 episodes, 1 gradient step per episode: as in one process
    assert state["grasps"] == 8 and state["learner_steps"] == 4 and state["owed_steps"] == 0
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert set(metrics) >= METRICS
    memory = metrics["distributed"]["peak_rss_mb"]
    assert {"driver", "collector 0", "collector 1", "evaluator", "total"} <= set(memory)
    assert memory["total"] == pytest.approx(sum(v for k, v in memory.items() if k != "total"))
    assert all(value > 0 for value in memory.values())
    second = train_policy(_config(tmp_path, 12, collectors=1, bellman_updaters=1))
    assert second["grasps"] == 12 and _state(tmp_path)["learner_steps"] == 8
    assert [c["grasps"] for c in json.loads((tmp_path / "curve.json").read_text())] == [8, 12]
    assert sorted(p.name for p in (tmp_path / "snapshots").iterdir()) == [
        "grasps_000008", "grasps_000012"]
    assert (tmp_path / "curve.png").exists() and any((tmp_path / "tb").iterdir())
    # every process's resident memory is a TensorBoard series (results/ray_memory reads them)
    events = EventAccumulator(str(tmp_path / "tb"), size_guidance={"scalars": 0})
    events.Reload()
    memory_tags = {t for t in events.Tags()["scalars"] if t.startswith("memory/rss_mb/")}
    assert {"memory/rss_mb/driver", "memory/rss_mb/collector_0", "memory/rss_mb/collector_1",
            "memory/rss_mb/bellman_0"} <= memory_tags
    assert all(e.value > 0 for tag in memory_tags for e in events.Scalars(tag))


def test_single_process_run_resumes_on_ray(tmp_path: Path, ray_cluster: ModuleType) -> None:
    train_policy(_config(tmp_path, 6))
    assert "owed_steps" not in _state(tmp_path)  # written by the single-process loop
    train_policy(_config(tmp_path, 8, collectors=2))
    assert _state(tmp_path)["learner_steps"] == 4
    assert [c["grasps"] for c in json.loads((tmp_path / "curve.json").read_text())] == [6, 8]
    # joint finetuning from that run: its networks and replay, no bootstrap
    train_policy(_config(tmp_path / "ft", 4, collectors=2, init_from=tmp_path))
    state = _state(tmp_path / "ft")
    assert state["learner_steps"] == 4 and "bootstrap_success" not in state


def test_killed_workers_are_replaced_and_replay_keeps_its_data(
    tmp_path: Path, ray_cluster: ModuleType
) -> None:
    ray = ray_cluster
    sizes: list[tuple[int, int]] = []
    online_steps: list[int] = []

    def kill_mid_run(trainer: RayTrainer, chunk: CollectedChunk) -> None:
        replay = trainer.parts.replay
        sizes.append((len(replay.offline), len(replay.online)))
        online_steps.append(chunk.collected.steps)
        if len(sizes) == 1:  # the collector, about to be handed its next chunk
            ray.kill(trainer.collectors[0].handle)
        if len(sizes) == 2:  # the Bellman updater, with batches to label
            ray.kill(trainer.updaters[0].handle)

    config = _config(tmp_path, 12, collectors=1, bellman_updaters=1)
    result = RayTrainer(config, ray, on_insert=kill_mid_run).run()
    assert result["grasps"] == 12
    state = _state(tmp_path)
    assert state["restarts"]["collector 0"] >= 1 and state["restarts"]["bellman 0"] >= 1
    assert state["grasps"] == 12 and state["learner_steps"] == 8
    # nothing in replay was lost: the buffers only grew, and hold every inserted transition
    assert len(sizes) == 4 and sizes == sorted(sizes)
    replay = MixedReplay.load(tmp_path / "checkpoint" / "replay.h5")
    assert len(replay.offline) == sizes[0][0] > 0
    assert len(replay.online) == sum(online_steps)


def test_bad_domain_stops_before_any_worker_starts(
    tmp_path: Path, ray_cluster: ModuleType
) -> None:
    with pytest.raises(RcanError, match="unknown domain") as err:
        train_policy(_config(tmp_path / "run", 8, collectors=2, domain="nowhere"))
    assert "\n" not in str(err.value)
