"""Acting with the mean Q of a run's last snapshots (rcan.qtopt.ensemble, load_actor)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from rcan.common.checkpoint import save_checkpoint
from rcan.common.errors import RcanError
from rcan.qtopt.cem import CEMConfig
from rcan.qtopt.ensemble import QEnsemble
from rcan.qtopt.load import ensemble_members, load_actor
from rcan.qtopt.networks import QNetwork, QNetworkConfig
from rcan.qtopt.policy import cem_argmax

SMALL = QNetworkConfig(channels=8, hidden=16, image_height=32, image_width=32)


def _inputs(n: int = 3, samples: int = 5, seed: int = 0
            ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    images = torch.randint(0, 256, (n, 3, 32, 32), generator=g, dtype=torch.uint8)
    scalars = torch.rand(n, 2, generator=g)
    actions = torch.rand(n, samples, SMALL.action_dim, generator=g) * 2 - 1
    return images, scalars, actions


def _networks(count: int) -> list[QNetwork]:
    torch.manual_seed(0)
    return [QNetwork(SMALL).eval() for _ in range(count)]


def test_the_ensemble_of_one_network_is_that_network() -> None:
    (net,) = _networks(1)
    images, scalars, actions = _inputs()
    with torch.no_grad():
        ours = QEnsemble([net]).q_logits(QEnsemble([net]).encode(images), scalars, actions)
        theirs = net.q_logits(net.encode(images), scalars, actions)
    torch.testing.assert_close(ours, theirs)


def test_logits_are_the_members_mean() -> None:
    nets = _networks(3)
    ensemble = QEnsemble(nets)
    images, scalars, actions = _inputs()
    with torch.no_grad():
        ours = ensemble(images, scalars, actions)
        logits = torch.stack([n.q_logits(n.encode(images), scalars, actions) for n in nets])
    torch.testing.assert_close(ours, torch.sigmoid(logits.mean(0)))
    assert ours.shape == (3, 5)


def test_cem_over_an_ensemble_chunks_states_like_one_network() -> None:
    ensemble = QEnsemble(_networks(2))
    images, scalars, _ = _inputs(n=4)
    features = ensemble.encode(images)
    cem = CEMConfig(samples=16, elites=4, iterations=2)
    whole = cem_argmax(ensemble, features, scalars, cem, torch.Generator().manual_seed(1))
    chunked = cem_argmax(ensemble, features, scalars, cem, torch.Generator().manual_seed(1),
                         max_rows=16)
    for a, b in zip(whole, chunked, strict=True):
        torch.testing.assert_close(a, b)


def test_members_must_share_one_shape() -> None:
    with pytest.raises(ValueError, match="at least one"):
        QEnsemble([])
    with pytest.raises(ValueError, match="one network config"):
        QEnsemble([QNetwork(SMALL), QNetwork(QNetworkConfig(channels=8, hidden=8,
                                                            image_height=32, image_width=32))])


def _run_with_snapshots(root: Path, grasps: list[int]) -> list[QNetwork]:
    """A run folder like train-policy's: checkpoint/ and one snapshot per curve point."""
    config = {"obs": "canonical", "network": {"channels": 8, "hidden": 16, "image_height": 32,
                                              "image_width": 32}}
    nets = _networks(len(grasps) + 1)
    save_checkpoint(root / "checkpoint", {"online": nets[-1]}, {}, {}, config)
    for count, net in zip(grasps, nets, strict=False):
        save_checkpoint(root / "snapshots" / f"grasps_{count:06d}", {"online": net}, {},
                        {"grasps": count}, config)
    return nets


def test_load_actor_averages_the_last_snapshots(tmp_path: Path) -> None:
    nets = _run_with_snapshots(tmp_path, [2000, 10000, 4000])  # listed by count, not name order
    assert [f.name for f in ensemble_members(tmp_path, 2)] == ["grasps_004000", "grasps_010000"]
    actor, config = load_actor(tmp_path, ensemble=2)
    assert config["obs"] == "canonical" and isinstance(actor.network, QEnsemble)
    assert actor.network.sources == tuple(str(tmp_path / "snapshots" / f"grasps_{g:06d}")
                                          for g in (4000, 10000))
    images, scalars, actions = _inputs()
    expected = QEnsemble([nets[2], nets[1]])
    with torch.no_grad():
        torch.testing.assert_close(actor.network(images, scalars, actions),
                                   expected(images, scalars, actions))
    single, _ = load_actor(tmp_path)
    assert isinstance(single.network, QNetwork)
    action, q = actor.greedy(np.zeros((1, 32, 32, 3), np.uint8), np.zeros(1), np.ones(1) * 0.2)
    assert action.shape == (1, SMALL.action_dim) and 0 <= float(q[0]) <= 1


def test_the_ensemble_a_run_had_at_an_earlier_point(tmp_path: Path) -> None:
    nets = _run_with_snapshots(tmp_path, [2000, 4000, 6000, 8000])
    assert [f.name for f in ensemble_members(tmp_path, 2, until=7000)] == [
        "grasps_004000", "grasps_006000"]
    actor, _ = load_actor(tmp_path, ensemble=2, ensemble_until=6000)
    images, scalars, actions = _inputs()
    with torch.no_grad():
        torch.testing.assert_close(actor.network(images, scalars, actions),
                                   QEnsemble([nets[1], nets[2]])(images, scalars, actions))
        one, _ = load_actor(tmp_path, ensemble_until=5000)  # one network: the 4,000 snapshot
        torch.testing.assert_close(one.network(images, scalars, actions),
                                   nets[1](images, scalars, actions))
    with pytest.raises(RcanError, match="holds 1 snapshots up to 3000 grasps"):
        ensemble_members(tmp_path, 2, until=3000)


def test_too_few_snapshots_or_a_bad_count_is_a_clear_error(tmp_path: Path) -> None:
    _run_with_snapshots(tmp_path, [2000])
    with pytest.raises(RcanError, match=r"ensemble of 3: .*holds 1 snapshots"):
        load_actor(tmp_path, ensemble=3)
    with pytest.raises(RcanError, match="ensemble must be >= 1"):
        load_actor(tmp_path, ensemble=0)
