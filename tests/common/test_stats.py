"""Wilson intervals against hand-computed values."""

from __future__ import annotations

import pytest

from rcan.common.stats import wilson


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
