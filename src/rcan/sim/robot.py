"""The KUKA IIWA arm with its two-finger gripper, driven in Cartesian space.

The arm follows a Cartesian target for the gripper through inverse kinematics with a fixed
top-down orientation; the vertical rotation is the gripper's own wrist joint, as in QT-Opt's
action space (translation + rotation about the vertical axis).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rcan.sim.assets import DATA_DIR


@dataclass(frozen=True)
class RobotLayout:
    """Joint and link indices of ``kuka_iiwa/kuka_with_gripper2.sdf``."""

    arm_joints: tuple[int, ...] = (0, 1, 2, 3, 4, 5, 6)
    """The seven revolute joints of the arm."""
    wrist_joint: int = 7
    """The gripper's rotation about the vertical axis (the gripper points down, so a positive
    joint angle turns it clockwise seen from above; ``KukaGripper.yaw`` hides that)."""
    finger_joints: tuple[int, int] = (8, 11)
    """Left and right finger hinges (left closes towards +, right towards -)."""
    tip_joints: tuple[int, int] = (10, 13)
    """Fingertip hinges, held straight."""
    ee_link: int = 6
    """The link whose frame the IK places (arm flange)."""
    arm_links: tuple[int, ...] = (-1, 0, 1, 2, 3, 4, 5, 6)
    """Links that belong to the arm (base included) for segmentation."""
    gripper_links: tuple[int, ...] = (7, 8, 9, 10, 11, 12, 13)
    """Links that belong to the gripper."""
    tip_links: tuple[int, int] = (10, 13)
    """The fingertips, whose lowest point defines the gripper height."""


LAYOUT = RobotLayout()

# Null-space IK settings keep the elbow up and the wrist over the bin.
_LOWER = [-0.967, -2.0, -2.96, 0.19, -2.96, -2.09, -3.05]
_UPPER = [0.967, 2.0, 2.96, 2.29, 2.96, 2.09, 3.05]
_RANGES = [5.8, 4.0, 5.8, 4.0, 5.8, 4.0, 6.0]
_REST = [0.0, 0.0, 0.0, 0.5 * math.pi, 0.0, -math.pi * 0.5 * 0.66, 0.0]
_HOME = [0.0064, 0.4132, -0.0114, -1.5893, 0.0054, 1.1377, -0.0065]
_DOWN = (0.0, 1.0, 0.0, 0.0)  # quaternion of Euler (0, -pi, 0): gripper pointing down

FINGER_OPEN = 0.3
"""Finger hinge angle (rad) of an open gripper."""
FINGER_CLOSED = 0.0
"""Finger hinge angle (rad) the fingers squeeze towards when closed."""


class KukaGripper:
    """One KUKA arm with gripper inside a pybullet client.

    ``target`` is the commanded flange position and ``yaw`` the world angle (counter-clockwise
    seen from above) of the line the fingers close along; ``closed`` the gripper command.
    """

    def __init__(
        self,
        client: object,
        base_position: tuple[float, float, float] = (-0.1, 0.0, 0.07),
        arm_force: float = 300.0,
        arm_max_velocity: float = 3.0,
        finger_force: float = 25.0,
        model: Path | None = None,
    ) -> None:
        self.p = client
        path = model or DATA_DIR / "kuka_iiwa" / "kuka_with_gripper2.sdf"
        self.uid: int = self.p.loadSDF(str(path))[0]
        self.p.resetBasePositionAndOrientation(self.uid, base_position, (0, 0, 0, 1))
        self.arm_force = arm_force
        self.arm_max_velocity = arm_max_velocity
        self.finger_force = finger_force
        self.closed = False
        self.yaw = 0.0  # world angle (rad, counter-clockwise) of the line the fingers close on
        self.target = np.zeros(3)
        # Gripper links collide with each other only through the objects they hold.
        for link in LAYOUT.gripper_links:
            for other in LAYOUT.gripper_links:
                if link < other:
                    self.p.setCollisionFilterPair(self.uid, self.uid, link, other, 0)

    # -- state -------------------------------------------------------------------------------
    def reset(self, target: np.ndarray, yaw: float = 0.0) -> None:
        """Teleport the arm to ``target`` (flange position) with an open gripper."""
        for joint, angle in zip(LAYOUT.arm_joints, _HOME, strict=True):
            self.p.resetJointState(self.uid, joint, angle)
        angles = self._ik(np.asarray(target, dtype=float))
        for joint, angle in zip(LAYOUT.arm_joints, angles, strict=True):
            self.p.resetJointState(self.uid, joint, angle)
        self.p.resetJointState(self.uid, LAYOUT.wrist_joint, -yaw)
        left, right = LAYOUT.finger_joints
        self.p.resetJointState(self.uid, left, -FINGER_OPEN)
        self.p.resetJointState(self.uid, right, FINGER_OPEN)
        for tip in LAYOUT.tip_joints:
            self.p.resetJointState(self.uid, tip, 0.0)
        self.closed = False
        self.yaw = yaw
        self.target = np.asarray(target, dtype=float).copy()
        self.command()

    def flange_position(self) -> np.ndarray:
        """World position of the arm flange (the IK target frame)."""
        return np.asarray(self.p.getLinkState(self.uid, LAYOUT.ee_link)[4])

    def tip_height(self) -> float:
        """World z of the lowest fingertip point."""
        return min(self.p.getAABB(self.uid, link)[0][2] for link in LAYOUT.tip_links)

    def tip_center(self) -> np.ndarray:
        """World position between the two fingertips."""
        a = np.asarray(self.p.getLinkState(self.uid, LAYOUT.tip_links[0])[4])
        b = np.asarray(self.p.getLinkState(self.uid, LAYOUT.tip_links[1])[4])
        return (a + b) / 2

    # -- commands ----------------------------------------------------------------------------
    def move_to(self, target: np.ndarray, yaw: float) -> None:
        """Set a new Cartesian target; motors track it while the simulation steps."""
        self.target = np.asarray(target, dtype=float).copy()
        self.yaw = float(yaw)
        self.command()

    def set_gripper(self, closed: bool) -> None:
        """Close (squeeze) or open the fingers."""
        self.closed = bool(closed)
        self.command()

    def command(self) -> None:
        """Send the motor targets for the current Cartesian target and gripper state."""
        p = self.p
        angles = self._ik(self.target)
        for joint, angle in zip(LAYOUT.arm_joints, angles, strict=True):
            p.setJointMotorControl2(
                self.uid,
                joint,
                p.POSITION_CONTROL,
                targetPosition=angle,
                force=self.arm_force,
                maxVelocity=self.arm_max_velocity,
            )
        p.setJointMotorControl2(
            self.uid, LAYOUT.wrist_joint, p.POSITION_CONTROL, targetPosition=-self.yaw,
            force=self.arm_force, maxVelocity=self.arm_max_velocity,
        )
        angle = FINGER_CLOSED if self.closed else FINGER_OPEN
        left, right = LAYOUT.finger_joints
        # Closing drives past the closed angle so the fingers keep squeezing what they hold.
        squeeze = 0.1 if self.closed else 0.0
        p.setJointMotorControl2(
            self.uid, left, p.POSITION_CONTROL, targetPosition=-(angle - squeeze),
            force=self.finger_force,
        )
        p.setJointMotorControl2(
            self.uid, right, p.POSITION_CONTROL, targetPosition=angle - squeeze,
            force=self.finger_force,
        )
        for tip in LAYOUT.tip_joints:
            p.setJointMotorControl2(
                self.uid, tip, p.POSITION_CONTROL, targetPosition=0.0, force=self.finger_force
            )

    def _ik(self, target: np.ndarray) -> list[float]:
        angles = self.p.calculateInverseKinematics(
            self.uid, LAYOUT.ee_link, target.tolist(), _DOWN, _LOWER, _UPPER, _RANGES, _REST,
            maxNumIterations=50, residualThreshold=1e-4,
        )
        return list(angles[:7])
