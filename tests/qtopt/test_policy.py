"""Greedy acting: the Patience rule against a hand computation; paired comparisons of two
evaluations."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
import torch

from rcan.cli import main
from rcan.common.errors import RcanError
from rcan.qtopt.cem import TERMINATE_DIM, CEMConfig
from rcan.qtopt.evaluate import compare_evaluations
from rcan.qtopt.policy import Patience, cem_argmax


class TerminateOrGoOn:
    """A Q-function that depends only on the terminate bit: Q = 0.6 for grasping now, 0.55
    for anything else."""

    def q_logits(self, features: torch.Tensor, scalars: torch.Tensor,
                 actions: torch.Tensor) -> torch.Tensor:
        q = torch.where(actions[..., TERMINATE_DIM] > 0.5, 0.6, 0.55)
        return torch.logit(q)


def _argmax(patience: Patience | None) -> tuple[torch.Tensor, torch.Tensor]:
    features, scalars = torch.zeros(3, 1), torch.zeros(3, 2)
    return cem_argmax(TerminateOrGoOn(), features, scalars,  # type: ignore[arg-type]
                      CEMConfig(samples=32, elites=4, iterations=2),
                      torch.Generator().manual_seed(0), patience=patience)


def test_rank_by_hand() -> None:
    patience = Patience(factor=1.0, discount=0.9, step_penalty=0.05)
    logits = torch.logit(torch.tensor([[0.6, 0.55]]))
    actions = torch.zeros(1, 2, 7)
    actions[0, 0, TERMINATE_DIM] = 1.0
    rank = patience.rank(logits, actions).exp()
    # Grasping now is worth its Q; going on is worth (0.55 + 0.05) / 0.9 one step later.
    assert rank[0, 0].item() == pytest.approx(0.6)
    assert rank[0, 1].item() == pytest.approx(0.6 / 0.9)
    doubled = Patience(factor=2.0).rank(logits, actions).exp()
    assert doubled[0, 1].item() == pytest.approx(2 * 0.6 / 0.9)


def test_plain_argmax_terminates_a_patient_one_goes_on() -> None:
    actions, logits = _argmax(None)
    assert (actions[:, TERMINATE_DIM] == 1).all()
    assert torch.sigmoid(logits) == pytest.approx(0.6)
    actions, logits = _argmax(Patience())
    assert (actions[:, TERMINATE_DIM] == 0).all()
    # The returned value is the chosen action's Q, not its rank.
    assert torch.sigmoid(logits) == pytest.approx(0.55)


def test_a_faint_promise_does_not_hold_the_episode() -> None:
    # (0.55 + 0.05) / 0.9 * 0.85 = 0.567 < 0.6: grasping now wins again.
    actions, _ = _argmax(Patience(factor=0.85))
    assert (actions[:, TERMINATE_DIM] == 1).all()
    assert math.isclose(0.85 * 0.6 / 0.9, 0.5667, abs_tol=1e-4)


def test_bad_settings_are_refused() -> None:
    for bad in ({"factor": 0.0}, {"discount": 0.0}, {"discount": 1.5}, {"step_penalty": -1.0}):
        with pytest.raises(RcanError, match="patience: need factor > 0"):
            Patience(**bad)


def _evaluation(path: Path, seed: int, by_episode: str | None) -> None:
    result = {"domain": "canonical", "objects": "test", "seed": seed,
              "episodes": len(by_episode or "00"), "success": 0.5, "ci_low": 0.1,
              "ci_high": 0.9}
    if by_episode is not None:
        result["success_by_episode"] = by_episode
    path.write_text(json.dumps(result))


def test_compare_evals_pairs_the_same_episodes(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    a, b, out = tmp_path / "a.json", tmp_path / "b.json", tmp_path / "cmp.json"
    _evaluation(a, 1, "0000000000")
    _evaluation(b, 1, "1111111111")
    assert main(["compare-evals", str(a), str(b), "--out", str(out)]) == 0
    assert "only A grasped 0, only B 10; McNemar exact p = 0.00195" in capsys.readouterr().out
    written = json.loads(out.read_text())
    assert (written["difference"], written["seed"]) == (1.0, 1)
    _evaluation(b, 2, "1111111111")
    with pytest.raises(RcanError, match="did not meet the same episodes: seed 1 vs 2"):
        compare_evaluations(a, b)
    _evaluation(b, 1, None)
    with pytest.raises(RcanError, match="no 'success_by_episode' field"):
        compare_evaluations(a, b)
