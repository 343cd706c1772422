"""Why an evaluation episode ended: the outcome categories of evaluate_actor."""

from __future__ import annotations

import numpy as np
import pytest

from rcan.qtopt.actor import Episode
from rcan.qtopt.collector import OutcomeCounts


def _episode(closed: list[int], timed_out: bool, success: bool) -> Episode:
    transitions = {"next_gripper_closed": np.asarray(closed, np.float32)}
    return Episode(transitions, success, len(closed), timed_out)


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
    counts.add_episode(_episode(closed, False, success))
    assert counts.counts[outcome] == 1 and sum(counts.counts.values()) == 1
    assert counts.timeouts == 0


def test_timeouts_are_the_episodes_the_env_ended_at_its_step_limit() -> None:
    counts = OutcomeCounts()
    counts.add_episode(_episode([0, 1], timed_out=True, success=False))
    counts.add_episode(_episode([0, 1], timed_out=False, success=False))
    assert counts.timeouts == 1 and counts.counts["closed_on_nothing"] == 2


def test_closing_quartiles_per_outcome_in_cm() -> None:
    counts = OutcomeCounts()
    for d in (0.01, 0.02, 0.03):
        counts.add(True, True, False, close_distance=d, close_height=0.02)
    counts.add(False, True, False, close_distance=0.05, close_height=0.03)
    counts.add(False, False, True)  # never closed: counted, but has no closing point
    closing = counts.closing()
    assert closing["success"] == {"episodes": 3, "distance_cm": [1.5, 2.0, 2.5],
                                  "height_cm": [2.0, 2.0, 2.0]}
    assert closing["closed_on_nothing"]["distance_cm"] == [5.0, 5.0, 5.0]
    assert "ended_open" not in closing and counts.counts["ended_open"] == 1



def test_retries_count_episodes_with_two_low_closes() -> None:
    counts = OutcomeCounts()
    counts.add(True, True, False, close_heights=(0.02, 0.03))  # tried twice
    counts.add(False, True, False, close_heights=(0.25, 0.02, 0.05, 0.01))  # three times
    counts.add(True, True, False, close_heights=(0.25, 0.02))  # a no-op close up high first
    counts.add(False, False, True)  # never closed
    assert counts.retries() == {"episodes": 2, "success": 1, "mean_attempts": 1.5,
                                "mean_closes": 2.0}
    assert OutcomeCounts().retries() == {"episodes": 0, "success": 0, "mean_attempts": 0.0,
                                         "mean_closes": 0.0}
    summary = counts.summary()
    assert summary["retries"] == counts.retries() and summary["success_by_episode"] == "1010"
