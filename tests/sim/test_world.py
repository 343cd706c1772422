"""Tests for rcan.sim.world and rcan.sim.assets: the bin protocol and the object sets."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from rcan.common.errors import RcanError
from rcan.sim.assets import RANDOM_URDFS, object_set
from rcan.sim.env import EnvConfig, GraspEnv
from rcan.sim.world import BinWorld, WorldConfig

START = np.array([0.64, 0.075, 0.3])


class Spy:
    """Counts calls of chosen pybullet functions on one client (and still calls them)."""

    NAMES = ("loadURDF", "loadSDF", "removeBody", "resetSimulation")

    def __init__(self, world: BinWorld, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls: Counter[str] = Counter()
        for name in self.NAMES:
            monkeypatch.setattr(world.p, name, self._wrap(name, getattr(world.p, name)))

    def _wrap(self, name: str, function: Callable[..., Any]) -> Callable[..., Any]:
        def spy(*args: Any, **kwargs: Any) -> Any:
            self.calls[name] += 1
            return function(*args, **kwargs)

        return spy


def make_world(**config: Any) -> BinWorld:
    config.setdefault("num_objects", 3)
    return BinWorld(WorldConfig(**config), np.random.default_rng(0))


@pytest.fixture()
def world() -> Iterator[BinWorld]:
    w = make_world(swap_objects_every=4)
    yield w
    w.close()


def _uids(world: BinWorld) -> list[int]:
    return [o.uid for o in world.objects]


def _in_tray(world: BinWorld, uid: int) -> bool:
    (x, y, z), _ = world.p.getBasePositionAndOrientation(uid)
    cx, cy, _ = world.config.tray_position
    reach = world.config.drop_half_extent + 0.05
    return abs(x - cx) < reach and abs(y - cy) < reach and z < world.tray_bottom + 0.08


# ------------------------------------------------------------------------------ reuse


def test_resets_reuse_the_loaded_world(world: BinWorld, monkeypatch: pytest.MonkeyPatch) -> None:
    first = world.reset(START)
    assert first.episode == 1 and first.objects_swapped
    assert len(world.objects) == 3
    client = world.p
    bodies = (world.table, world.tray, world.robot.uid, *_uids(world))
    count = world.p.getNumBodies()
    spy = Spy(world, monkeypatch)
    for episode in range(2, 5):  # within swap_objects_every=4
        state = world.reset(START)
        assert state.episode == episode and not state.objects_swapped
        assert world.p is client
        assert (world.table, world.tray, world.robot.uid, *_uids(world)) == bodies
        assert world.p.getNumBodies() == count
    assert sum(spy.calls.values()) == 0, spy.calls  # nothing loaded, removed or reset


def test_objects_swap_on_schedule(monkeypatch: pytest.MonkeyPatch) -> None:
    world = make_world(swap_objects_every=3)
    try:
        spy = Spy(world, monkeypatch)
        swapped = []
        paths = []
        for _ in range(7):
            before = spy.calls["loadURDF"]
            state = world.reset(START)
            swapped.append(state.objects_swapped)
            loads = spy.calls["loadURDF"] - before
            assert loads == (3 if state.objects_swapped else 0)
            paths.append({o.path for o in world.objects})
            assert world.p.getNumBodies() == 3 + 3  # table, tray, robot + objects: no leak
        assert swapped == [True, False, False, True, False, False, True]
        assert spy.calls["removeBody"] == 2 * 3 and spy.calls["resetSimulation"] == 0
        assert paths[0] == paths[1] == paths[2] and paths[3] != paths[0]
        assert paths[6] != paths[3]
    finally:
        world.close()


def test_swap_every_zero_never_swaps() -> None:
    world = make_world(swap_objects_every=0)
    try:
        states = [world.reset(START) for _ in range(4)]
        assert [s.objects_swapped for s in states] == [True, False, False, False]
    finally:
        world.close()


def test_objects_settle_in_the_tray(world: BinWorld) -> None:
    world.reset(START)
    # (Not necessarily at rest: settling is bounded by settle_steps, for speed.)
    for obj in world.objects:
        assert _in_tray(world, obj.uid)
    assert world.reset(START).dropped_back == []  # nothing left the tray


def test_objects_out_of_the_tray_are_dropped_back() -> None:
    # Dropped from high up: only settling brings them down into the tray before the episode.
    world = make_world(drop_height=0.15, settle_steps=200)
    try:
        _check_dropped_back(world)
    finally:
        world.close()


def _check_dropped_back(world: BinWorld) -> None:
    world.reset(START)
    fallen, lifted, stayed = world.objects
    cx, cy, _ = world.config.tray_position
    # One fell off onto the table, one is up in the air (as if held by the gripper).
    world.p.resetBasePositionAndOrientation(fallen.uid, (cx, cy + 0.4, -0.15), (0, 0, 0, 1))
    world.p.resetBasePositionAndOrientation(lifted.uid, (cx, cy, 0.15), (0, 0, 0, 1))
    assert not world._in_tray(fallen.uid) and not world._in_tray(lifted.uid)
    state = world.reset(START)
    assert not state.objects_swapped
    assert sorted(state.dropped_back) == sorted([fallen.uid, lifted.uid])
    for obj in world.objects:
        assert _in_tray(world, obj.uid), obj
    assert stayed.uid not in state.dropped_back


def test_a_grasped_object_is_dropped_back_inside_the_tray() -> None:
    env = GraspEnv(
        EnvConfig(
            domain="canonical",
            image_height=16,
            image_width=16,
            auto_grasp=True,
            world=WorldConfig(num_objects=3, swap_objects_every=0),
        )
    )
    try:
        world = env.world
        successes = 0
        env.reset(seed=0)
        for _ in range(10):
            down = np.zeros(7, np.float32)
            down[2] = -1.0
            while True:
                _, _, terminated, _, info = env.step(down)
                if terminated:
                    break
            world = env.world
            assert world is not None
            held = [o.uid for o in world.objects if o.path.stem in info["grasped"]]
            env.reset()
            if not info["success"]:
                continue
            successes += 1
            # Dropped back whatever height it was lifted to, and already down in the tray.
            assert held and set(held) <= set(world.state.dropped_back)
            for uid in held:
                assert _in_tray(world, uid)
        assert successes >= 2, "too few straight-down auto grasps succeeded to test anything"
    finally:
        env.close()


def test_close_is_idempotent() -> None:
    world = make_world()
    world.close()
    world.close()
    assert world.p is None


# ------------------------------------------------------------------------------ object sets


def _folders(paths: tuple[Path, ...]) -> set[str]:
    return {p.parent.name for p in paths}


def test_train_and_test_split_on_the_last_digit() -> None:
    train, test, everything = object_set("train"), object_set("test"), object_set("all")
    assert train.paths and test.paths
    assert all(not name.endswith("0") for name in _folders(train.paths))
    assert all(name.endswith("0") for name in _folders(test.paths))
    assert not set(train.paths) & set(test.paths)
    assert set(train.paths) | set(test.paths) == set(everything.paths)
    # pybullet's 1000 procedural objects: a tenth are held out.
    assert len(test) * 9 == len(train)
    assert list(train.paths) == sorted(train.paths)


def test_world_draws_from_its_object_set() -> None:
    world = make_world(objects="test", num_objects=4)
    try:
        world.reset(START)
        assert len(world.objects) == 4
        assert all(o.path.parent.name.endswith("0") for o in world.objects)
    finally:
        world.close()


def test_folder_and_glob_object_sets() -> None:
    folder = RANDOM_URDFS / "120"
    by_folder = object_set(str(folder))
    assert by_folder.paths == (folder / "120.urdf",)
    by_glob = object_set(str(RANDOM_URDFS / "12?" / "*.urdf"))
    assert len(by_glob) == 10 and folder / "120.urdf" in by_glob.paths


@pytest.mark.parametrize("spec", ["/no/such/place/*.urdf", "trian", ""])
def test_empty_object_set_raises(spec: str) -> None:
    with pytest.raises(RcanError) as info:
        object_set(spec)
    message = str(info.value)
    assert "\n" not in message and "is empty" in message and repr(spec) in message


def test_empty_object_set_fails_world_creation() -> None:
    with pytest.raises(RcanError, match="empty"):
        BinWorld(WorldConfig(objects="/no/such/place/*.urdf"), np.random.default_rng(0))
