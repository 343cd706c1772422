"""The Gymnasium environment: QT-Opt's closed-loop grasping MDP on the bin world.

Action (``Box(7,)``, float32), after Kalashnikov et al. 2018 (QT-Opt):

====  ==================  =====================================================================
idx   range               meaning
====  ==================  =====================================================================
0-2   [-1, 1]             gripper translation x, y, z, in units of ``max_translation`` metres
3     [-1, 1]             rotation about the vertical axis, in units of ``max_rotation`` rad
4     [0, 1]              close gripper if > 0.5
5     [0, 1]              open gripper if > 0.5 (ignored when 4 also asks to close)
6     [0, 1]              terminate the episode if > 0.5
====  ==================  =====================================================================

Observation (``Dict``): ``image`` uint8 H x W x 3 (the domain's rendering), ``gripper_closed``
float32 (1,) in {0, 1}, ``height`` float32 (1,): metres from the lowest fingertip to the tray
bottom; with ``canonical_view`` also ``canonical``, uint8 H x W x 3: the same state in the
canonical style (a perfect translation, for diagnostics), and ``mask``, uint8 H x W: its true
class ids (rcan.sim.render.CLASS_NAMES).

Episode: at most ``max_steps`` actions. It ends when the policy terminates or at the step
limit; both end with a *lift check*: a closed gripper rises ``lift_height`` and the grasp
succeeds if an object is then held between both fingers at least ``success_height`` above the
tray bottom. Reward: ``-step_penalty`` each step, plus 1 on the final step if the grasp
succeeded. Both endings report ``terminated=True`` because the lift check makes the last step a
true terminal of the MDP (no bootstrapping past it); ``truncated`` is always False.
``info`` holds ``success``, ``grasped`` (URDF names of objects held) and ``timed_out`` (the
episode reached ``max_steps`` without a terminate action or an automatic grasp ending it). The
final step's ``info`` also says where the gripper last closed (NaN if it never did):
``close_distance``, the horizontal distance in metres from the fingertip centre to the nearest
object's centre, and ``close_height``, the fingertips' height above
the tray bottom. They tell an aiming error from a depth error when a grasp fails.
``close_heights`` has that height at every close of the episode, in order.

Seeding: ``reset(seed=s)`` loads a fresh object set and draws the episode from ``s``; the
domain (appearance, dynamics, action noise) draws from its own stream spawned from ``s``, so one
seed gives the same object layout and start pose in every domain. Byte-identical episodes need
a fresh environment: a reused world keeps Bullet's contact caches, which shifts poses by ~1e-5.

With ``auto_grasp=True`` the gripper closes and the episode ends by itself once the gripper is
lower than ``auto_grasp_height``, like pybullet's ``KukaDiverseObjectEnv``. With
``lift_on_close=True`` a close also raises the gripper by ``lift_height`` within its step, so
the policy sees whether its grasp held before it decides to terminate or to open and retry;
with ``end_on_hold=True`` as well, a close that lifts an object ends the episode by itself.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any, ClassVar

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from rcan.common.errors import RcanError
from rcan.sim.domain import Domain, load_domain
from rcan.sim.render import CLASS_NAMES, Appearance, Frame, SceneRenderer
from rcan.sim.world import BinWorld, WorldConfig

ENV_ID = "rcan/BinGrasp-v0"
ACTION_DIM = 7
CLOSE, OPEN, TERMINATE = 4, 5, 6


@dataclass
class EnvConfig:
    """Everything about the grasping MDP except appearance (see Domain)."""

    domain: str = "randomized"
    """Built-in domain name or path to a domain file."""
    image_height: int = 64
    """Observation image height in pixels."""
    image_width: int = 64
    """Observation image width in pixels."""
    max_steps: int = 20
    """Actions per episode at most."""
    max_translation: float = 0.05
    """Metres the gripper moves per unit of action along each axis."""
    max_rotation: float = 0.4
    """Radians the gripper turns per unit of action."""
    action_substeps: int = 8
    """Physics steps per action (the arm tracks its new target meanwhile)."""
    gripper_substeps: int = 10
    """Physics steps spent closing or opening the gripper."""
    lift_height: float = 0.12
    """Metres the gripper rises in the lift check."""
    lift_substeps: int = 15
    """Physics steps of the lift check."""
    success_height: float = 0.06
    """Metres above the tray bottom a held object must reach after the lift."""
    step_penalty: float = 0.05
    """Reward subtracted every step."""
    start_height: tuple[float, float] = (0.22, 0.3)
    """Range of the starting fingertip height above the tray bottom, metres."""
    start_xy_jitter: float = 0.08
    """Uniform jitter of the starting gripper position around the tray centre, metres."""
    workspace_xy: float = 0.17
    """Half-width of the square (around the tray centre) the gripper is kept in, metres."""
    workspace_height: tuple[float, float] = (0.0, 0.35)
    """Fingertip heights the gripper is kept between, metres above the tray bottom."""
    auto_grasp: bool = False
    """Close and end automatically once the gripper is low (KukaDiverseObjectEnv style)."""
    auto_grasp_height: float = 0.02
    """Fingertip height that triggers the automatic grasp."""
    rebuild_every: int = 250
    """Episodes after which the Bullet world is built afresh (0: never). Bullet keeps about
    0.35 MB of every object set it loads, even after removing the bodies, so a long-running
    collector would otherwise grow without bound; a rebuild takes about a second (under 0.2%
    of 250 episodes) and bounds that growth to about 90 MB."""
    world: WorldConfig = field(default_factory=WorldConfig)
    """The bin world: objects, physics."""
    canonical_view: bool = False
    """Also observe the same state drawn in the canonical style (``obs["canonical"]``, the
    domain's camera, one more render per step) and its true segmentation (``obs["mask"]``):
    what a perfect translator would output. For diagnostics (``rcan evaluate
    --perfect-translation``); no real robot has it."""
    lift_on_close: bool = False
    """Closing the gripper also raises it by ``lift_height`` in the same step, so the next
    image shows whether something is held: a failed grasp can be seen, and tried again, at the
    cost of coming back down (a robot running such a policy must lift on close as well)."""
    end_on_hold: bool = False
    """With ``lift_on_close``: a close whose lift holds an object ends the episode there, a
    success, as a terminate would one step later. Checking a grasp then costs nothing, so
    trying again after a miss pays under the discount. A robot needs a grasp detector for it
    (the gripper's opening after the lift, as QT-Opt labels its rewards)."""
    regrasp_oracle: int = 0
    """Diagnostic, simulation only: up to this many times per episode, a terminate with the
    gripper closed lifts as the lift check does, and if nothing is held opens the gripper and
    goes on instead of ending, overriding the policy's decision to stop: what a policy that
    looks after lifting and tries again would gain (``rcan evaluate --regrasp-oracle``)."""

    def validate(self) -> None:
        """Raise RcanError on impossible settings."""
        for name in ("image_height", "image_width"):
            value = getattr(self, name)
            if not 8 <= value <= 1024:
                raise RcanError(f"env config: {name}={value}: expected 8..1024 pixels")
        if self.max_steps < 1:
            raise RcanError(f"env config: max_steps={self.max_steps}: expected >= 1")
        if self.end_on_hold and not self.lift_on_close:
            raise RcanError("env config: end_on_hold needs lift_on_close (a grasp is only seen "
                            "to hold once lifted)")
        if self.regrasp_oracle < 0:
            raise RcanError(f"env config: regrasp_oracle={self.regrasp_oracle}: expected >= 0")
        if self.world.num_objects < 1:
            raise RcanError(f"env config: world.num_objects={self.world.num_objects}: need >= 1")


class GraspEnv(gym.Env[dict[str, np.ndarray], np.ndarray]):
    """Closed-loop bin grasping with a KUKA arm; see the module docstring for the MDP."""

    metadata: ClassVar[dict[str, Any]] = {"render_modes": ["rgb_array"], "render_fps": 10}

    def __init__(
        self,
        config: EnvConfig | None = None,
        domain: str | Domain | None = None,
        render_mode: str | None = None,
        **overrides: Any,
    ) -> None:
        # A private copy: overrides must not leak into the caller's config.
        config = copy.deepcopy(config) if config is not None else EnvConfig()
        for key, value in overrides.items():
            if not hasattr(config, key):
                raise RcanError(f"GraspEnv: unknown setting {key!r}")
            setattr(config, key, value)
        config.validate()
        self.config = config
        self.domain = load_domain(domain if domain is not None else config.domain)
        self.render_mode = render_mode
        h, w = config.image_height, config.image_width
        self.observation_space = spaces.Dict(
            {
                "image": spaces.Box(0, 255, (h, w, 3), np.uint8),
                "gripper_closed": spaces.Box(0.0, 1.0, (1,), np.float32),
                "height": spaces.Box(-0.5, 1.0, (1,), np.float32),
                **({"canonical": spaces.Box(0, 255, (h, w, 3), np.uint8),
                    "mask": spaces.Box(0, len(CLASS_NAMES) - 1, (h, w), np.uint8)}
                   if config.canonical_view else {}),
            }
        )
        self.action_space = spaces.Box(
            low=np.array([-1, -1, -1, -1, 0, 0, 0], np.float32),
            high=np.ones(ACTION_DIM, np.float32),
            dtype=np.float32,
        )
        self.domain_rng: np.random.Generator | None = None
        self.world: BinWorld | None = None
        self.renderer: SceneRenderer | None = None
        self._episodes_in_world = 0
        self._last_close = (float("nan"), float("nan"))
        self._close_heights: list[float] = []
        self._regrasps_left = 0
        self._lifted = False
        self.appearance: Appearance | None = None
        self.steps = 0
        self._obs: dict[str, np.ndarray] | None = None
        self._tip_offset = 0.0
        self._finger_force = 0.0

    # -- gymnasium API ------------------------------------------------------------------------
    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        super().reset(seed=seed)
        rng = self.np_random
        if seed is not None or self.domain_rng is None:
            # The domain draws from its own stream, spawned from the episode seed: the same seed
            # gives the same object layouts and start poses whatever the domain.
            self.domain_rng = np.random.default_rng(rng.bit_generator.seed_seq.spawn(1)[0])
        looks = self.domain_rng
        cfg = self.config
        if self.world is not None and 0 < cfg.rebuild_every <= self._episodes_in_world:
            self.close()
        if self.world is None:
            self._episodes_in_world = 0
            self.world = BinWorld(cfg.world, rng)
            self._finger_force = self.world.robot.finger_force
            self.renderer = SceneRenderer(
                self.world, self.domain, cfg.image_height, cfg.image_width, looks
            )
        world, renderer = self.world, self.renderer
        assert renderer is not None
        world.rng = rng
        renderer.rng = looks
        cx, cy, _ = cfg.world.tray_position
        start_xy = np.array([cx, cy]) + rng.uniform(-1, 1, 2) * cfg.start_xy_jitter
        start_h = rng.uniform(*cfg.start_height)
        start = np.array([start_xy[0], start_xy[1], 0.45])
        state = world.reset(start, new_objects=seed is not None)
        self._tip_offset = world.robot.flange_position()[2] - world.robot.tip_height()
        flange_z = world.tray_bottom + start_h + self._tip_offset
        yaw = rng.uniform(-np.pi / 2, np.pi / 2)
        world.robot.reset(np.array([start_xy[0], start_xy[1], flange_z]), yaw)
        if state.objects_swapped:
            renderer.refresh_surfaces()
        self._randomize_dynamics(looks)
        self.appearance = renderer.sample(looks)
        self.steps = 0
        self._last_close = (float("nan"), float("nan"))
        self._close_heights = []
        self._regrasps_left = self.config.regrasp_oracle
        self._lifted = False
        self._episodes_in_world += 1
        self._obs = self._observe()
        return self._obs, {"success": False, "grasped": [], "timed_out": False}

    def step(
        self, action: np.ndarray
    ) -> tuple[dict[str, np.ndarray], float, bool, bool, dict[str, Any]]:
        if self.world is None:
            raise RcanError("GraspEnv.step called before reset")
        action = np.asarray(action, dtype=np.float32)
        if action.shape != (ACTION_DIM,):
            raise RcanError(
                f"GraspEnv.step: action must be a float vector of shape ({ACTION_DIM},), "
                f"got shape {action.shape}"
            )
        if not np.all(np.isfinite(action)):
            raise RcanError(f"GraspEnv.step: action must be finite, got {action.tolist()}")
        cfg, world, robot = self.config, self.world, self.world.robot
        action = np.clip(action, self.action_space.low, self.action_space.high)
        move = action[:3].astype(np.float64)
        if self.domain.dynamics.action_noise > 0:
            assert self.domain_rng is not None
            move = move + self.domain_rng.normal(0, self.domain.dynamics.action_noise, 3)
        target = robot.target + move * cfg.max_translation
        target = self._clip_to_workspace(target)
        yaw = float(np.clip(robot.yaw + action[3] * cfg.max_rotation, -np.pi, np.pi))
        robot.move_to(target, yaw)
        world.step(cfg.action_substeps)
        close, open_, terminate = action[CLOSE] > 0.5, action[OPEN] > 0.5, action[TERMINATE] > 0.5
        if close != robot.closed and (close or open_):
            if close:
                self._note_close()
            robot.set_gripper(bool(close))
            world.step(cfg.gripper_substeps)
            if close and cfg.lift_on_close:  # an ordinary move: stays inside the workspace
                self._raise_gripper(within_workspace=True)
                if cfg.end_on_hold and self._held():
                    terminate = True
                    self._lifted = True  # the lift check is this lift
        if cfg.auto_grasp and world.gripper_height() < cfg.auto_grasp_height:
            if not robot.closed:
                self._note_close()
                robot.set_gripper(True)
                world.step(cfg.gripper_substeps)
            terminate = True
        self.steps += 1
        if terminate and robot.closed and self._regrasps_left > 0 and self.steps < cfg.max_steps:
            self._lift()
            if not self._held():  # the oracle's second chance: open, go on from up here
                self._regrasps_left -= 1
                self._lifted = False
                robot.set_gripper(False)
                world.step(cfg.gripper_substeps)
                terminate = False
        done = bool(terminate) or self.steps >= cfg.max_steps
        reward = -cfg.step_penalty
        info: dict[str, Any] = {"success": False, "grasped": [], "timed_out": False}
        if done:
            grasped = self._lift_check()
            info = {"success": bool(grasped), "grasped": grasped, "timed_out": not terminate,
                    "close_distance": self._last_close[0], "close_height": self._last_close[1],
                    "close_heights": tuple(self._close_heights)}
            reward += 1.0 if grasped else 0.0
        if self.domain.resample == "step" and not done:
            assert self.renderer is not None
            assert self.domain_rng is not None
            self.appearance = self.renderer.sample(self.domain_rng)
        self._obs = self._observe()
        return self._obs, float(reward), done, False, info

    def render(self) -> np.ndarray | None:
        """The current observation image (``render_mode='rgb_array'``)."""
        if self.render_mode != "rgb_array" or self._obs is None:
            return None
        return self._obs["image"].copy()

    def close(self) -> None:
        if self.world is not None:
            self.world.close()
            self.world = None
            self.renderer = None

    # -- extras for data generation and privileged policies ----------------------------------
    def paired_frame(self) -> Frame:
        """The current state as randomized RGB, canonical RGB, mask and depth (aligned)."""
        if self.renderer is None or self.appearance is None:
            raise RcanError("GraspEnv.paired_frame called before reset")
        return self.renderer.render(
            self.appearance, rgb=True, canonical=True, mask=True, depth=True
        )

    def gripper_target(self) -> np.ndarray:
        """The fingertip point the controller currently aims for (world frame)."""
        assert self.world is not None
        t = self.world.robot.target.copy()
        t[2] -= self._tip_offset
        return t

    # -- internals ----------------------------------------------------------------------------
    def _observe(self) -> dict[str, np.ndarray]:
        assert self.renderer is not None and self.appearance is not None and self.world
        view = self.config.canonical_view  # the mask comes free with the image's own pass
        frame = self.renderer.render(self.appearance, rgb=True, canonical=view, mask=view)
        assert frame.rgb is not None
        height = float(np.clip(self.world.gripper_height(), -0.5, 1.0))
        obs = {
            "image": frame.rgb,
            "gripper_closed": np.array([float(self.world.robot.closed)], np.float32),
            "height": np.array([height], np.float32),
        }
        if view:
            obs["canonical"], obs["mask"] = frame.canonical, frame.mask
        return obs

    def _note_close(self) -> None:
        """Count the close and remember where the gripper is (see ``close_distance`` above)."""
        assert self.world is not None
        tip = self.world.robot.tip_center()
        self._last_close = (self.world.object_distance_xy(tip), self.world.gripper_height())
        self._close_heights.append(self._last_close[1])

    def _clip_to_workspace(self, target: np.ndarray) -> np.ndarray:
        cfg = self.config
        assert self.world is not None
        cx, cy, _ = cfg.world.tray_position
        lo_h, hi_h = cfg.workspace_height
        bottom = self.world.tray_bottom + self._tip_offset
        return np.array(
            [
                np.clip(target[0], cx - cfg.workspace_xy, cx + cfg.workspace_xy),
                np.clip(target[1], cy - cfg.workspace_xy, cy + cfg.workspace_xy),
                np.clip(target[2], bottom + lo_h, bottom + hi_h),
            ]
        )

    def _lift_check(self) -> list[str]:
        assert self.world is not None
        if not self.world.robot.closed:
            return []
        if not self._lifted:  # the regrasp oracle may have lifted already in this step
            self._lift()
        return self._held()

    def _lift(self) -> None:
        """The lift of the lift check: may leave the workspace, and is done once per step."""
        self._raise_gripper(within_workspace=False)
        self._lifted = True

    def _raise_gripper(self, within_workspace: bool) -> None:
        """Raise the gripper by ``lift_height`` and let the world settle."""
        cfg, world = self.config, self.world
        assert world is not None
        target = world.robot.target + np.array([0.0, 0.0, cfg.lift_height])
        if within_workspace:
            target = self._clip_to_workspace(target)
        world.robot.move_to(target, world.robot.yaw)
        world.step(cfg.lift_substeps)

    def _held(self) -> list[str]:
        """Objects held between the fingers at least ``success_height`` above the tray."""
        world = self.world
        assert world is not None
        floor = world.tray_bottom + self.config.success_height
        return [obj.path.stem for obj in world.objects
                if world.p.getBasePositionAndOrientation(obj.uid)[0][2] > floor
                and world.touching_gripper(obj.uid)]

    def _randomize_dynamics(self, rng: np.random.Generator) -> None:
        dyn = self.domain.dynamics
        world = self.world
        assert world is not None
        mass = rng.uniform(*dyn.object_mass_scale)
        friction = rng.uniform(*dyn.object_friction_scale)
        for obj in world.objects:
            world.p.changeDynamics(
                obj.uid, -1, mass=obj.base_mass * mass, lateralFriction=obj.base_friction * friction
            )
        world.robot.finger_force = self._finger_force * rng.uniform(*dyn.gripper_force_scale)
        world.robot.command()
