"""How many more votes separate the top two models, and whether to stop.

The decision is the interval of the difference of the top two ratings: it is made when the
interval at the chosen confidence excludes 0. Its standard error shrinks as 1/sqrt(n) with
the votes n (the votes keep their current spread over pairs), so at the current effect size
d and standard error se after n votes, the interval would exclude 0 after

    n' = n * (z * se / |d|)^2

votes in all, that is n' - n more. At d = 0 no number of votes separates them at the
current estimate: the estimate says "too close to call" (None). Pure arithmetic: no store.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist


def z_value(confidence: float) -> float:
    """The two-sided normal quantile: 1.96 at 0.95."""
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be between 0 and 1, got {confidence}")
    return NormalDist().inv_cdf(0.5 + confidence / 2.0)


@dataclass(frozen=True)
class Separation:
    """The top two models and how far their difference is from being decided."""

    first: str
    second: str
    difference: float  # rating points, first minus second
    se: float  # standard error of the difference
    votes: int  # the votes the estimate rests on
    confidence: float
    separated: bool  # the difference's interval excludes 0
    votes_needed: int | None  # more votes until it would (None: not at this effect size)

    @property
    def lower(self) -> float:
        return self.difference - z_value(self.confidence) * self.se

    @property
    def upper(self) -> float:
        return self.difference + z_value(self.confidence) * self.se


def votes_to_separate(
    difference: float, se: float, votes: int, *, confidence: float = 0.95
) -> int | None:
    """More votes until the interval of ``difference`` (standard error ``se`` after
    ``votes`` votes) excludes 0, scaling the standard error by sqrt(n / n'). 0 when it
    does already; None when the difference is 0 (or the inputs say nothing)."""
    z = z_value(confidence)
    if votes <= 0 or not math.isfinite(se) or se <= 0 or not math.isfinite(difference):
        return None
    if abs(difference) > z * se:
        return 0
    if difference == 0:
        return None
    total = votes * (z * se / abs(difference)) ** 2
    return max(math.ceil(total - 1e-9) - votes, 1)


def separation(
    first: str,
    second: str,
    difference: float,
    se: float,
    votes: int,
    *,
    confidence: float = 0.95,
) -> Separation:
    needed = votes_to_separate(difference, se, votes, confidence=confidence)
    return Separation(first, second, difference, se, votes, confidence, needed == 0, needed)
