"""Proportions and agreement with honest intervals: a rate with its Wilson interval, Cohen's
kappa with a bootstrap interval. Pure functions, shared by the judge, audits and benchmarks."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

Z95 = 1.959963984540054


@dataclass(frozen=True)
class Figure:
    """An estimate with a 95% interval; ``value`` None when there is no data."""

    value: float | None
    lower: float | None
    upper: float | None
    n: int
    method: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def wilson(successes: float, n: int, z: float = Z95) -> Figure:
    """A proportion with its Wilson score interval (ties may count as half successes)."""
    if n <= 0:
        return Figure(None, None, None, 0, "Wilson")
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return Figure(p, max(0.0, centre - half), min(1.0, centre + half), n, "Wilson")


def confusion(
    x: Sequence[int] | np.ndarray, y: Sequence[int] | np.ndarray, k: int = 3
) -> np.ndarray:
    m = np.zeros((k, k), dtype=np.int64)
    np.add.at(m, (np.asarray(x, dtype=np.int64), np.asarray(y, dtype=np.int64)), 1)
    return m


def cohen_kappa(
    x: Sequence[int] | np.ndarray, y: Sequence[int] | np.ndarray, k: int = 3
) -> float | None:
    """Cohen's kappa of two raters over ``k`` classes; None when it is undefined."""
    if len(x) == 0:
        return None
    m = confusion(x, y, k).astype(np.float64)
    n = m.sum()
    observed = np.trace(m) / n
    expected = float((m.sum(axis=1) / n) @ (m.sum(axis=0) / n))
    if expected >= 1.0:  # both raters used one and the same class throughout
        return None
    return float((observed - expected) / (1.0 - expected))


def bootstrap(
    statistic: Callable[[np.ndarray], float | None],
    n: int,
    *,
    rounds: int = 1000,
    seed: int = 0,
    level: float = 0.95,
) -> tuple[float | None, float | None]:
    """Percentile interval of ``statistic(indices)`` over resamples of ``range(n)``."""
    if n == 0:
        return None, None
    rng = np.random.default_rng(seed)
    values = []
    for _ in range(rounds):
        v = statistic(rng.integers(0, n, size=n))
        if v is not None and math.isfinite(v):
            values.append(v)
    if not values:
        return None, None
    tail = (1 - level) / 2 * 100
    lo, hi = np.percentile(values, [tail, 100 - tail])
    return float(lo), float(hi)


def kappa_figure(
    x: Sequence[int], y: Sequence[int], *, k: int = 3, rounds: int = 1000, unit: str = "battles"
) -> Figure:
    """Cohen's kappa with a bootstrap interval over the rated items."""
    xa, ya = np.asarray(x, dtype=np.int64), np.asarray(y, dtype=np.int64)
    value = cohen_kappa(xa, ya, k)
    lo, hi = bootstrap(lambda idx: cohen_kappa(xa[idx], ya[idx], k), len(xa), rounds=rounds)
    return Figure(value, lo, hi, len(xa), f"bootstrap over {unit}")


# ---------------------------------------------------------------- comparing two proportions


@dataclass(frozen=True)
class McNemar:
    """McNemar's test of two paired yes/no outcomes on the same items.

    ``b``: items where the first is yes and the second no; ``c``: the reverse. Only the
    discordant pairs carry information; under the null each is a fair coin."""

    b: int
    c: int
    p_exact: float  # two-sided exact binomial p-value
    p_mid: float  # two-sided mid-p (exact minus half the probability of the observed)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _binom_half_cdf(k: int, n: int) -> float:
    """P(X <= k) for X ~ Binomial(n, 1/2), exactly."""
    return sum(math.comb(n, i) for i in range(k + 1)) / (1 << n)


def mcnemar(b: int, c: int) -> McNemar:
    """McNemar's exact test and its mid-p variant (Fagerland, Lydersen & Laake 2013
    recommend the mid-p: the exact test is conservative). No discordant pairs: p = 1."""
    if b < 0 or c < 0:
        raise ValueError("discordant counts cannot be negative")
    n = b + c
    if n == 0:
        return McNemar(b, c, 1.0, 1.0)
    k = min(b, c)
    tail = _binom_half_cdf(k, n)
    point = math.comb(n, k) / (1 << n)
    exact = min(1.0, 2 * tail)
    mid = min(1.0, 2 * (tail - 0.5 * point))
    return McNemar(b, c, exact, mid)


def paired_difference(a: int, b: int, c: int, d: int, z: float = Z95) -> Figure:
    """p1 - p2 for paired yes/no outcomes, with Newcombe's hybrid score interval for paired
    data (Newcombe 1998b, method 10: Wilson limits of each margin combined with the phi
    correlation, without continuity correction).

    The 2x2 table counts items: ``a`` yes/yes, ``b`` yes/no, ``c`` no/yes, ``d`` no/no
    (first outcome, second outcome)."""
    n = a + b + c + d
    if n <= 0:
        return Figure(None, None, None, 0, "Newcombe paired (method 10)")
    p1, p2 = (a + b) / n, (a + c) / n
    w1, w2 = wilson(a + b, n, z), wilson(a + c, n, z)
    assert w1.lower is not None and w1.upper is not None
    assert w2.lower is not None and w2.upper is not None
    denom = (a + b) * (c + d) * (a + c) * (b + d)
    phi = (a * d - b * c) / math.sqrt(denom) if denom > 0 else 0.0
    dl1, du1 = p1 - w1.lower, w1.upper - p1
    dl2, du2 = p2 - w2.lower, w2.upper - p2
    delta = math.sqrt(max(0.0, dl1 * dl1 - 2 * phi * dl1 * du2 + du2 * du2))
    epsilon = math.sqrt(max(0.0, du1 * du1 - 2 * phi * du1 * dl2 + dl2 * dl2))
    diff = p1 - p2
    return Figure(
        diff, max(-1.0, diff - delta), min(1.0, diff + epsilon), n, "Newcombe paired (method 10)"
    )


def difference(x1: int, n1: int, x2: int, n2: int, z: float = Z95) -> Figure:
    """p1 - p2 of two independent proportions with Newcombe's hybrid score interval
    (Newcombe 1998a, method 10: from the two Wilson intervals). ``n`` is n1 + n2."""
    if n1 <= 0 or n2 <= 0:
        return Figure(None, None, None, max(0, n1) + max(0, n2), "Newcombe")
    w1, w2 = wilson(x1, n1, z), wilson(x2, n2, z)
    assert w1.value is not None and w1.lower is not None and w1.upper is not None
    assert w2.value is not None and w2.lower is not None and w2.upper is not None
    diff = w1.value - w2.value
    lower = diff - math.sqrt((w1.value - w1.lower) ** 2 + (w2.upper - w2.value) ** 2)
    upper = diff + math.sqrt((w1.upper - w1.value) ** 2 + (w2.value - w2.lower) ** 2)
    return Figure(diff, max(-1.0, lower), min(1.0, upper), n1 + n2, "Newcombe")


def ratio(x1: int, n1: int, x2: int, n2: int, z: float = Z95) -> Figure:
    """p1 / p2 with the Katz log interval. Undefined (all None) when either count is zero
    or both proportions are 1: a ratio such as "12 times as often" is then not reported.

    On paired data (both models on the same prompts) the outcomes are usually positively
    correlated, and this independent-samples interval is then wider than needed
    (conservative)."""
    method = "Katz log"
    # zero counts: no ratio; both proportions 1: a zero-width interval, false certainty
    if n1 <= 0 or n2 <= 0 or x1 <= 0 or x2 <= 0 or (x1 >= n1 and x2 >= n2):
        return Figure(None, None, None, max(0, n1) + max(0, n2), method)
    value = (x1 / n1) / (x2 / n2)
    se = math.sqrt(1 / x1 - 1 / n1 + 1 / x2 - 1 / n2)
    return Figure(value, value * math.exp(-z * se), value * math.exp(z * se), n1 + n2, method)


@dataclass(frozen=True)
class CochranQ:
    """Cochran's Q test that k >= 2 paired yes/no outcomes share one rate (McNemar's test
    generalised to more than two models); ``n`` counts the units every model answered."""

    q: float
    df: int
    p: float
    n: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def cochran_q(table: Sequence[Sequence[int]] | np.ndarray) -> CochranQ:
    """Cochran's Q over a units x models table of outcomes (1 yes, 0 no), against
    chi-square with k - 1 degrees of freedom. A unit answered alike by all models carries
    no information; when every unit is, Q is 0 and p is 1."""
    from scipy.stats import chi2

    x = np.asarray(table, dtype=np.int64)
    if x.ndim != 2 or x.shape[1] < 2:
        raise ValueError("Cochran's Q needs a units x models table with two models or more")
    n, k = x.shape
    columns, rows = x.sum(axis=0), x.sum(axis=1)
    total = int(rows.sum())
    denominator = k * total - int((rows * rows).sum())
    if n == 0 or denominator == 0:
        return CochranQ(0.0, k - 1, 1.0, int(n))
    q = (k - 1) * (k * int((columns * columns).sum()) - total * total) / denominator
    return CochranQ(float(q), k - 1, float(chi2.sf(q, k - 1)), int(n))
