"""Why an evaluation episode ended: the outcome categories of evaluate_actor."""

from __future__ import annotations

import numpy as np
import pytest

from rcan.qtopt.actor import Episode
from rcan.qtopt.collector import OutcomeCounts
from rcan.sim.env import ACTION_DIM, TERMINATE


def _episode(closed: list[int], terminate_last: bool, success: bool) -> Episode:
    actions = np.zeros((len(closed), ACTION_DIM), np.float32)
    actions[-1, TERMINATE] = float(terminate_last)
    transitions = {"next_gripper_closed": np.asarray(closed, np.float32), "action": actions}
    return Episode(transitions, success, len(closed))


@pytest.mark.parametrize(
    ("closed", "success", "outcome"),
    [
        ([0, 0, 1, 1], True, "success"),
        ([0, 0, 1, 1], False, "closed_on_nothing"),
        ([0, 0, 0, 0], False, "ended_open"),
        ([1, 1, 0, 0], False, "ended_open"),  # let go
    ],
)
def test_outcome_is_read_from_the_last_gripper_state(
    closed: list[int], success: bool, outcome: str
) -> None:
    counts = OutcomeCounts()
    counts.add_episode(_episode(closed, True, success))
    assert counts.counts[outcome] == 1 and sum(counts.counts.values()) == 1
    assert counts.timeouts == 0


def test_timeout_is_an_episode_without_a_final_terminate() -> None:
    counts = OutcomeCounts()
    counts.add_episode(_episode([0, 1], terminate_last=False, success=False))
    counts.add_episode(_episode([0, 1], terminate_last=True, success=False))
    assert counts.timeouts == 1 and counts.counts["closed_on_nothing"] == 2
