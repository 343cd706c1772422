"""GraspAction: physical units, unambiguous gripper commands, the env's raw vector back."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from rcan.common.errors import RcanError
from rcan.sim import env
from rcan.transfer import action
from rcan.transfer.action import GraspAction


def test_layout_matches_the_environment() -> None:
    assert (action.CLOSE, action.OPEN, action.TERMINATE) == (env.CLOSE, env.OPEN, env.TERMINATE)
    assert action.RAW_SIZE == env.ACTION_DIM


def test_units_and_round_trip() -> None:
    raw = np.array([0.5, -1.0, 0.2, -0.25, 0.0, 1.0, 1.0], np.float32)
    a = GraspAction.from_array(raw, 0.7, max_translation=0.05, max_rotation=0.4)
    assert a.translation == pytest.approx((0.025, -0.05, 0.01))
    assert a.yaw == pytest.approx(-0.1)
    assert (a.close, a.open, a.terminate) == (False, True, True)
    assert all(type(v) is bool for v in (a.close, a.open, a.terminate))
    assert a.q_value == pytest.approx(0.7)
    assert a.as_array().dtype == np.float32
    np.testing.assert_allclose(a.as_array(), raw, atol=1e-6)


def test_close_wins_over_open_as_in_the_environment() -> None:
    a = GraspAction.from_array(np.array([0, 0, 0, 0, 1, 1, 0]), 0.5, 0.05, 0.4)
    assert a.close and not a.open
    assert a.as_array()[4:].tolist() == [1.0, 0.0, 0.0]


def test_lift_only_with_a_close() -> None:
    closing = GraspAction.from_array(np.array([0, 0, 0, 0, 1, 0, 0]), 0.5, 0.05, 0.4, 0.12)
    moving = GraspAction.from_array(np.array([0, 0, 0, 0, 0, 1, 0]), 0.5, 0.05, 0.4, 0.12)
    assert (closing.lift, moving.lift) == (0.12, 0.0)
    assert GraspAction.from_array(np.array([0, 0, 0, 0, 1, 0, 0]), 0.5, 0.05, 0.4).lift == 0.0


def test_bits_are_thresholded_at_half() -> None:
    a = GraspAction.from_array(np.array([0, 0, 0, 0, 0.5, 0.51, 0.49]), 0.5, 0.05, 0.4)
    assert (a.close, a.open, a.terminate) == (False, True, False)


def test_frozen_and_checked() -> None:
    a = GraspAction.from_array(np.zeros(7), 0.5, 0.05, 0.4)
    with pytest.raises(dataclasses.FrozenInstanceError):
        a.yaw = 1.0  # type: ignore[misc]
    with pytest.raises(RcanError, match=r"shape \(7,\)"):
        GraspAction.from_array(np.zeros(6), 0.5, 0.05, 0.4)
    with pytest.raises(RcanError, match="finite"):
        GraspAction.from_array(np.full(7, np.nan), 0.5, 0.05, 0.4)
