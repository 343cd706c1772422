"""The bin-grasping world: table, tray, KUKA arm with gripper and a handful of objects.

The world is loaded once. Episodes move bodies and let them settle instead of calling
``resetSimulation`` and reloading every URDF (the slow path of pybullet's own grasping env).
Objects follow the bin protocol: they stay in the tray across episodes, a grasped object is
dropped back at a random place, and the whole set is replaced every few episodes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from rcan.sim.assets import DATA_DIR, object_set
from rcan.sim.bullet import direct_client
from rcan.sim.robot import KukaGripper

LEFT_FINGER = frozenset({8, 9, 10})
RIGHT_FINGER = frozenset({11, 12, 13})


@dataclass
class WorldConfig:
    """Geometry and physics of the bin world (appearance lives in a Domain)."""

    num_objects: int = 5
    """Objects in the bin."""
    objects: str = "train"
    """Object set: 'train', 'test', 'all', a folder of URDFs or a glob pattern."""
    swap_objects_every: int = 10
    """Replace the whole object set every this many episodes (0: never)."""
    time_step: float = 1.0 / 120.0
    """Physics time step in seconds."""
    solver_iterations: int = 50
    """Constraint solver iterations per physics step."""
    tray_position: tuple[float, float, float] = (0.64, 0.075, -0.19)
    """Where the tray sits on the table (its base frame)."""
    drop_half_extent: float = 0.12
    """Objects are dropped within this distance (m) of the tray centre along x and y."""
    drop_height: float = 0.06
    """Height (m) above the tray bottom from which objects are dropped."""
    settle_steps: int = 80
    """Upper bound on physics steps spent letting dropped objects come to rest."""
    object_scale: tuple[float, float] = (1.0, 1.0)
    """Range of a uniform scale applied to each loaded object."""
    divider: bool = False
    """Put a low divider wall across the tray (QT-Opt's bins have one)."""
    divider_offset: tuple[float, float] = (-0.08, 0.08)
    """Range of the divider's position along x from the tray centre, drawn per episode, m."""
    divider_height: float = 0.03
    """Height of the divider above the tray bottom, m."""
    uv_meshes: bool = True
    """Load UV-mapped copies of objects and arm so textures show as patterns, not one colour."""


@dataclass
class BinObject:
    """An object currently in the world."""

    uid: int
    """pybullet body id."""
    path: Path
    """The URDF it was loaded from."""
    base_mass: float
    """Its mass as loaded, before any dynamics randomization."""
    base_friction: float
    """Its lateral friction as loaded."""


@dataclass
class WorldState:
    """What changed at the last reset (for logging and tests)."""

    episode: int = 0
    """Episodes started so far."""
    objects_swapped: bool = False
    """Whether the last reset loaded a new object set."""
    dropped_back: list[int] = field(default_factory=list)
    """Objects re-dropped at the last reset (grasped or fallen out)."""


class BinWorld:
    """All bodies of the bin world inside one private pybullet DIRECT client."""

    def __init__(self, config: WorldConfig, rng: np.random.Generator) -> None:
        self.config = config
        self.rng = rng
        self.objects_available = object_set(config.objects)
        self.p = direct_client()
        p = self.p
        p.setTimeStep(config.time_step)
        p.setPhysicsEngineParameter(numSolverIterations=config.solver_iterations)
        p.setGravity(0, 0, -9.81)
        self.table = p.loadURDF(str(DATA_DIR / "table" / "table.urdf"), (0.5, 0.0, -0.82))
        self.tray = p.loadURDF(str(DATA_DIR / "tray" / "traybox.urdf"), config.tray_position)
        self.tray_bottom = p.getAABB(self.tray)[0][2] + 0.025
        self.robot = KukaGripper(p, model=self._kuka_model())
        self.divider: int | None = None
        if config.divider:
            half = (0.004, 0.24, config.divider_height / 2)
            self.divider = p.createMultiBody(
                0,
                p.createCollisionShape(p.GEOM_BOX, halfExtents=half),
                p.createVisualShape(p.GEOM_BOX, halfExtents=half),
                basePosition=(0, 0, -5),
            )
        self.objects: list[BinObject] = []
        self.state = WorldState()

    # -- episode lifecycle --------------------------------------------------------------------
    def reset(self, gripper_start: np.ndarray, new_objects: bool = False) -> WorldState:
        """Start an episode: arm to ``gripper_start`` (flange), objects in the tray, at rest.

        ``new_objects`` forces a fresh object set (and restarts the swap schedule), so that an
        explicitly seeded episode does not depend on what happened before it.
        """
        cfg = self.config
        if new_objects:
            self.state = WorldState()
        state = WorldState(episode=self.state.episode + 1)
        # Held objects count as grasped whatever their height: ask before the arm teleports.
        held = {o.uid for o in self.objects if self.touching_gripper(o.uid)}
        self.robot.reset(gripper_start)
        if self.divider is not None:
            cx, cy, _ = cfg.tray_position
            x = cx + self.rng.uniform(*cfg.divider_offset)
            z = self.tray_bottom + cfg.divider_height / 2
            self.p.resetBasePositionAndOrientation(self.divider, (x, cy, z), (0, 0, 0, 1))
        swap = new_objects or not self.objects or (
            cfg.swap_objects_every > 0 and self.state.episode % cfg.swap_objects_every == 0
        )
        if swap:
            self._load_objects()
            state.objects_swapped = True
            state.dropped_back = [o.uid for o in self.objects]
        else:
            state.dropped_back = [
                o.uid for o in self.objects if o.uid in held or not self._in_tray(o.uid)
            ]
            for uid in state.dropped_back:
                self._drop(uid)
        if state.dropped_back:
            self.settle()
        self.state = state
        return state

    def settle(self, max_steps: int | None = None) -> int:
        """Step until every object is (nearly) at rest; return the steps taken."""
        limit = self.config.settle_steps if max_steps is None else max_steps
        steps = 0
        while steps < limit:
            self.step(10)
            steps += 10
            speeds = [np.linalg.norm(self.p.getBaseVelocity(o.uid)[0]) for o in self.objects]
            if max(speeds, default=0.0) < 0.02:
                break
        return steps

    def step(self, n: int) -> None:
        """Advance the physics ``n`` steps."""
        for _ in range(n):
            self.p.stepSimulation()

    # -- queries ------------------------------------------------------------------------------
    def object_positions(self) -> np.ndarray:
        """(N, 3) base positions of the objects."""
        return np.array([self.p.getBasePositionAndOrientation(o.uid)[0] for o in self.objects])

    def object_distance_xy(self, point: np.ndarray) -> float:
        """Horizontal distance (m) from ``point`` to the nearest object's centre (the centre of
        its bounding box, which unlike the base frame sits on the shape); inf with no objects.
        Bullet pads every box by its contact threshold, so the box edges say little."""
        best = float("inf")
        for o in self.objects:
            low, high = self.p.getAABB(o.uid)
            cx, cy = (low[0] + high[0]) / 2, (low[1] + high[1]) / 2
            best = min(best, float(np.hypot(point[0] - cx, point[1] - cy)))
        return best

    def touching_gripper(self, uid: int) -> bool:
        """Whether object ``uid`` touches both fingers (i.e. is held, not just nudged)."""
        touched = {c[3] for c in self.p.getContactPoints(self.robot.uid, uid)}
        return bool(touched & LEFT_FINGER) and bool(touched & RIGHT_FINGER)

    def gripper_height(self) -> float:
        """Height (m) of the lowest fingertip point above the tray bottom."""
        return self.robot.tip_height() - self.tray_bottom

    def close(self) -> None:
        """Release the pybullet client."""
        if self.p is not None:
            self.p.disconnect()
            self.p = None  # type: ignore[assignment]

    # -- internals ----------------------------------------------------------------------------
    def _kuka_model(self) -> Path | None:
        if not self.config.uv_meshes:
            return None
        from rcan.sim.meshes import default_cache_dir, uv_mapped_kuka_sdf

        return uv_mapped_kuka_sdf(default_cache_dir())

    def _urdf_for(self, path: Path) -> Path:
        if not self.config.uv_meshes:
            return path
        from rcan.sim.meshes import default_cache_dir, uv_mapped_urdf

        return uv_mapped_urdf(path, default_cache_dir())

    def _load_objects(self) -> None:
        for obj in self.objects:
            self.p.removeBody(obj.uid)
        self.objects = []
        paths = self.objects_available.paths
        picks = self.rng.choice(len(paths), size=self.config.num_objects, replace=False)
        lo, hi = self.config.object_scale
        for index in sorted(picks):
            path = paths[int(index)]
            scale = float(self.rng.uniform(lo, hi))
            uid = self.p.loadURDF(str(self._urdf_for(path)), (0, 0, -5), globalScaling=scale)
            dyn = self.p.getDynamicsInfo(uid, -1)
            self.objects.append(BinObject(uid, path, base_mass=dyn[0], base_friction=dyn[1]))
            self._drop(uid)
            # Settle one at a time so dropped objects do not start interpenetrating.
            self.step(20)

    def _drop(self, uid: int) -> None:
        cfg = self.config
        cx, cy, _ = cfg.tray_position
        dx, dy = self.rng.uniform(-1, 1, size=2) * cfg.drop_half_extent
        z = self.tray_bottom + cfg.drop_height
        orn = self.p.getQuaternionFromEuler(self.rng.uniform(-np.pi, np.pi, size=3).tolist())
        self.p.resetBasePositionAndOrientation(uid, (cx + dx, cy + dy, z), orn)
        self.p.resetBaseVelocity(uid, (0, 0, 0), (0, 0, 0))

    def _in_tray(self, uid: int) -> bool:
        cfg = self.config
        (x, y, z), _ = self.p.getBasePositionAndOrientation(uid)
        cx, cy, _ = cfg.tray_position
        inside = abs(x - cx) < 0.25 and abs(y - cy) < 0.25
        resting = z < self.tray_bottom + 0.1
        return inside and resting
