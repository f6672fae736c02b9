"""Confidence intervals for ratings: the sandwich estimator, rank bounds, provisional rule.

The sandwich (robust) covariance ``H^-1 S H^-1`` uses the Hessian H of the log-likelihood
and S, the sum over votes of score outer products. Because every vote in one cell-outcome
(pair, outcome) has the same score, S is exact for independent votes and costs O(K + n^2).
Unlike the inverse Hessian alone it stays honest when the model is wrong (ties counted as
half a win are not a true likelihood) and when votes carry inverse-probability weights.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.linalg import cho_factor, cho_solve
from scipy.special import ndtri

from . import _likelihood as lk
from .bradley_terry import BTFit
from .counts import FloatArray, IntArray, PairCounts

PROVISIONAL_MIN_VOTES = 300
"""A model with fewer (weighted) votes than this is provisional."""
PROVISIONAL_MAX_HALF_WIDTH = 50.0
"""A model whose 95% interval half-width exceeds this many rating points is provisional."""


@dataclass(frozen=True, eq=False)  # holds arrays: compare by identity
class Intervals:
    """Two-sided intervals per model, on the rating scale."""

    lower: FloatArray
    upper: FloatArray
    se: FloatArray
    level: float
    method: str


def z_value(level: float) -> float:
    if not 0.0 < level < 1.0:
        raise ValueError("level must lie strictly between 0 and 1")
    # ndtri is the normal quantile; scipy.stats would cost ~0.5 s of import per command
    return float(ndtri(0.5 + 0.5 * level))


def cell_terms(counts: PairCounts, fit: BTFit) -> lk.CellTerms:
    """Per-cell scores and curvature at the fitted ratings."""
    theta = fit.theta
    d = theta[counts.a] - theta[counts.b]
    if fit.tie_model == lk.DAVIDSON and fit.tie_param:
        return lk.davidson_terms(d, math.log(fit.tie_param))
    return lk.half_terms(d)


def fitted_information(counts: PairCounts, fit: BTFit) -> FloatArray:
    """Gauge-fixed information matrix (minus the penalised Hessian) at the fit."""
    terms = cell_terms(counts, fit)
    n_votes = counts.outcome_matrix().sum(axis=1)
    info = lk.information(counts.a, counts.b, n_votes, terms, counts.n_models)
    return lk.add_gauge(info, counts.n_models, fit.ridge)


def _gauge(cov: FloatArray, anchor: tuple[int, float] | None) -> FloatArray:
    """Re-express a centred covariance relative to an anchor model (its se becomes 0)."""
    if anchor is None:
        return cov
    k = anchor[0]
    col = cov[:, k]
    return np.asarray(cov - col[:, None] - col[None, :] + float(cov[k, k]), dtype=np.float64)


def sandwich_covariance(counts: PairCounts, fit: BTFit) -> FloatArray:
    """Sandwich covariance of the ratings in squared rating points, shape (n, n).

    Centred gauge (sum of ratings fixed) unless the fit was anchored, in which case it is
    the covariance of ``R_i - R_anchor``.
    """
    n = counts.n_models
    terms = cell_terms(counts, fit)
    bread = fitted_information(counts, fit)
    meat = lk.score_outer(counts.a, counts.b, counts.squared_matrix(), terms, n)
    factor = cho_factor(bread)
    half = cho_solve(factor, meat)
    cov = cho_solve(factor, half.T)
    cov = 0.5 * (cov + cov.T)
    unit = fit.scale / math.log(fit.base)
    return _gauge(cov[:n, :n] * unit * unit, fit.anchor)


def intervals_from_se(ratings: FloatArray, se: FloatArray, level: float, method: str) -> Intervals:
    z = z_value(level)
    return Intervals(
        lower=ratings - z * se, upper=ratings + z * se, se=se, level=level, method=method
    )


def sandwich_intervals(counts: PairCounts, fit: BTFit, level: float = 0.95) -> Intervals:
    """Normal-approximation intervals from the sandwich covariance (the default)."""
    cov = sandwich_covariance(counts, fit)
    se = np.sqrt(np.clip(np.diag(cov), 0.0, None))
    return intervals_from_se(fit.ratings, se, level, "sandwich")


def rank_bounds(ratings: FloatArray, lower: FloatArray, upper: FloatArray) -> IntArray:
    """Displayed rank: 1 + number of models whose lower bound exceeds this model's upper.

    A model is only ranked below another once their intervals separate, so tied models
    share a rank. ``ratings`` is accepted for symmetry with the other helpers (unused).
    """
    del ratings
    lows = np.sort(np.asarray(lower, dtype=np.float64))
    above = lows.size - np.searchsorted(lows, np.asarray(upper, dtype=np.float64), side="right")
    return (1 + above).astype(np.int64)


def is_provisional(lower: FloatArray, upper: FloatArray, votes: FloatArray) -> NDArray[np.bool_]:
    """Provisional while the 95% half-width exceeds 50 points or votes are fewer than 300.

    ``lower``/``upper`` should be 95% intervals. 300 votes against even opponents give a
    half-width of about +-39 points (SE ~ 347/sqrt(n)); the width rule catches models whose
    votes were spent on lopsided pairs.
    """
    half = 0.5 * (np.asarray(upper) - np.asarray(lower))
    bad = ~np.isfinite(half)
    return np.asarray(
        bad | (half > PROVISIONAL_MAX_HALF_WIDTH) | (np.asarray(votes) < PROVISIONAL_MIN_VOTES),
        dtype=bool,
    )
