"""Success rates with honest error bars."""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from typing import Any


@dataclass(frozen=True)
class SuccessRate:
    """A success rate with its 95% Wilson score interval."""

    success: float
    """Fraction of successful episodes."""
    ci_low: float
    """Lower end of the 95% interval."""
    ci_high: float
    """Upper end of the 95% interval."""
    episodes: int
    """Number of episodes."""

    def __str__(self) -> str:
        return (
            f"{self.success:.1%} [{self.ci_low:.1%}, {self.ci_high:.1%}] "
            f"over {self.episodes} episodes"
        )


RATE_KEYS: tuple[str, ...] = tuple(f.name for f in fields(SuccessRate))
"""The fields of a success rate in every results file: success, ci_low, ci_high, episodes."""


def rate_fields(result: dict[str, Any]) -> dict[str, Any]:
    """The RATE_KEYS of an evaluation result (or a curve point), typed, nothing else."""
    return {"success": float(result["success"]), "ci_low": float(result["ci_low"]),
            "ci_high": float(result["ci_high"]), "episodes": int(result["episodes"])}


def wilson(successes: int, episodes: int, z: float = 1.959964) -> SuccessRate:
    """Wilson score interval: unlike the normal approximation it stays inside [0, 1] and is
    sensible for rates near 0 or 1 and for small samples (Wilson 1927)."""
    if episodes <= 0:
        return SuccessRate(0.0, 0.0, 1.0, 0)
    p = successes / episodes
    denom = 1 + z * z / episodes
    centre = (p + z * z / (2 * episodes)) / denom
    half = z * math.sqrt(p * (1 - p) / episodes + z * z / (4 * episodes * episodes)) / denom
    return SuccessRate(p, max(0.0, centre - half), min(1.0, centre + half), episodes)


@dataclass(frozen=True)
class PairedComparison:
    """Two policies on the same episodes: where they disagree, and McNemar's exact test."""

    episodes: int
    """Episodes both played (the same ones)."""
    only_a: int
    """Episodes only policy A grasped."""
    only_b: int
    """Episodes only policy B grasped."""
    difference: float
    """Success of B minus success of A."""
    p_value: float
    """Two-sided exact McNemar p-value: the chance of a split of the disagreeing episodes at
    least this uneven if neither policy were better."""


def paired_comparison(a: str, b: str) -> PairedComparison:
    """Compare per-episode outcomes ("1" grasped, "0" not; one character per episode, the
    same episodes in the same order). Paired, the test sees only the episodes where the
    policies differ, so it detects gaps that two overlapping Wilson intervals cannot
    (McNemar 1947; the exact binomial form, fine for small counts)."""
    if len(a) != len(b) or not a or set(a + b) - {"0", "1"}:
        raise ValueError(f"paired outcomes must be equally long strings of 0/1, got lengths "
                         f"{len(a)} and {len(b)}")
    only_a = sum(x == "1" and y == "0" for x, y in zip(a, b, strict=True))
    only_b = sum(x == "0" and y == "1" for x, y in zip(a, b, strict=True))
    n, k = only_a + only_b, min(only_a, only_b)
    tail = sum(math.comb(n, i) for i in range(k + 1)) / 2**n if n else 1.0
    return PairedComparison(len(a), only_a, only_b, (only_b - only_a) / len(a),
                            min(1.0, 2 * tail))
