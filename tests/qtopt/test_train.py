"""The single-process QT-Opt loop: actor transitions, a tiny run, and resume after a kill."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import load_file

from rcan.common.checkpoint import save_checkpoint
from rcan.common.errors import RcanError
from rcan.qtopt.actor import ExplorationConfig, QTOptActor
from rcan.qtopt.cem import CEMConfig
from rcan.qtopt.collector import Collector
from rcan.qtopt.evaluate import EvaluateConfig, evaluate
from rcan.qtopt.networks import QNetwork, QNetworkConfig
from rcan.qtopt.observation import ObservationEncoder, PerfectTranslation
from rcan.qtopt.replay import FIELDS, MixedReplay
from rcan.qtopt.train import TrainPolicyConfig, build_trainer_parts, gradient_steps, train_policy
from rcan.sim.env import EnvConfig, GraspEnv
from rcan.translator import Translator
from rcan.translator.networks import GeneratorConfig, UNetGenerator

SMALL_NET = QNetworkConfig(channels=8, hidden=16)
FAST_CEM = CEMConfig(samples=8, elites=2, iterations=1)


@pytest.fixture(scope="module")
def translator(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("t") / "translator"
    config = GeneratorConfig(base_channels=8, depth=3)
    save_checkpoint(folder, {"generator": UNetGenerator(config)}, {}, {}, {"generator": config})
    return folder


@pytest.mark.parametrize("mode", ["canonical", "rcan"])
def test_actor_episode_has_replay_layout(mode: str, translator: Path) -> None:
    t = Translator.from_checkpoint(translator) if mode == "rcan" else None
    encoder = ObservationEncoder(mode, t)  # type: ignore[arg-type]
    net = QNetwork(QNetworkConfig(in_channels=encoder.channels, channels=8, hidden=16))
    actor = QTOptActor(net, encoder, FAST_CEM, seed=0)
    env = GraspEnv(EnvConfig(domain="canonical", image_height=64, image_width=64, max_steps=4))
    try:
        episode = actor.run_episode(env, explore=True, seed=0)
    finally:
        env.close()
    assert set(episode.transitions) == set(FIELDS)
    n = episode.steps
    assert episode.transitions["image"].shape == (n, 64, 64, encoder.channels)
    assert episode.transitions["action"].shape == (n, 7)
    assert episode.transitions["done"][-1] == 1.0 and episode.transitions["done"][:-1].sum() == 0


@pytest.mark.parametrize("explorer", ["random", "aimed"])
def test_scripted_episodes_use_the_configured_explorer(
    explorer: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import rcan.qtopt.actor as actor_module
    from rcan.sim.policies import EXPLORERS

    played: list[str] = []

    def recording(name: str) -> type:
        class Recording(EXPLORERS[name]):  # type: ignore[misc,valid-type]
            def reset(self, env: GraspEnv, rng: np.random.Generator) -> None:
                played.append(name)
                super().reset(env, rng)
        return Recording

    monkeypatch.setattr(actor_module, "EXPLORERS", {k: recording(k) for k in EXPLORERS})
    encoder = ObservationEncoder("canonical")
    net = QNetwork(QNetworkConfig(channels=8, hidden=16, image_height=16, image_width=16))
    actor = QTOptActor(net, encoder, FAST_CEM, ExplorationConfig(explorer=explorer), seed=0)
    env = GraspEnv(EnvConfig(domain="canonical", image_height=16, image_width=16, max_steps=4))
    try:
        actor.run_episode(env, seed=0, scripted_only=True)
        actor.run_episode(env, explore=False)  # greedy: no explorer at all
    finally:
        env.close()
    assert played == [explorer]


def test_rcan_needs_a_translator() -> None:
    with pytest.raises(RcanError, match="needs a translator"):
        ObservationEncoder("rcan")


def test_perfect_translation_reads_the_canonical_render() -> None:
    rng = np.random.default_rng(0)
    image, canonical = rng.integers(0, 256, (2, 8, 8, 3), dtype=np.uint8)
    obs = {"image": image, "canonical": canonical, "mask": np.zeros((8, 8), np.uint8)}
    np.testing.assert_array_equal(PerfectTranslation("canonical").from_obs(obs), canonical)
    stacked = PerfectTranslation("rcan").from_obs(obs)
    assert stacked.shape == (8, 8, 6)
    np.testing.assert_array_equal(stacked[..., :3], canonical)  # c stands for G(x)
    np.testing.assert_array_equal(stacked[..., 3:], image)
    with pytest.raises(RcanError, match="canonical_view"):
        PerfectTranslation("canonical").from_obs({"image": image})
    with pytest.raises(RcanError, match="not 'randomized'"):
        PerfectTranslation("randomized")
    with pytest.raises(RcanError, match="unknown classes \\['objects'\\]"):
        PerfectTranslation("rcan", ["objects"])
    with pytest.raises(RcanError, match="needs an rcan policy and its translator"):
        PerfectTranslation("rcan", ["object"])


def test_perfect_translation_of_some_classes_pastes_only_their_pixels(translator: Path) -> None:
    t = Translator.from_checkpoint(translator)
    rng = np.random.default_rng(1)
    image, canonical = rng.integers(0, 256, (2, 16, 16, 3), dtype=np.uint8)
    mask = rng.integers(0, 6, (16, 16)).astype(np.uint8)  # 5: object, 4: gripper
    obs = {"image": image, "canonical": canonical, "mask": mask}
    hybrid = PerfectTranslation("rcan", ["object", "gripper"], t).from_obs(obs)
    translated = t.translate(image[None]).canonical[0]
    true = np.isin(mask, [4, 5])
    np.testing.assert_array_equal(hybrid[true, :3], canonical[true])
    np.testing.assert_array_equal(hybrid[~true, :3], translated[~true])
    np.testing.assert_array_equal(hybrid[..., 3:], image)


def _config(out: Path, grasps: int) -> TrainPolicyConfig:
    return TrainPolicyConfig(
        out=out, grasps=grasps, bootstrap_episodes=4, episodes_per_cycle=2,
        updates_per_episode=1.0, offline_capacity=500, online_capacity=500,
        network=QNetworkConfig(channels=8, hidden=16), act_cem=FAST_CEM, target_cem=FAST_CEM,
        eval_every_grasps=4, eval_episodes=2, checkpoint_every_cycles=1,
    )


def test_tiny_run_then_resume(tmp_path: Path) -> None:
    first = train_policy(_config(tmp_path, 6))
    assert first["grasps"] == 6
    state = json.loads((tmp_path / "checkpoint" / "state.json").read_text())
    assert state["grasps"] == 6 and state["learner_steps"] == 2
    second = train_policy(_config(tmp_path, 8))  # resumed, not restarted
    assert second["grasps"] == 8
    curve = json.loads((tmp_path / "curve.json").read_text())
    assert [c["grasps"] for c in curve] == [6, 8]
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert set(metrics) >= {"success", "ci_low", "ci_high", "episodes", "grasps_trained"}
    assert (tmp_path / "curve.png").exists()
    for name in ("online", "target_polyak", "target_lagged", "optimizer"):
        assert (tmp_path / "checkpoint" / f"{name}.safetensors").exists()
    assert np.isfinite(metrics["success"])
    # Every curve point keeps its networks; the last one is the checkpoint's.
    snapshots = sorted(p.name for p in (tmp_path / "snapshots").iterdir())
    assert snapshots == ["grasps_000006", "grasps_000008"]
    last = tmp_path / "snapshots" / "grasps_000008"
    for name in ("online", "target_polyak"):
        saved, final = (load_file(str(f / f"{name}.safetensors"))
                        for f in (last, tmp_path / "checkpoint"))
        for key in final:
            torch.testing.assert_close(saved[key], final[key])
    assert json.loads((last / "state.json").read_text())["grasps"] == 8


def test_image_shift_augments_every_sampled_batch(tmp_path: Path) -> None:
    train_policy(_config(tmp_path, 6))
    config = _config(tmp_path, 6)
    config.image_shift = 3  # not a frozen setting: a run may turn it on when resumed
    parts = build_trainer_parts(config)
    before = parts.rng.bit_generator.state
    shifted = parts.sample(32, parts.learner.steps)
    parts.rng.bit_generator.state = before
    raw = parts.replay.sample(32, parts.learner.steps, parts.rng)
    for name in FIELDS:
        assert shifted[name].shape == raw[name].shape
        if name not in ("image", "next_image"):
            np.testing.assert_array_equal(shifted[name], raw[name])
    assert not np.array_equal(shifted["image"], raw["image"])
    assert not np.array_equal(shifted["next_image"], raw["next_image"])


def test_freeze_raw_input_keeps_the_raw_image_weights(tmp_path: Path, translator: Path) -> None:
    config = _config(tmp_path, 6)
    config.obs, config.translator, config.freeze_raw_input = "rcan", translator, True
    parts = build_trainer_parts(config)
    parts.replay.offline.add(_random_transitions(64, 6))
    stem = parts.learner.network.image_stack[0].weight
    before = stem.detach().clone()
    gradient_steps(parts, 3, 16)
    torch.testing.assert_close(stem[:, 3:6], before[:, 3:6], rtol=0, atol=0)
    assert not torch.equal(stem[:, :3], before[:, :3])


def test_freeze_raw_input_needs_rcan(tmp_path: Path) -> None:
    config = _config(tmp_path, 6)
    config.freeze_raw_input = True
    with pytest.raises(RcanError, match="--freeze-raw-input needs --obs rcan"):
        build_trainer_parts(config)


def test_a_bad_env_setting_stops_before_anything_is_written(tmp_path: Path) -> None:
    config = _config(tmp_path / "run", 6)
    config.env.end_on_hold = True  # without lift_on_close
    with pytest.raises(RcanError, match="end_on_hold needs lift_on_close"):
        build_trainer_parts(config)
    assert not Path(config.out).exists()


@pytest.mark.parametrize("name", ["grasps", "episodes_per_cycle", "eval_every_grasps",
                                  "eval_episodes"])
def test_counts_below_one_are_refused_before_anything_is_written(tmp_path: Path,
                                                                 name: str) -> None:
    config = _config(tmp_path / "run", 6)
    setattr(config, name, 0)
    with pytest.raises(RcanError, match=f"--{name.replace('_', '-')} must be >= 1, got 0"):
        build_trainer_parts(config)
    assert not (tmp_path / "run").exists()


def test_the_bootstrap_in_chunks_plays_the_episodes_of_one_call() -> None:
    def play(chunks: list[int]) -> dict[str, np.ndarray]:
        net = QNetwork(QNetworkConfig(channels=8, hidden=16, image_height=16, image_width=16))
        actor = QTOptActor(net, ObservationEncoder("canonical"), FAST_CEM, seed=3)
        env = EnvConfig(domain="canonical", image_height=16, image_width=16, max_steps=5)
        collector = Collector(env, actor)
        try:
            parts = [collector.collect(n, seed=11 if i == 0 else None, scripted_only=True)
                     for i, n in enumerate(chunks)]
        finally:
            collector.close()
        return {k: np.concatenate([c.transitions[k] for c in parts]) for k in FIELDS}

    whole, chunked = play([5]), play([2, 2, 1])
    for name in FIELDS:
        np.testing.assert_array_equal(whole[name], chunked[name])


def _random_transitions(n: int, channels: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(n, 64, 64, channels), dtype=np.uint8)
    return {"image": images, "next_image": images[::-1].copy(),
            "action": rng.uniform(-1, 1, size=(n, 7)).astype(np.float32),
            "reward": (rng.random(n) < 0.3).astype(np.float32),
            "done": (rng.random(n) < 0.2).astype(np.float32),
            "gripper_closed": np.zeros(n, np.float32), "height": rng.random(n).astype(np.float32),
            "next_gripper_closed": np.zeros(n, np.float32),
            "next_height": rng.random(n).astype(np.float32)}


def test_finetune_starts_from_a_run_and_keeps_its_replay(tmp_path: Path) -> None:
    sim = tmp_path / "sim"
    train_policy(_config(sim, 6))
    sim_replay = MixedReplay.load(sim / "checkpoint" / "replay.h5")
    sim_rows = len(sim_replay.offline) + len(sim_replay.online)
    sim_online = load_file(str(sim / "checkpoint" / "online.safetensors"))

    config = _config(tmp_path / "target", 2)
    config.domain, config.init_from, config.eval_every_grasps = "target", sim, 100
    parts = build_trainer_parts(config)
    assert parts.state["bootstrap_done"] and len(parts.replay.offline) == sim_rows
    for name, value in parts.learner.network.state_dict().items():
        torch.testing.assert_close(value, sim_online[name])

    train_policy(config)
    state = json.loads((tmp_path / "target" / "checkpoint" / "state.json").read_text())
    assert state["grasps"] == 2  # only target grasps count; no scripted bootstrap ran


def test_finetune_refuses_another_observation_mode(tmp_path: Path) -> None:
    train_policy(_config(tmp_path / "sim", 6))
    config = _config(tmp_path / "randomized", 2)
    config.obs, config.init_from = "randomized", tmp_path / "sim"
    with pytest.raises(RcanError, match="obs='canonical'"):
        build_trainer_parts(config)
    assert not (tmp_path / "randomized").exists()  # refused before anything is written


@pytest.mark.parametrize(("source", "half"), [("canonical", slice(0, 3)),
                                              ("randomized", slice(3, 6))])
def test_a_three_channel_run_starts_an_rcan_run_reading_its_half(
    tmp_path: Path, translator: Path, source: str, half: slice
) -> None:
    sim = _config(tmp_path / "sim", 6)
    sim.obs = source  # type: ignore[assignment]
    train_policy(sim)
    config = _config(tmp_path / "rcan", 2)
    config.obs, config.translator, config.init_from = "rcan", translator, tmp_path / "sim"
    parts = build_trainer_parts(config)
    assert parts.state["bootstrap_done"] and len(parts.replay.offline) == 0  # other images

    # the widened network scores [G(x), x] as the source network scores its half
    from rcan.qtopt.load import load_actor

    source_actor, _ = load_actor(tmp_path / "sim")
    images = np.random.default_rng(0).integers(0, 256, (2, 64, 64, 6), dtype=np.uint8)
    actions = torch.rand(2, 3, 7)
    scalars = torch.tensor([[0.0, 0.2], [1.0, 0.1]])

    def q(network: QNetwork, x: np.ndarray) -> torch.Tensor:
        with torch.no_grad():
            features = network.encode(torch.from_numpy(x).permute(0, 3, 1, 2))
            return network.q_logits(features, scalars, actions)

    torch.testing.assert_close(q(parts.learner.network, images),
                               q(source_actor.network, np.ascontiguousarray(images[..., half])))


def test_canonical_replay_can_come_along_as_rcan_inputs(tmp_path: Path, translator: Path
                                                         ) -> None:
    train_policy(_config(tmp_path / "sim", 6))
    sim = MixedReplay.load(tmp_path / "sim" / "checkpoint" / "replay.h5")
    config = _config(tmp_path / "rcan", 2)
    config.obs, config.translator, config.init_from = "rcan", translator, tmp_path / "sim"
    config.canonical_replay_as_rcan = True
    replay = build_trainer_parts(config).replay.offline.arrays()
    rows = {name: np.concatenate([b.arrays()[name] for b in (sim.offline, sim.online)
                                  if len(b)]) for name in FIELDS}
    assert len(replay["reward"]) == len(rows["reward"])
    for name in ("image", "next_image"):  # c becomes [c, c]
        np.testing.assert_array_equal(replay[name][..., :3], rows[name])
        np.testing.assert_array_equal(replay[name][..., 3:], rows[name])
    np.testing.assert_array_equal(replay["action"], rows["action"])

    randomized = _config(tmp_path / "rsim", 6)
    randomized.obs = "randomized"
    train_policy(randomized)
    config = _config(tmp_path / "rcan2", 2)
    config.obs, config.translator, config.init_from = "rcan", translator, tmp_path / "rsim"
    config.canonical_replay_as_rcan = True
    with pytest.raises(RcanError, match="obs='randomized', not 'canonical'"):
        build_trainer_parts(config)
    assert not (tmp_path / "rcan2").exists()
    config = _config(tmp_path / "plain", 2)
    config.canonical_replay_as_rcan = True
    with pytest.raises(RcanError, match="needs --obs rcan"):
        build_trainer_parts(config)
    assert not (tmp_path / "plain").exists()  # refused before anything is written


def test_time_limit_applies_to_each_invocation(tmp_path: Path) -> None:
    """A run that already trained for an hour still gets its full limit when resumed."""
    train_policy(_config(tmp_path, 6))
    state_file = tmp_path / "checkpoint" / "state.json"
    state = json.loads(state_file.read_text())
    state_file.write_text(json.dumps({**state, "train_seconds": 3600.0}))
    config = _config(tmp_path, 10)
    config.time_limit_min = 10.0
    train_policy(config)
    assert json.loads(state_file.read_text())["grasps"] == 10


def test_evaluate_plays_in_the_environment_the_policy_was_trained_in(tmp_path: Path) -> None:
    config = _config(tmp_path, 6)
    config.env = EnvConfig(image_height=32, image_width=32, max_steps=3)
    train_policy(config)
    result = evaluate(EvaluateConfig(tmp_path, episodes=2, out=tmp_path / "eval.json"))
    assert result["episodes"] == 2 and result["mean_episode_length"] <= 3
    assert sum(result["outcomes"].values()) == 2 and 0 <= result["timeouts"] <= 2
    assert result["outcomes"]["success"] == round(result["success"] * 2)
    by_episode = result["success_by_episode"]
    assert len(by_episode) == 2 and by_episode.count("1") == result["outcomes"]["success"]
    assert result["act_cem"]["samples"] == config.act_cem.samples
    assert result["ensemble"] is None  # one network: no member list
    assert result["patience"] is None and result["actor_seed"] == 0
    again = evaluate(EvaluateConfig(tmp_path, episodes=2, out=tmp_path / "again.json"))
    assert again == result  # the same episodes and the same draws: the same evaluation
    other = evaluate(EvaluateConfig(tmp_path, episodes=2, actor_seed=1,
                                    out=tmp_path / "other.json"))
    assert other["actor_seed"] == 1 and other["seed"] == result["seed"]
    patient = evaluate(EvaluateConfig(tmp_path, episodes=2, patience=1.5,
                                      out=tmp_path / "patient.json"))
    # The rule reads the discount and step penalty the run trained with.
    assert patient["patience"] == {"factor": 1.5, "discount": config.targets.discount,
                                   "step_penalty": config.env.step_penalty}


def test_perfect_translation_in_the_canonical_domain_changes_nothing(tmp_path: Path) -> None:
    # There the canonical render is the observation itself, so the policy must meet the same
    # episodes and act the same way.
    config = _config(tmp_path, 6)
    config.env = EnvConfig(image_height=32, image_width=32, max_steps=3)
    train_policy(config)
    plain = evaluate(EvaluateConfig(tmp_path, episodes=3, out=tmp_path / "plain.json"))
    perfect = evaluate(EvaluateConfig(tmp_path, episodes=3, perfect_translation=True,
                                      out=tmp_path / "perfect.json"))
    assert (plain["perfect_translation"], perfect["perfect_translation"]) == (False, True)
    assert (plain["perfect_classes"], len(perfect["perfect_classes"])) == ([], 6)
    for key in ("success", "mean_episode_length", "outcomes", "timeouts", "closing"):
        assert perfect[key] == plain[key]


def test_perfect_translation_refuses_a_randomized_policy(tmp_path: Path) -> None:
    config = _config(tmp_path, 6)
    config.obs = "randomized"
    config.env = EnvConfig(image_height=32, image_width=32, max_steps=2)
    train_policy(config)
    with pytest.raises(RcanError, match="canonical or rcan policies, not 'randomized'"):
        evaluate(EvaluateConfig(tmp_path, episodes=1, perfect_translation=True,
                                out=tmp_path / "perfect.json"))
    assert not (tmp_path / "perfect.json").exists()
    with pytest.raises(RcanError, match="--perfect-classes needs --perfect-translation"):
        evaluate(EvaluateConfig(tmp_path, episodes=1, perfect_classes=("object",)))


def test_evaluate_a_snapshot_with_either_network(tmp_path: Path) -> None:
    config = _config(tmp_path, 6)
    config.env = EnvConfig(image_height=32, image_width=32, max_steps=2)
    train_policy(config)
    snapshot = tmp_path / "snapshots" / "grasps_000006"
    for network in ("online", "target_polyak"):
        result = evaluate(EvaluateConfig(snapshot, episodes=1, network=network,
                                         out=tmp_path / f"{network}.json"))
        assert (result["network"], result["episodes"]) == (network, 1)
    with pytest.raises(RcanError, match="network 'lagged'"):
        evaluate(EvaluateConfig(snapshot, episodes=1, network="lagged"))  # type: ignore[arg-type]


def test_evaluate_can_widen_the_acting_search(tmp_path: Path) -> None:
    config = _config(tmp_path, 6)
    config.env = EnvConfig(image_height=32, image_width=32, max_steps=2)
    train_policy(config)
    wide = EvaluateConfig(tmp_path, episodes=1, cem_samples=32, cem_iterations=3,
                          out=tmp_path / "eval.json")
    used = evaluate(wide)["act_cem"]
    assert (used["samples"], used["iterations"]) == (32, 3)
    assert used["elites"] == config.act_cem.elites  # not overridden: the run's own
    with pytest.raises(RcanError, match="elites"):
        evaluate(EvaluateConfig(tmp_path, episodes=1, cem_samples=4, cem_elites=8))
