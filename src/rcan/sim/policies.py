"""Policies that come with the world: scripted exploration and a privileged oracle.

* :class:`ScriptedExplorer` bootstraps off-policy data as in QT-Opt: move to a random point
  over the tray, descend, close, lift. It succeeds on a minority of episodes (15-40%).
* :class:`OraclePolicy` reads object poses from the simulator and grasps the easiest one: the
  ceiling of what the physics allows, used to check the world is graspable at all.
* :class:`StraightDown` descends where it starts and closes: a blind baseline.
* :class:`AimedExplorer` also reads object poses, but only to explore near objects: a random
  object's centre plus noise. Simulation-only off-policy data (no real robot knows the poses).

All act only through the environment's action interface, so their episodes are ordinary
training data.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np

from rcan.common.errors import RcanError
from rcan.sim.env import ACTION_DIM, CLOSE, OPEN, TERMINATE, GraspEnv


class Policy(Protocol):
    """Anything that maps observations to actions for a :class:`GraspEnv`."""

    def reset(self, env: GraspEnv, rng: np.random.Generator) -> None:
        """Start a new episode in ``env`` (called after ``env.reset``)."""

    def act(self, observation: dict[str, np.ndarray]) -> np.ndarray:
        """The next action (shape (7,), float32)."""


def _move_action(env: GraspEnv, goal: np.ndarray, yaw: float | None = None) -> np.ndarray:
    """Translation (and rotation) that heads for ``goal`` (fingertip point) at full speed."""
    cfg = env.config
    action = np.zeros(ACTION_DIM, np.float32)
    delta = (goal - env.gripper_target()) / cfg.max_translation
    action[:3] = np.clip(delta, -1, 1)
    if yaw is not None:
        assert env.world is not None
        action[3] = np.clip((yaw - env.world.robot.yaw) / cfg.max_rotation, -1, 1)
    return action


def _arrived(env: GraspEnv, goal: np.ndarray, tolerance: float = 0.004) -> bool:
    return bool(np.all(np.abs(goal - env.gripper_target()) < tolerance))


class _GraspScript:
    """Approach a point, descend, close, terminate; subclasses choose the point.

    ``retry`` is the chance that, after closing, the script opens again and goes for a new
    point instead of ending (at most ``max_retries`` times), whether or not it holds
    something: data in which re-opening after a grasp is sometimes right and sometimes wrong,
    from which a Q-function can learn to tell the two apart (with ``lift_on_close`` the image
    after closing shows which)."""

    hover: float = 0.08
    grasp_height: float = 0.005

    def __init__(self) -> None:
        self.env: GraspEnv | None = None
        self.phase = "approach"
        self.goal_xy = np.zeros(2)
        self.yaw: float | None = None
        self.retry = 0.0
        self.max_retries = 2
        self._retries_left = 0

    def reset(self, env: GraspEnv, rng: np.random.Generator) -> None:
        self.env = env
        self.rng = rng
        self.phase = "approach"
        self._last_height: float | None = None
        self._retries_left = self.max_retries
        self.choose(env, rng)

    def choose(self, env: GraspEnv, rng: np.random.Generator) -> None:
        raise NotImplementedError

    def act(self, observation: dict[str, np.ndarray]) -> np.ndarray:
        env = self.env
        assert env is not None and env.world is not None, "call reset(env, rng) first"
        bottom = env.world.tray_bottom
        if self.phase == "approach":
            self.track(env)
            goal = np.array([*self.goal_xy, bottom + self.hover])
            if _arrived(env, goal, tolerance=0.01):
                self.phase = "descend"
            else:
                return _move_action(env, goal, self.yaw)
        if self.phase == "descend":
            self.track(env)
            goal = np.array([*self.goal_xy, bottom + self.grasp_height])
            action = _move_action(env, goal, self.yaw)
            height = float(observation["height"][0])
            blocked = self._last_height is not None and self._last_height - height < 0.003
            self._last_height = height
            if _arrived(env, goal) or blocked:
                self.phase = "close"
            else:
                return action
        if self.phase == "close":
            self.phase = "lift"
            action = np.zeros(ACTION_DIM, np.float32)
            action[CLOSE] = 1.0
            return action
        action = np.zeros(ACTION_DIM, np.float32)
        if self.retry > 0 and self._retries_left > 0 and self.rng.random() < self.retry:
            self._retries_left -= 1
            self.phase, self._last_height = "approach", None
            self.choose(env, self.rng)
            action[OPEN] = 1.0
            return action
        action[CLOSE] = 1.0
        action[TERMINATE] = 1.0
        return action

    def track(self, env: GraspEnv) -> None:
        """Update the goal while approaching (closed-loop policies override this)."""


class ScriptedExplorer(_GraspScript):
    """Random point over the tray, random wrist angle, random grasp depth."""

    def __init__(self, spread: float = 0.13, depth: tuple[float, float] = (0.0, 0.03)) -> None:
        super().__init__()
        self.spread = spread
        self.depth = depth

    def choose(self, env: GraspEnv, rng: np.random.Generator) -> None:
        cx, cy, _ = env.config.world.tray_position
        self.goal_xy = np.array([cx, cy]) + rng.uniform(-1, 1, 2) * self.spread
        self.grasp_height = float(rng.uniform(*self.depth))
        assert env.world is not None
        self.yaw = float(env.world.robot.yaw + rng.uniform(-1, 1) * np.pi / 2)


class StraightDown(_GraspScript):
    """Blind baseline: descend where the gripper starts, close, lift. What a learner scores
    before it learns to aim (the episode's layout alone decides), the floor to read early
    learning curves against."""

    def choose(self, env: GraspEnv, rng: np.random.Generator) -> None:
        self.goal_xy = env.gripper_target()[:2].copy()
        self.phase = "descend"


class OraclePolicy(_GraspScript):
    """Privileged: picks the most isolated object, aligns the fingers across its narrow side."""

    def choose(self, env: GraspEnv, rng: np.random.Generator) -> None:
        world = env.world
        assert world is not None
        cx, cy, _ = env.config.world.tray_position
        reach = env.config.workspace_xy - 0.015
        centres = {o.uid: self._centre(env, o.uid) for o in world.objects}

        def score(uid: int) -> float:
            x, y = centres[uid]
            outside = max(abs(x - cx) - reach, abs(y - cy) - reach, 0.0)
            others = [np.hypot(x - u, y - v) for k, (u, v) in centres.items() if k != uid]
            return min(others, default=1.0) - 10.0 * outside

        self.target_uid = max(centres, key=score)
        self.goal_xy = centres[self.target_uid]
        self.yaw = self._grasp_yaw(env, self.target_uid)

    def track(self, env: GraspEnv) -> None:
        # Re-aim while approaching from above; once low, hold still rather than chase an
        # object the fingers are nudging.
        if self.phase == "approach":
            self.goal_xy = self._centre(env, self.target_uid)

    @staticmethod
    def _centre(env: GraspEnv, uid: int) -> np.ndarray:
        assert env.world is not None
        low, high = env.world.p.getAABB(uid)
        return (np.asarray(low[:2]) + np.asarray(high[:2])) / 2

    @staticmethod
    def _grasp_yaw(env: GraspEnv, uid: int) -> float:
        """Wrist angle that closes the fingers along the object's narrowest horizontal axis."""
        world = env.world
        assert world is not None
        _, vertices = world.p.getMeshData(uid, -1)
        points = np.asarray(vertices, dtype=np.float64)
        if len(points) < 3:
            return float(world.robot.yaw)
        _, orn = world.p.getBasePositionAndOrientation(uid)
        rotation = np.asarray(world.p.getMatrixFromQuaternion(orn)).reshape(3, 3)
        xy = (points @ rotation.T)[:, :2]
        xy -= xy.mean(axis=0)
        _, vectors = np.linalg.eigh(xy.T @ xy)
        narrow = vectors[:, 0]  # eigenvector of the smallest eigenvalue
        yaw = float(np.arctan2(narrow[1], narrow[0]))
        # The gripper is symmetric: of yaw and yaw +- pi take the one nearest the wrist now.
        current = world.robot.yaw
        candidates = [yaw - np.pi, yaw, yaw + np.pi]
        allowed = [c for c in candidates if abs(c) <= np.pi]
        return float(min(allowed, key=lambda c: abs(c - current)))


class AimedExplorer(OraclePolicy):
    """Privileged exploration: a random object's centre moved by Gaussian noise, the wrist
    across the object's narrow side or at random, a random grasp depth.

    The random point of :class:`ScriptedExplorer` lands mostly on the empty tray, so its data
    says little about the few centimetres that separate a grasp from a miss next to an
    object; aiming noisily at objects fills the replay with exactly those near hits and near
    misses. It reads the simulator's object poses, so it exists for simulated training only.
    """

    def __init__(self, noise: float = 0.02, random_yaw: float = 0.5,
                 depth: tuple[float, float] = (0.0, 0.03)) -> None:
        super().__init__()
        self.noise = noise
        self.random_yaw = random_yaw
        self.depth = depth
        self.offset = np.zeros(2)

    def choose(self, env: GraspEnv, rng: np.random.Generator) -> None:
        world = env.world
        assert world is not None
        self.target_uid = world.objects[int(rng.integers(len(world.objects)))].uid
        self.offset = rng.normal(0.0, self.noise, 2)
        self.goal_xy = self._centre(env, self.target_uid) + self.offset
        self.grasp_height = float(rng.uniform(*self.depth))
        if rng.random() < self.random_yaw:
            self.yaw = float(world.robot.yaw + rng.uniform(-1, 1) * np.pi / 2)
        else:
            self.yaw = self._grasp_yaw(env, self.target_uid)

    def track(self, env: GraspEnv) -> None:
        if self.phase == "approach":  # follow the object, keep the miss
            self.goal_xy = self._centre(env, self.target_uid) + self.offset


#: The scripted explorers by the names training configs use.
EXPLORERS: dict[str, type[_GraspScript]] = {"random": ScriptedExplorer, "aimed": AimedExplorer}

#: Every built-in policy by the name ``rcan rollout`` and the demo use ("scripted" is the
#: random explorer, the one that needs no privileged state).
BUILTIN_POLICIES: dict[str, type[_GraspScript]] = {
    "oracle": OraclePolicy, "scripted": ScriptedExplorer, "aimed": AimedExplorer,
    "down": StraightDown,
}


def builtin_policy(name: str) -> _GraspScript:
    """A fresh built-in policy by its name in :data:`BUILTIN_POLICIES`."""
    if name not in BUILTIN_POLICIES:
        raise RcanError(f"unknown built-in policy {name!r}: expected one of "
                        f"{', '.join(BUILTIN_POLICIES)}")
    return BUILTIN_POLICIES[name]()


def run_episode(
    env: GraspEnv, policy: Policy, seed: int | None = None
) -> tuple[bool, int, list[dict[str, np.ndarray]]]:
    """Roll out one episode; return (success, steps, observations seen)."""
    obs, _ = env.reset(seed=seed)
    policy.reset(env, env.np_random)
    seen = [obs]
    while True:
        obs, _, terminated, truncated, info = env.step(policy.act(obs))
        seen.append(obs)
        if terminated or truncated:
            return bool(info["success"]), env.steps, seen
