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


