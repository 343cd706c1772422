"""What a policy tells the robot to do: :class:`GraspAction`, in metres and radians.

The networks act in the environment's normalised units (rcan.sim.env: translation and yaw in
[-1, 1], three 0/1 bits). A robot needs physical units and unambiguous commands, so each
action is converted once, here, with the scales the policy was trained with
(``max_translation`` metres and ``max_rotation`` radians per unit). ``as_array`` gives the
environment's raw 7-vector back, for logging next to simulated episodes or for replaying the
action in ``rcan/BinGrasp-v0``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from rcan.common.errors import RcanError

#: Positions in the environment's raw action vector (rcan.sim.env; kept here so that this
#: module does not import the simulator; a test checks they agree).
CLOSE, OPEN, TERMINATE = 4, 5, 6
RAW_SIZE = 7


@dataclass(frozen=True)
class GraspAction:
    """One step's command, in physical units.

    Axes are those of the simulated world (``rcan.sim.env``): x and y horizontal, z up;
    ``yaw`` turns counter-clockwise seen from above. Map them onto your robot's base frame
    with the same calibration that places your camera where the simulated one is.
    """

    translation: tuple[float, float, float]
    """Gripper displacement (dx, dy, dz) in metres, each within +-max_translation."""
    yaw: float
    """Gripper rotation about the vertical axis in radians, within +-max_rotation."""
    close: bool
    """Close the gripper (after the move)."""
    open: bool
    """Open the gripper (after the move). Never True together with ``close``: the
    environment ignores an open request when close is also asked, and so does this action."""
    terminate: bool
    """End the episode: lift and check the grasp."""
    q_value: float
    """The Q-network's estimate, in [0, 1], that this action leads to a successful grasp."""
    lift: float = 0.0
    """Metres to raise the gripper right after closing, before the next image: a policy trained
    with EnvConfig.lift_on_close looks at that image to see whether its grasp held. 0 unless
    ``close`` is set and the policy was trained so."""
    max_translation: float = field(default=0.05, repr=False)
    """Metres per unit of the raw translation (the policy's training setting)."""
    max_rotation: float = field(default=0.4, repr=False)
    """Radians per unit of the raw yaw (the policy's training setting)."""

    @classmethod
    def from_array(
        cls, raw: np.ndarray, q_value: float, max_translation: float, max_rotation: float,
        close_lift: float = 0.0,
    ) -> GraspAction:
        """From the environment's raw 7-vector (bits thresholded at 0.5, as the env does);
        ``close_lift``: the policy's lift with each close (see :attr:`lift`)."""
        raw = np.asarray(raw, dtype=np.float64)
        if raw.shape != (RAW_SIZE,) or not np.all(np.isfinite(raw)):
            raise RcanError(f"raw action must be a finite vector of shape (7,), got {raw.shape}")
        close = bool(raw[CLOSE] > 0.5)
        return cls(
            translation=(
                float(raw[0] * max_translation),
                float(raw[1] * max_translation),
                float(raw[2] * max_translation),
            ),
            yaw=float(raw[3] * max_rotation),
            close=close,
            open=bool(raw[OPEN] > 0.5) and not close,
            terminate=bool(raw[TERMINATE] > 0.5),
            q_value=float(q_value),
            lift=float(close_lift) if close else 0.0,
            max_translation=float(max_translation),
            max_rotation=float(max_rotation),
        )

    def as_array(self) -> np.ndarray:
        """The environment's raw action (7,) float32: translation and yaw in [-1, 1], then
        close, open, terminate as exact 0/1."""
        raw = np.empty(RAW_SIZE, np.float32)
        raw[:3] = np.asarray(self.translation) / self.max_translation
        raw[3] = self.yaw / self.max_rotation
        raw[CLOSE], raw[OPEN], raw[TERMINATE] = self.close, self.open, self.terminate
        return raw
