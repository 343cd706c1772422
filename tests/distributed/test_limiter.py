"""The samples-per-insert limiter: the trainer never runs ahead, collection never far ahead."""

from __future__ import annotations

import pytest

from rcan.common.errors import RcanError
from rcan.distributed.limiter import SampleToInsertLimiter


def test_trainer_takes_exactly_the_granted_steps() -> None:
    limiter = SampleToInsertLimiter(steps_per_episode=2.0, max_owed_steps=80)
    assert not limiter.can_sample()  # nothing inserted yet
    limiter.reserve(20)
    limiter.insert(20)
    taken = 0
    while limiter.can_sample():
        limiter.sample()
        taken += 1
    assert taken == 40 == limiter.taken  # what one single-process cycle of 20 takes
    with pytest.raises(RuntimeError, match="no insert granted"):
        limiter.sample()


def test_collection_waits_for_a_slow_trainer() -> None:
    # two collectors, chunks of 10 episodes, 1 step per episode: one round of slack
    limiter = SampleToInsertLimiter(steps_per_episode=1.0, max_owed_steps=10 * 3)
    for _ in range(2):
        assert limiter.can_reserve(10)
        limiter.reserve(10)
    limiter.insert(10)
    assert limiter.can_reserve(10)  # 10 owed + 20 under way = 30
    limiter.reserve(10)
    limiter.insert(10)
    assert not limiter.can_reserve(10)  # 20 owed + 20 under way: the trainer is behind
    for _ in range(10):
        limiter.sample()
    assert limiter.can_reserve(10)
    assert limiter.reserved == 10
    limiter.cancel(10)  # a chunk lost with its worker frees its reservation
    assert limiter.reserved == 0


def test_rounding_matches_the_single_process_cycle() -> None:
    limiter = SampleToInsertLimiter(steps_per_episode=0.5, max_owed_steps=10)
    for _ in range(4):
        limiter.insert(3, reserved=False)
    assert limiter.granted == 4 * round(0.5 * 3)


def test_no_gradient_steps_never_blocks_collection() -> None:
    limiter = SampleToInsertLimiter(steps_per_episode=0.0, max_owed_steps=0)
    for _ in range(100):
        assert limiter.can_reserve(20)
        limiter.reserve(20)
    assert not limiter.can_sample()


def test_bad_settings() -> None:
    with pytest.raises(RcanError, match="steps per episode"):
        SampleToInsertLimiter(-1.0, 10)
    with pytest.raises(RcanError, match="max_owed_steps"):
        SampleToInsertLimiter(1.0, -1)
