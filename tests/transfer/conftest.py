"""Tiny policies for the transfer tests, saved in train-policy's own checkpoint format.

The networks are random (training is not what these tests are about): a Q-network with 8
channels and a 3-level translator with 8 base channels, written by the same checkpoint code
and with the same TrainPolicyConfig that ``rcan train-policy`` uses. One torch thread: the
tensors are tiny and a second thread only spins on a busy machine.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest
import torch

from rcan.common.checkpoint import save_checkpoint
from rcan.qtopt.cem import CEMConfig
from rcan.qtopt.networks import QNetwork, QNetworkConfig
from rcan.qtopt.train import TrainPolicyConfig
from rcan.transfer.grasp_policy import GraspPolicy
from rcan.translator.networks import GeneratorConfig, UNetGenerator

FAST_CEM = CEMConfig(samples=8, elites=2, iterations=2)


@pytest.fixture(autouse=True)
def _one_torch_thread() -> Iterator[None]:
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def write_translator(folder: Path) -> Path:
    """A random tiny translator checkpoint, as train-translator lays it out."""
    torch.manual_seed(1)
    config = GeneratorConfig(base_channels=8, depth=3)
    save_checkpoint(folder, {"generator": UNetGenerator(config)}, {}, {}, {"generator": config})
    return folder


def write_run(run: Path, obs: str, translator: Path | None = None) -> Path:
    """A train-policy run folder (run/checkpoint/...) with a random tiny Q-network."""
    torch.manual_seed(0)
    config = TrainPolicyConfig(
        obs=obs,  # type: ignore[arg-type]
        translator=translator,
        out=run,
        network=QNetworkConfig(in_channels=6 if obs == "rcan" else 3, channels=8, hidden=16),
        act_cem=FAST_CEM,
    )
    save_checkpoint(run / "checkpoint", {"online": QNetwork(config.network)}, {}, {}, config)
    return run


@pytest.fixture(scope="session")
def translator_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_translator(tmp_path_factory.mktemp("translator") / "translator")


@pytest.fixture(scope="session")
def canonical_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_run(tmp_path_factory.mktemp("canonical") / "run", "canonical")


@pytest.fixture(scope="session")
def rcan_run(tmp_path_factory: pytest.TempPathFactory, translator_dir: Path) -> Path:
    return write_run(tmp_path_factory.mktemp("rcan") / "run", "rcan", translator_dir)


@pytest.fixture(scope="session")
def canonical_policy(canonical_run: Path) -> GraspPolicy:
    return GraspPolicy.from_pretrained(canonical_run)


@pytest.fixture(scope="session")
def rcan_policy(rcan_run: Path) -> GraspPolicy:
    return GraspPolicy.from_pretrained(rcan_run)


Observations = tuple[np.ndarray, np.ndarray, np.ndarray]


def random_observations(count: int, seed: int) -> Observations:
    """Random 64 x 64 camera images, gripper states (0/1) and heights (metres)."""
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, (count, 64, 64, 3), dtype=np.uint8)
    closed = rng.integers(0, 2, count).astype(np.float32)
    height = rng.uniform(0.0, 0.3, count).astype(np.float32)
    return images, closed, height


@pytest.fixture(scope="session")
def observations() -> Callable[[int, int], Observations]:
    """``observations(count, seed)``: see random_observations."""
    return random_observations


@pytest.fixture(scope="session")
def make_run() -> Callable[..., Path]:
    """``make_run(folder, obs, translator=None)``: see write_run."""
    return write_run
