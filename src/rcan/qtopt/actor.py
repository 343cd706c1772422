"""The acting side of QT-Opt: a CEM policy over the Q-network, with exploration.

:class:`QTOptActor` turns observations into actions (greedy CEM argmax of Q, Kalashnikov et
al. 2018) and plays whole episodes, returning their transitions in the replay's layout. It holds
no learner state: give it fresh weights with :meth:`QTOptActor.load_weights`, which is how a
single process and a distributed run feed the same actor class.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import torch

from rcan.qtopt.batch import images_to_tensor, scalars_to_tensor
from rcan.qtopt.cem import ACT_CEM, CEMConfig
from rcan.qtopt.ensemble import ActingQ
from rcan.qtopt.observation import ObservationEncoder
from rcan.qtopt.policy import Patience, greedy_actions
from rcan.sim.env import ACTION_DIM, CLOSE, OPEN, TERMINATE, GraspEnv
from rcan.sim.policies import EXPLORERS, Policy


@dataclass
class ExplorationConfig:
    """How the collector departs from the greedy policy."""

    epsilon: float = 0.2
    """Chance per step of a uniformly random action instead of the CEM argmax."""
    random_terminate: float = 0.05
    """Chance that a random action asks to terminate (a uniform bit would end most episodes
    after a couple of steps)."""
    scripted_fraction: float = 0.1
    """Fraction of collected episodes played by the scripted explorer instead."""
    explorer: Literal["random", "aimed"] = "random"
    """Scripted explorer of the bootstrap and of scripted episodes: 'random' (a random point
    over the tray, QT-Opt's) or 'aimed' (noisy grasps at objects from the simulator's object
    poses: simulated training only; rcan.sim.policies.AimedExplorer)."""
    scripted_retry: float = 0.0
    """Chance that a scripted episode, after closing, opens again and goes for a new point
    (at most twice) instead of ending, held object or not (rcan.sim.policies; pairs with
    EnvConfig.lift_on_close, which lets the image show whether the grasp held)."""
    scripted_terminate: float = 0.02
    """Chance per scripted step of also asking to terminate."""
    scripted_gripper_noise: float = 0.05
    """Chance per scripted step that the close/open bits are redrawn at random."""
    scripted_random_move: float = 0.15
    """Chance per scripted step that the move (translation and rotation) is uniformly random."""

    # Why the scripted episodes get noise: the script only closes at the bottom, only ends after
    # closing and never moves up, so without it the Q-function never sees a closed gripper high
    # up, a lift check elsewhere, or most moves, and extrapolates to them freely; CEM then finds
    # those extrapolations (the greedy policy closes, terminates or rises at once).


@dataclass
class Episode:
    """One played episode."""

    transitions: dict[str, np.ndarray] = field(default_factory=dict)
    """Replay-layout arrays (see rcan.qtopt.replay.FIELDS), one row per step."""
    success: bool = False
    """Whether the final lift check held an object."""
    steps: int = 0
    """Actions taken."""
    timed_out: bool = False
    """Whether it ended at the step limit rather than by a terminate action (or auto-grasp)."""
    close_distance: float = float("nan")
    """Where the gripper last closed: metres in x-y to the nearest object (NaN: never)."""
    close_height: float = float("nan")
    """Where the gripper last closed: fingertip height above the tray bottom, metres."""
    close_heights: tuple[float, ...] = ()
    """Fingertip height above the tray bottom at each close, in order, metres."""


class QTOptActor:
    """Greedy-plus-exploration CEM policy over a :class:`QNetwork` (or a :class:`QEnsemble`)."""

    def __init__(
        self,
        network: ActingQ,
        encoder: ObservationEncoder,
        cem: CEMConfig = ACT_CEM,
        exploration: ExplorationConfig | None = None,
        seed: int = 0,
        patience: Patience | None = None,
    ) -> None:
        self.network = network.eval()
        self.encoder = encoder
        self.cem = cem
        self.patience = patience
        """Greedy actions rank by Patience.rank instead of Q (None: QT-Opt's plain argmax)."""
        self.exploration = exploration or ExplorationConfig()
        self.generator = torch.Generator().manual_seed(seed)
        self.rng = np.random.default_rng(seed)

    def load_weights(self, weights: dict[str, torch.Tensor]) -> None:
        """Take the learner's latest online weights."""
        self.network.load_state_dict(weights)
        self.network.eval()

    @torch.no_grad()
    def greedy(self, images: np.ndarray, gripper_closed: np.ndarray, height: np.ndarray
               ) -> tuple[np.ndarray, np.ndarray]:
        """CEM argmax actions (N, 7) and their Q (N,) for encoded images (N, H, W, C)."""
        actions, q = greedy_actions(self.network, images_to_tensor(images),
                                    scalars_to_tensor(gripper_closed, height), self.cem,
                                    self.generator, self.patience)
        return actions.numpy().astype(np.float32), q.numpy()

    def random_action(self) -> np.ndarray:
        """A uniformly random move, gripper command, and a rarely set terminate bit."""
        action = np.zeros(ACTION_DIM, np.float32)
        action[:4] = self.rng.uniform(-1, 1, 4)
        action[4:6] = self.rng.integers(0, 2, 2)
        action[TERMINATE] = float(self.rng.random() < self.exploration.random_terminate)
        return action

    def perturb_scripted(self, action: np.ndarray) -> np.ndarray:
        """The scripted action, sometimes with its move, its gripper bits or its terminate bit
        redrawn at random (rates in ExplorationConfig)."""
        action = np.array(action, np.float32)
        if self.rng.random() < self.exploration.scripted_random_move:
            action[:CLOSE] = self.rng.uniform(-1, 1, CLOSE)
        if self.rng.random() < self.exploration.scripted_gripper_noise:
            action[CLOSE:OPEN + 1] = self.rng.integers(0, 2, 2)
        if self.rng.random() < self.exploration.scripted_terminate:
            action[TERMINATE] = 1.0
        return action

    def run_episode(self, env: GraspEnv, explore: bool = True, seed: int | None = None,
                    scripted_only: bool = False) -> Episode:
        """Reset ``env`` and play one episode; returns its transitions. ``scripted_only``: the
        scripted explorer plays it (the bootstrap), whatever ``scripted_fraction`` says."""
        obs, _ = env.reset(seed=seed)
        scripted: Policy | None = None
        fraction = 1.0 if scripted_only else self.exploration.scripted_fraction
        if explore and self.rng.random() < fraction:
            scripted = EXPLORERS[self.exploration.explorer]()
            scripted.retry = self.exploration.scripted_retry
            scripted.reset(env, self.rng)
        rows: dict[str, list[np.ndarray]] = {}
        image = self.encoder.from_obs(obs)
        while True:
            if scripted is not None:
                action = self.perturb_scripted(scripted.act(obs))
            elif explore and self.rng.random() < self.exploration.epsilon:
                action = self.random_action()
            else:
                action = self.greedy(image[None], obs["gripper_closed"], obs["height"])[0][0]
            next_obs, reward, terminated, truncated, info = env.step(action)
            next_image = self.encoder.from_obs(next_obs)
            row = {
                "image": image,
                "gripper_closed": obs["gripper_closed"][0],
                "height": obs["height"][0],
                "action": np.asarray(action, np.float32),
                "reward": np.float32(reward),
                "next_image": next_image,
                "next_gripper_closed": next_obs["gripper_closed"][0],
                "next_height": next_obs["height"][0],
                "done": np.float32(terminated),
            }
            for key, value in row.items():
                rows.setdefault(key, []).append(np.asarray(value))
            obs, image = next_obs, next_image
            if terminated or truncated:
                arrays = {k: np.stack(v) for k, v in rows.items()}
                return Episode(arrays, bool(info["success"]), env.steps,
                               bool(info["timed_out"]), float(info["close_distance"]),
                               float(info["close_height"]), tuple(info["close_heights"]))
