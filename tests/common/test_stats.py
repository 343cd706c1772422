"""Wilson intervals against hand-computed values."""

from __future__ import annotations

import pytest

from rcan.common.stats import paired_comparison, wilson


def test_wilson_matches_reference_values() -> None:
    # 189/200: p = 0.945; the 95% Wilson interval computed by hand is [0.9042, 0.9690].
    rate = wilson(189, 200)
    assert rate.success == pytest.approx(0.945)
    assert rate.ci_low == pytest.approx(0.90421, abs=1e-4)
    assert rate.ci_high == pytest.approx(0.96901, abs=1e-4)


def test_wilson_edges_stay_inside_unit_interval() -> None:
    assert wilson(0, 10).ci_low == pytest.approx(0.0, abs=1e-12)
    assert 0 < wilson(0, 10).ci_high < 0.35
    assert wilson(10, 10).ci_high == pytest.approx(1.0)
    assert 0.65 < wilson(10, 10).ci_low < 1.0
    assert wilson(0, 0).episodes == 0


def test_paired_comparison_by_hand() -> None:
    even = paired_comparison("1100", "0111")
    # Disagreements: episode 0 (A only), 2 and 3 (B only); P(split at least 1:2) = 4/8, x2.
    assert (even.only_a, even.only_b, even.episodes) == (1, 2, 4)
    assert even.difference == pytest.approx(0.25)
    assert even.p_value == pytest.approx(1.0)
    lopsided = paired_comparison("0" * 10 + "1" * 5, "1" * 15)
    assert lopsided.p_value == pytest.approx(2 / 2**10)
    assert paired_comparison("101", "101").p_value == 1.0  # no disagreement, no evidence


def test_paired_comparison_refuses_unpaired_input() -> None:
    for a, b in (("10", "1"), ("", ""), ("1x", "10")):
        with pytest.raises(ValueError, match="equally long strings of 0/1"):
            paired_comparison(a, b)
