"""Playing policies: the same episodes as evaluate_actor, recorded frames, GIFs, Q maps."""

from __future__ import annotations

import shutil
from pathlib import Path

import imageio.v3 as iio
import numpy as np
import pytest
import torch

from rcan.common.errors import RcanError
from rcan.qtopt.collector import evaluate_actor
from rcan.qtopt.load import load_actor, saved_env_config
from rcan.qtopt.observation import PerfectTranslation
from rcan.sim.env import EnvConfig
from rcan.transfer.episodes import (
    ActorController,
    ScriptController,
    episode_frames,
    load_policy,
    play,
    write_gif,
)
from rcan.transfer.grasp_policy import GraspPolicy
from rcan.transfer.qmap import DOWN, grid_actions, q_map


def _env(domain: str = "canonical", steps: int = 5) -> EnvConfig:
    env = EnvConfig(domain=domain, max_steps=steps)
    env.world.objects = "test"
    return env


def test_play_meets_evaluate_actors_episodes(canonical_run: Path) -> None:
    ours = play(ActorController(load_actor(canonical_run, seed=3)[0]), _env(), 3, seed=7,
                progress=False)
    theirs = evaluate_actor(load_actor(canonical_run, seed=3)[0], _env(), 3, seed=7)
    assert ours.as_dict() == theirs


def test_recorded_episodes_hold_every_observation(rcan_run: Path) -> None:
    actor, config = load_policy(rcan_run)
    env = saved_env_config(config, "target", "test")
    env.max_steps = 4
    result = play(ActorController(actor), env, 2, seed=0, record=1, progress=False)
    assert len(result.recorded) == 1 and result.rate.episodes == 2
    episode = result.recorded[0]
    steps = len(episode.q_values)
    assert 1 <= steps <= 4
    assert len(episode.images) == len(episode.views) == steps + 1  # the final observation too
    assert all(0.0 <= q <= 1.0 for q in episode.q_values)
    np.testing.assert_array_equal(episode.images[0], episode.first_observation["image"])
    # the view is the translator's G(x) of the camera image, not the image itself
    expected = actor.encoder(episode.images[0][None])[0, ..., :3]
    np.testing.assert_array_equal(episode.views[0], expected)

    frames = episode_frames(episode, scale=2)
    assert len(frames) == steps + 1 and frames[0].shape[1] == 2 * 64 * 2
    border = (30, 170, 60) if episode.success else (210, 40, 40)
    assert tuple(frames[-1][0, 0]) == border and tuple(frames[0][0, 0]) != border


def test_gif_loops_and_ends_on_the_outcome(tmp_path: Path) -> None:
    result = play(ScriptController("oracle"), _env(steps=20), 1, seed=0, record=1,
                  progress=False)
    path = write_gif(result.recorded[0], tmp_path / "oracle.gif")
    frames = iio.imread(path, index=None)
    assert frames.ndim == 4 and len(frames) >= 2
    assert iio.immeta(path)["loop"] == 0
    assert not list(tmp_path.glob(".*tmp"))


def test_builtin_policies_and_bad_input() -> None:
    with pytest.raises(RcanError, match="unknown built-in policy"):
        ScriptController("greedy")
    with pytest.raises(RcanError, match="episodes must be >= 1"):
        play(ScriptController("oracle"), _env(), 0, seed=0)


def test_policy_env_follows_the_policy(canonical_run: Path) -> None:
    _, config = load_policy(canonical_run)
    env = saved_env_config(config, "target", "test")
    assert (env.domain, env.world.objects, env.image_height) == ("target", "test", 64)


def test_save_pretrained_folders_load_with_their_translator(rcan_policy: GraspPolicy,
                                                            tmp_path: Path) -> None:
    folder = rcan_policy.save_pretrained(tmp_path / "policy")
    actor, _ = load_policy(folder)
    assert actor.encoder.mode == "rcan" and actor.encoder.translator is not None


def test_q_map_scores_each_grid_action(canonical_run: Path) -> None:
    actor, _ = load_actor(canonical_run)
    rng = np.random.default_rng(0)
    obs = {"image": rng.integers(0, 256, (64, 64, 3), dtype=np.uint8),
           "gripper_closed": np.zeros(1, np.float32), "height": np.full(1, 0.2, np.float32)}
    m = q_map(actor, obs, size=5, metres=0.05)
    assert m.q.shape == (5, 5) and np.all((m.q >= 0) & (m.q <= 1))
    steps, actions = grid_actions(5)
    assert np.all(actions[:, 2] == DOWN) and np.all(actions[:, 4:] == [0, 1, 0])
    # one grid point by the plain forward pass: row dy = steps[1], column dx = steps[3]
    action = torch.tensor([[steps[3], steps[1], DOWN, 0, 0, 1, 0]], dtype=torch.float32)
    image = torch.from_numpy(obs["image"]).permute(2, 0, 1)[None]
    scalars = torch.tensor([[0.0, 0.2]])
    with torch.no_grad():
        direct = float(actor.network(image, scalars, action)[0])
    assert m.q[1, 3] == pytest.approx(direct, abs=1e-5)
    iy, ix = np.unravel_index(np.argmax(m.q), m.q.shape)
    assert m.best == pytest.approx((steps[ix] * 0.05, steps[iy] * 0.05))


def test_a_wholly_perfect_translation_loads_no_translator(
        tmp_path: Path, translator_dir: Path, make_run) -> None:
    translator = shutil.copytree(translator_dir, tmp_path / "translator")
    run = make_run(tmp_path / "run", "rcan", translator)
    partial, _ = load_actor(run, perfect_classes=("arm",))
    assert isinstance(partial.encoder, PerfectTranslation) and partial.encoder.translator
    shutil.rmtree(translator)  # G(x) is now unavailable
    whole, _ = load_actor(run, perfect_classes=())
    assert isinstance(whole.encoder, PerfectTranslation) and whole.encoder.translator is None
    for classes in (None, ("arm",)):
        with pytest.raises(RcanError, match="translator"):
            load_actor(run, perfect_classes=classes)
