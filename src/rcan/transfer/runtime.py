"""What every way of running a grasping policy shares: input checks, CEM noise, actions.

:class:`GraspPolicy` (PyTorch) and :class:`OnnxGraspPolicy` (onnxruntime) differ only in how
they evaluate the acting graph (rcan.transfer.acting_graph): camera image, gripper state and
height, plus the random numbers CEM samples from, in; the CEM argmax action and its Q out.
Drawing those random numbers here, with numpy, for both, is what makes them reproducible and
interchangeable: the same seed gives the same draws, so an exported policy can be checked
against the PyTorch one action for action. This module imports neither torch nor onnxruntime.

Randomness: each policy owns a numpy generator seeded at construction, so a fresh policy
replays the same actions for the same observations. ``seed=`` on a call draws that call's
numbers from ``numpy.random.default_rng(seed)`` instead (the policy's own stream does not
advance).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from rcan.common.config import from_dict
from rcan.common.errors import RcanError
from rcan.transfer.action import RAW_SIZE, GraspAction
from rcan.transfer.inputs import check_gripper_closed, check_height, check_images


@dataclass(frozen=True)
class ActingSpec:
    """What a runtime must know to feed the acting graph and read its output."""

    obs: str
    """Observation mode the policy was trained with (canonical, randomized or rcan)."""
    image_height: int
    """Input image height in pixels."""
    image_width: int
    """Input image width in pixels."""
    max_translation: float
    """Metres per unit of raw translation."""
    max_rotation: float
    """Radians per unit of raw yaw."""
    cem_samples: int
    """CEM samples per state and iteration."""
    cem_iterations: int
    """CEM iterations."""
    continuous_dims: int = 4
    """Gaussian dimensions of the action (translation, yaw)."""
    discrete_dims: int = 3
    """Bernoulli dimensions of the action (close, open, terminate)."""
    close_lift: float = 0.0
    """Metres the gripper rises right after each close (policies trained with
    EnvConfig.lift_on_close; 0 otherwise)."""
    end_on_hold: bool = False
    """The episode ends, a success, when the lift after a close holds an object (policies
    trained with EnvConfig.end_on_hold): the robot's grasp detector decides, not the policy."""

    def __post_init__(self) -> None:
        if self.end_on_hold and self.close_lift <= 0:
            raise RcanError("end_on_hold needs a close lift: a grasp is only seen to hold once "
                            "lifted")

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON values."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Any, where: str) -> ActingSpec:
        """From :meth:`to_dict`'s output, with a one-line error naming ``where``."""
        spec = from_dict(cls, data, where, use_custom=False)  # checks names and types
        if spec.continuous_dims + spec.discrete_dims != RAW_SIZE:
            raise RcanError(f"{where}: acting spec must describe {RAW_SIZE} action dims")
        return spec


class PolicyRuntime:
    """``act`` / ``act_batch`` on top of :meth:`_run`, which subclasses implement."""

    def __init__(self, spec: ActingSpec, seed: int = 0) -> None:
        self.spec = spec
        self.rng = np.random.default_rng(seed)

    @property
    def image_size(self) -> tuple[int, int]:
        """(height, width) of the images ``act`` takes."""
        return self.spec.image_height, self.spec.image_width

    def act(self, rgb: np.ndarray, gripper_closed: Any, height: Any,
            seed: int | None = None) -> GraspAction:
        """The greedy action for one observation.

        ``rgb``: uint8 (H, W, 3) at :attr:`image_size` (see
        rcan.transfer.center_crop_resize); ``gripper_closed``: bool or 0/1; ``height``:
        metres from the lowest fingertip to the tray bottom.
        """
        images = check_images(rgb, self.image_size, batched=False)
        closed = check_gripper_closed(gripper_closed, 1, batched=False)
        heights = check_height(height, 1, batched=False)
        return self._act(images, closed, heights, seed)[0]

    def act_batch(self, rgb: np.ndarray, gripper_closed: Any, height: Any,
                  seed: int | None = None) -> list[GraspAction]:
        """Greedy actions for N observations at once (one network call per CEM round):
        ``rgb`` (N, H, W, 3) uint8, ``gripper_closed`` and ``height`` of shape (N,)."""
        images = check_images(rgb, self.image_size, batched=True)
        closed = check_gripper_closed(gripper_closed, len(images), batched=True)
        heights = check_height(height, len(images), batched=True)
        return self._act(images, closed, heights, seed)

    def cem_noise(self, count: int, seed: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """The random numbers CEM consumes for ``count`` states: standard normal draws
        (N, iterations, samples, continuous) and uniform draws in [0, 1)
        (N, iterations, samples, discrete), float32."""
        rng = self.rng if seed is None else np.random.default_rng(seed)
        s = self.spec
        normal = rng.standard_normal(
            (count, s.cem_iterations, s.cem_samples, s.continuous_dims), dtype=np.float32)
        uniform = rng.random(
            (count, s.cem_iterations, s.cem_samples, s.discrete_dims), dtype=np.float32)
        return normal, uniform

    def _act(self, images: np.ndarray, closed: np.ndarray, heights: np.ndarray,
             seed: int | None) -> list[GraspAction]:
        normal, uniform = self.cem_noise(len(images), seed)
        raw, q = self._run(images, closed, heights, normal, uniform)
        return [
            GraspAction.from_array(r, q_i, self.spec.max_translation, self.spec.max_rotation,
                                   self.spec.close_lift)
            for r, q_i in zip(raw, q, strict=True)
        ]

    def _run(self, images: np.ndarray, gripper_closed: np.ndarray, height: np.ndarray,
             normal: np.ndarray, uniform: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Raw actions (N, 7) and Q values (N,) from checked inputs and CEM noise."""
        raise NotImplementedError
