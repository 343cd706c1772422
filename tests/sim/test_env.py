"""Tests for rcan.sim.env: the Gymnasium API, the action encoding, rewards and episode ends."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import rcan.sim  # registers rcan/BinGrasp-v0
from rcan.common.errors import RcanError
from rcan.sim.env import ACTION_DIM, CLOSE, OPEN, TERMINATE, EnvConfig, GraspEnv
from rcan.sim.policies import OraclePolicy
from rcan.sim.world import WorldConfig

SIZE = 32


def make(domain: str = "canonical", **overrides: Any) -> GraspEnv:
    world = overrides.pop("world", WorldConfig(num_objects=3))
    config = EnvConfig(domain=domain, image_height=SIZE, image_width=SIZE, world=world)
    return GraspEnv(config, **overrides)


def action(**parts: float) -> np.ndarray:
    """An action from named parts: x, y, z, yaw, close, open, terminate."""
    names = ("x", "y", "z", "yaw", "close", "open", "terminate")
    out = np.zeros(ACTION_DIM, np.float32)
    for name, value in parts.items():
        out[names.index(name)] = value
    return out


@pytest.fixture(scope="module")
def env() -> Iterator[GraspEnv]:
    e = make("randomized")
    yield e
    e.close()


# ------------------------------------------------------------------------------ gymnasium


def test_check_env_passes() -> None:
    env = gym.make(rcan.sim.ENV_ID, domain="randomized", image_height=SIZE, image_width=SIZE)
    try:
        check_env(env.unwrapped, skip_render_check=True)
    finally:
        env.close()


def test_registered_id_works_with_make() -> None:
    env = gym.make(
        "rcan/BinGrasp-v0", domain="canonical", image_height=24, image_width=40, max_steps=3
    )
    try:
        assert isinstance(env.unwrapped, GraspEnv)
        assert env.unwrapped.domain.name == "canonical"
        obs, info = env.reset(seed=0)
        assert obs["image"].shape == (24, 40, 3)
        assert info == {"success": False, "grasped": [], "timed_out": False}
        env.action_space.seed(0)
        for step in range(1, 4):
            a = env.action_space.sample()
            a[TERMINATE] = 0.0
            obs, reward, terminated, truncated, _ = env.step(a)
            assert obs in env.observation_space and not truncated
            assert isinstance(reward, float)
            assert terminated == (step == 3)  # max_steps reached the wrapped env
    finally:
        env.close()


def test_spaces(env: GraspEnv) -> None:
    assert env.action_space.shape == (ACTION_DIM,) and env.action_space.dtype == np.float32
    np.testing.assert_array_equal(env.action_space.low, [-1, -1, -1, -1, 0, 0, 0])
    np.testing.assert_array_equal(env.action_space.high, np.ones(ACTION_DIM))
    space = env.observation_space
    assert isinstance(space, gym.spaces.Dict)
    assert set(space.spaces) == {"image", "gripper_closed", "height"}
    assert space["image"].shape == (SIZE, SIZE, 3) and space["image"].dtype == np.uint8


def test_observations_are_typed_and_in_the_space(env: GraspEnv) -> None:
    obs, _ = env.reset(seed=1)
    seen = [obs]
    rng = np.random.default_rng(0)
    for _ in range(4):
        a = rng.uniform(env.action_space.low, env.action_space.high).astype(np.float32)
        obs, _, terminated, _, _ = env.step(a)
        seen.append(obs)
        if terminated:
            break
    for o in seen:
        assert o["image"].dtype == np.uint8 and o["image"].shape == (SIZE, SIZE, 3)
        assert o["gripper_closed"].dtype == np.float32 and o["gripper_closed"].shape == (1,)
        assert o["height"].dtype == np.float32 and o["height"].shape == (1,)
        assert o in env.observation_space
        assert o["gripper_closed"][0] in (0.0, 1.0)
    # The start is 0.22 to 0.3 m above the tray bottom, gripper open.
    assert 0.2 < seen[0]["height"][0] < 0.32 and seen[0]["gripper_closed"][0] == 0.0


def test_render_returns_the_observation_image() -> None:
    env = make(render_mode="rgb_array")
    try:
        assert env.render() is None  # nothing to show before reset
        obs, _ = env.reset(seed=0)
        image = env.render()
        assert image is not None
        np.testing.assert_array_equal(image, obs["image"])
    finally:
        env.close()
    quiet = make()
    try:
        quiet.reset(seed=0)
        assert quiet.render() is None
    finally:
        quiet.close()


def test_canonical_view_adds_the_canonical_render_and_keeps_the_image() -> None:
    plain, viewed = make("randomized"), make("randomized", canonical_view=True)
    try:
        pairs = [(plain.reset(seed=5)[0], viewed.reset(seed=5)[0])]
        pairs.append((plain.step(action(x=0.5, z=-0.5))[0],
                      viewed.step(action(x=0.5, z=-0.5))[0]))
        for obs_plain, obs_viewed in pairs:
            assert "canonical" not in obs_plain
            np.testing.assert_array_equal(obs_viewed["image"], obs_plain["image"])
            assert obs_viewed in viewed.observation_space
            assert not np.array_equal(obs_viewed["canonical"], obs_viewed["image"])
        # the last observation's views are the paired canonical render and mask of that state
        paired = viewed.paired_frame()
        np.testing.assert_array_equal(pairs[-1][1]["canonical"], paired.canonical)
        np.testing.assert_array_equal(pairs[-1][1]["mask"], paired.mask)
    finally:
        plain.close()
        viewed.close()


def test_canonical_view_of_the_canonical_domain_is_its_image() -> None:
    env = make("canonical", canonical_view=True)
    try:
        obs, _ = env.reset(seed=1)
        np.testing.assert_array_equal(obs["canonical"], obs["image"])
    finally:
        env.close()


# ------------------------------------------------------------------------------ actions


@pytest.fixture()
def canonical_env() -> Iterator[GraspEnv]:
    e = make("canonical")
    yield e
    e.close()


@pytest.mark.parametrize("axis", [0, 1, 2])
@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_translation_moves_the_gripper(canonical_env: GraspEnv, axis: int, sign: float) -> None:
    env = canonical_env
    obs, _ = env.reset(seed=3)
    assert env.world is not None
    target = env.gripper_target()
    tip = env.world.robot.tip_center()
    move = np.zeros(ACTION_DIM, np.float32)
    move[axis] = sign
    obs2, reward, terminated, _, _ = env.step(move)
    expected = np.zeros(3)
    expected[axis] = sign * env.config.max_translation
    np.testing.assert_allclose(env.gripper_target() - target, expected, atol=1e-9)
    moved = env.world.robot.tip_center() - tip
    assert sign * moved[axis] > 0.008  # the arm follows the target...
    assert abs(moved[axis]) > 1.5 * np.abs(np.delete(moved, axis)).max()  # ...that way
    if axis == 2:
        assert sign * (obs2["height"][0] - obs["height"][0]) > 0.008
    assert not terminated and reward == pytest.approx(-0.05)


def test_translation_is_clipped_to_the_action_range(canonical_env: GraspEnv) -> None:
    env = canonical_env
    env.reset(seed=3)
    target = env.gripper_target()
    env.step(action(x=5.0))
    assert env.gripper_target()[0] - target[0] == pytest.approx(env.config.max_translation)


def test_gripper_stays_in_the_workspace(canonical_env: GraspEnv) -> None:
    env = canonical_env
    env.reset(seed=3)
    assert env.world is not None
    for _ in range(8):
        env.step(action(x=1.0, y=-1.0, z=-1.0))
    cx, cy, _ = env.config.world.tray_position
    target = env.gripper_target()
    half = env.config.workspace_xy
    assert target[0] == pytest.approx(cx + half) and target[1] == pytest.approx(cy - half)
    assert target[2] >= env.world.tray_bottom - 1e-9


def test_rotation_turns_the_wrist(canonical_env: GraspEnv) -> None:
    env = canonical_env
    env.reset(seed=3)
    assert env.world is not None
    yaw = env.world.robot.yaw
    env.step(action(yaw=1.0 if yaw < 0 else -1.0))
    assert abs(env.world.robot.yaw - yaw) == pytest.approx(env.config.max_rotation, abs=1e-6)


def test_close_and_open(canonical_env: GraspEnv) -> None:
    env = canonical_env
    obs, _ = env.reset(seed=3)
    assert obs["gripper_closed"][0] == 0.0
    obs, *_ = env.step(action(close=1.0))
    assert obs["gripper_closed"][0] == 1.0
    obs, *_ = env.step(action())  # no request: stays closed
    assert obs["gripper_closed"][0] == 1.0
    obs, *_ = env.step(action(open=1.0))
    assert obs["gripper_closed"][0] == 0.0
    obs, *_ = env.step(action(close=1.0, open=1.0))  # close wins
    assert obs["gripper_closed"][0] == 1.0
    obs, *_ = env.step(action(close=0.4, open=0.6))
    assert obs["gripper_closed"][0] == 0.0


def test_terminate_ends_the_episode(canonical_env: GraspEnv) -> None:
    env = canonical_env
    env.reset(seed=3)
    _, reward, terminated, truncated, info = env.step(action(terminate=1.0))
    assert terminated and not truncated and env.steps == 1
    closing = {k: info.pop(k) for k in ("close_distance", "close_height")}
    assert info == {"success": False, "grasped": [], "timed_out": False,  # open: holds nothing
                    "close_heights": ()}
    assert all(np.isnan(v) for v in closing.values())  # the gripper never closed
    assert reward == pytest.approx(-0.05)
    env.reset(seed=3)
    _, _, terminated, _, _ = env.step(action(terminate=0.4))
    assert not terminated


def test_step_limit_ends_the_episode() -> None:
    env = make(max_steps=5)
    try:
        env.reset(seed=0)
        for step in range(1, 6):
            _, reward, terminated, truncated, info = env.step(action())
            assert terminated == (step == 5), step
            assert info["timed_out"] == (step == 5), step
            assert not truncated
            assert reward == pytest.approx(-0.05)
        assert env.steps == 5
    finally:
        env.close()


def test_reward_on_success() -> None:
    env = make(auto_grasp=True, max_steps=15)
    try:
        outcomes = []
        for seed in range(8):
            env.reset(seed=seed)
            rewards = []
            while True:
                _, reward, terminated, _, info = env.step(action(z=-1.0))
                rewards.append(reward)
                if terminated:
                    break
            assert rewards[:-1] == pytest.approx([-0.05] * (len(rewards) - 1))
            if info["success"]:
                assert rewards[-1] == pytest.approx(0.95)
                assert info["grasped"] and all(isinstance(g, str) for g in info["grasped"])
            else:
                assert rewards[-1] == pytest.approx(-0.05) and info["grasped"] == []
            outcomes.append(info["success"])
        assert any(outcomes) and not all(outcomes)
    finally:
        env.close()


def test_auto_grasp_ends_the_episode_once_low() -> None:
    auto = make(auto_grasp=True, max_steps=20)
    manual = make(auto_grasp=False, max_steps=20)
    try:
        for env in (auto, manual):
            env.reset(seed=2)
            steps = 0
            while True:
                obs, _, terminated, _, info = env.step(action(z=-1.0))
                steps += 1
                if terminated:
                    break
            if env is auto:
                # Straight down from at most 0.3 m at 5 cm a step: low within a few steps.
                assert steps < 10
                assert obs["gripper_closed"][0] == 1.0
                assert not info["timed_out"]  # the env ended it, not the step limit
            else:
                assert steps == 20 and obs["gripper_closed"][0] == 0.0
                assert info["timed_out"]
    finally:
        auto.close()
        manual.close()


# ------------------------------------------------------------------------------ bad input


@pytest.mark.parametrize(
    "bad",
    [
        np.zeros(6, np.float32),
        np.zeros((1, 7), np.float32),
        np.zeros(8),
        np.array([0, 0, np.nan, 0, 0, 0, 0], np.float32),
        np.array([0, 0, np.inf, 0, 0, 0, 0], np.float32),
    ],
    ids=["short", "2d", "long", "nan", "inf"],
)
def test_bad_action_raises(env: GraspEnv, bad: np.ndarray) -> None:
    env.reset(seed=0)
    with pytest.raises(RcanError) as info:
        env.step(bad)
    # The message names what is wrong: the shape, or the non-finite values.
    wrong = "shape" if bad.shape != (7,) else "finite"
    assert "\n" not in str(info.value) and wrong in str(info.value)
    if wrong == "finite":
        assert "shape" not in str(info.value) and ("nan" in str(info.value)
                                                   or "inf" in str(info.value))


def test_step_before_reset_raises() -> None:
    env = make()
    with pytest.raises(RcanError, match="before reset"):
        env.step(action())
    with pytest.raises(RcanError, match="before reset"):
        env.paired_frame()


@pytest.mark.parametrize(
    ("overrides", "named"),
    [
        ({"image_height": 4}, "image_height"),
        ({"image_width": 2000}, "image_width"),
        ({"max_steps": 0}, "max_steps"),
        ({"world": WorldConfig(num_objects=0)}, "num_objects"),
        ({"no_such_setting": 1}, "no_such_setting"),
    ],
    ids=["small", "large", "steps", "objects", "unknown"],
)
def test_bad_config_raises(overrides: dict[str, Any], named: str) -> None:
    with pytest.raises(RcanError) as info:
        GraspEnv(EnvConfig(), domain="canonical", **overrides)
    assert "\n" not in str(info.value)
    assert named in str(info.value)


# ------------------------------------------------------------------------------ seeding


def _rollout(seed: int) -> list[tuple[bytes, bytes, bytes, float, bool]]:
    env = make("randomized")
    try:
        obs, _ = env.reset(seed=seed)
        rng = np.random.default_rng(123)
        out = [(obs["image"].tobytes(), obs["height"].tobytes(), b"", 0.0, False)]
        for _ in range(5):
            a = rng.uniform(env.action_space.low, env.action_space.high).astype(np.float32)
            a[TERMINATE] = 0.0
            a[CLOSE] = a[OPEN] = 0.0
            obs, reward, terminated, _, _ = env.step(a)
            out.append(
                (
                    obs["image"].tobytes(),
                    obs["height"].tobytes(),
                    obs["gripper_closed"].tobytes(),
                    reward,
                    terminated,
                )
            )
        return out
    finally:
        env.close()


def test_same_seed_gives_identical_episodes_in_fresh_envs() -> None:
    first = _rollout(7)
    assert first == _rollout(7)
    other = _rollout(8)
    assert first[0][0] != other[0][0]


def test_world_is_rebuilt_after_rebuild_every_episodes() -> None:
    env = GraspEnv(EnvConfig(domain="canonical", image_height=32, image_width=32,
                             rebuild_every=2))
    try:
        env.reset(seed=0)
        first = env.world
        env.reset()
        assert env.world is first
        env.reset()  # the third episode starts in a fresh Bullet world
        assert env.world is not first and env.world is not None
        obs, *_ = env.step(np.zeros(7, np.float32))
        assert obs["image"].shape == (32, 32, 3)
    finally:
        env.close()


def test_final_info_says_where_the_gripper_last_closed(canonical_env: GraspEnv) -> None:
    env = canonical_env
    env.reset(seed=3)
    world = env.world
    assert world is not None
    env.step(action(close=1.0))  # closes high above the pile, then opens and closes again
    env.step(action(open=1.0))
    target = world.object_positions()[0]
    tip = world.robot.tip_center()
    env.step(action(x=(target[0] - tip[0]) / 0.05, y=(target[1] - tip[1]) / 0.05))
    env.step(action())  # let the arm settle on its target
    expected = world.object_distance_xy(world.robot.tip_center())
    height = world.gripper_height()
    env.step(action(close=1.0))  # closes where it stands
    *_, info = env.step(action(terminate=1.0))
    assert info["close_distance"] == pytest.approx(expected, abs=0.01)
    assert info["close_height"] == pytest.approx(height, abs=0.01)
    assert info["close_height"] > 0.1  # the last close, at the start height, not the first
    assert len(info["close_heights"]) == 2 and info["close_heights"][-1] == info["close_height"]


def test_object_distance_is_to_the_nearest_object_centre(canonical_env: GraspEnv) -> None:
    env = canonical_env
    env.reset(seed=3)
    world = env.world
    assert world is not None
    centres = []
    for o in world.objects:
        low, high = world.p.getAABB(o.uid)
        centres.append([(low[0] + high[0]) / 2, (low[1] + high[1]) / 2])
    first = np.array([*centres[0], 0.5])
    assert world.object_distance_xy(first) == pytest.approx(0.0, abs=1e-12)
    point = first + np.array([0.03, -0.04, 0.0])
    expected = min(np.hypot(point[0] - x, point[1] - y) for x, y in centres)
    assert world.object_distance_xy(point) == pytest.approx(expected)
    assert 0 < expected <= 0.05 + 1e-9


# ------------------------------------------------------------------------------ regrasp oracle


def test_regrasp_oracle_reopens_an_empty_gripper_once() -> None:
    env = make("canonical")
    env.config.regrasp_oracle = 1
    try:
        env.reset(seed=3)  # the gripper starts 22-30 cm up: closing there holds nothing
        obs, _, done, _, info = env.step(action(close=1, terminate=1))
        assert not done and obs["gripper_closed"][0] == 0.0  # opened again, the episode goes on
        assert (env.steps, info["success"]) == (1, False)
        obs, _, done, _, info = env.step(action(close=1, terminate=1))
        assert done and not info["success"] and not info["timed_out"]  # no second chance
        assert len(info["close_heights"]) == 2
        env.reset(seed=3)  # every episode gets its own
        assert not env.step(action(close=1, terminate=1))[2]
    finally:
        env.close()


def test_without_the_oracle_an_empty_grasp_ends_the_episode() -> None:
    env = make("canonical")
    try:
        env.reset(seed=3)
        assert env.step(action(close=1, terminate=1))[2]
    finally:
        env.close()
    with pytest.raises(RcanError, match="regrasp_oracle=-1"):
        GraspEnv(EnvConfig(regrasp_oracle=-1))


def test_lift_on_close_raises_the_gripper_in_the_same_step() -> None:
    heights = {}
    for lift in (False, True):
        env = make("canonical")
        env.config.lift_on_close = lift
        try:
            obs, _ = env.reset(seed=5)
            for _ in range(3):  # down towards the objects first
                obs, *_ = env.step(action(z=-1))
            before = float(obs["height"][0])
            obs, _, done, _, _ = env.step(action(close=1))
            assert not done and obs["gripper_closed"][0] == 1.0
            heights[lift] = float(obs["height"][0]) - before
        finally:
            env.close()
    # The same episode and moves; the arm still settles during a plain close, so compare.
    assert heights[True] - heights[False] > 0.06  # lift_height 0.12, less the settling


def test_end_on_hold_ends_the_episode_at_a_close_that_lifts_an_object() -> None:
    ends = {}
    for end_on_hold in (False, True):
        env = make("canonical", lift_on_close=True, end_on_hold=end_on_hold)
        try:
            oracle = OraclePolicy()
            obs, _ = env.reset(seed=4)
            oracle.reset(env, np.random.default_rng(0))
            while True:
                act = oracle.act(obs)
                obs, reward, done, _, info = env.step(act)
                if done:
                    break
            ends[end_on_hold] = (env.steps, bool(act[TERMINATE] > 0.5), info["success"], reward)
        finally:
            env.close()
    steps, terminated_by_policy, success, reward = ends[True]
    assert success and not terminated_by_policy  # ended by the close itself
    assert reward == pytest.approx(1 - 0.05)
    assert ends[False][:3] == (steps + 1, True, True)  # one step later, by the terminate
    with pytest.raises(RcanError, match="end_on_hold needs lift_on_close"):
        GraspEnv(EnvConfig(end_on_hold=True))


def test_end_on_hold_goes_on_after_an_empty_close() -> None:
    env = make("canonical", lift_on_close=True, end_on_hold=True)
    try:
        env.reset(seed=3)  # closing at the start height holds nothing
        obs, _, done, _, _ = env.step(action(close=1))
        assert not done and obs["gripper_closed"][0] == 1.0
    finally:
        env.close()
