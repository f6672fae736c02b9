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
from numpy.typing import ArrayLike, NDArray
from scipy.linalg import cho_factor, cho_solve
from scipy.special import ndtri

from . import _likelihood as lk
from .bradley_terry import BTFit
from .counts import FloatArray, IntArray, PairCounts

PROVISIONAL_MIN_VOTES = 300
"""A model with fewer (weighted) votes than this is provisional."""
PROVISIONAL_MAX_HALF_WIDTH = 50.0
"""A model whose 95% interval half-width exceeds this many rating points is provisional."""
MIN_INTERVAL_VOTES = 10
"""Below this many (weighted) votes a model gets no interval: "not enough votes".

On fewer votes a normal-approximation interval covers the truth 88-97% of the time
depending on ties and on how far apart the models are; from ten votes on it covers 93-97%
in every simulated case (``python benchmarks/calibration_sweep.py --small``).
"""


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


def tie_share(counts: PairCounts) -> float:
    """The board's share of ties, shrunk for small boards: ``(ties + 1/2) / (votes + 1)``,
    the posterior mean under Jeffreys' prior (over the Kish effective number of votes when
    weighted), and 0 on a board without ties.

    One tie vote alone then gives 0.75, not 1: a share of 1 would say that every vote is a
    tie, hence carries no information, and the model-based interval would collapse too.
    """
    c = counts.outcome_matrix()
    total = float(c.sum())
    ties = float(c[:, 2].sum())
    if total <= 0 or ties <= 0:
        return 0.0
    sq = float(counts.squared_matrix().sum())
    n_eff = total * total / sq if sq > 0 else total
    return (ties / total * n_eff + 0.5) / (n_eff + 1.0)


def model_meat(counts: PairCounts, fit: BTFit) -> FloatArray:
    """Expected score outer products under the fitted model (the "meat" it predicts).

    Half ties: per vote ``p(1 - p) - t/4`` with ties carved evenly out of both sides at the
    board's :func:`tie_share` ``t``; Davidson: its Fisher information. Without ties this is
    the information matrix, so the interval it gives is the classical inverse-Fisher one.
    """
    d = fit.theta[counts.a] - fit.theta[counts.b]
    if fit.tie_model == lk.DAVIDSON and fit.tie_param:
        expected = lk.expected_davidson_terms(d, math.log(fit.tie_param))
    else:
        expected = lk.expected_half_terms(d, tie_share(counts))
    columns = expected.score_d.shape[1]
    sq = np.repeat(counts.squared_matrix().sum(axis=1)[:, None], columns, axis=1)
    return lk.meat_from_products(
        counts.a, counts.b, lk.cell_products(sq, expected), counts.n_models
    )


def _sandwich(
    counts: PairCounts, fit: BTFit, factor: tuple[FloatArray, bool], meat: FloatArray
) -> FloatArray:
    n = counts.n_models
    cov = cho_solve(factor, cho_solve(factor, meat).T)
    cov = 0.5 * (cov + cov.T)
    unit = fit.scale / math.log(fit.base)
    return np.asarray(cov[:n, :n] * unit * unit, dtype=np.float64)


def sandwich_covariance(counts: PairCounts, fit: BTFit, *, floor: bool = True) -> FloatArray:
    """Sandwich covariance of the ratings in squared rating points, shape (n, n).

    Centred gauge (sum of ratings fixed) unless the fit was anchored, in which case it is
    the covariance of ``R_i - R_anchor`` (the same matrix, re-expressed).

    Never narrower than the model allows: the empirical sum of score products is right in
    expectation but, with a few votes, can be far too small (one tie vote between equal
    models has score 0, hence variance 0). Each model's variance is therefore at least its
    model-based variance (:func:`model_meat` in the sandwich), added on the diagonal; with
    many votes the two agree and the empirical one keeps the estimator robust when the
    model is wrong. ``floor=False`` gives the plain sandwich, for comparison only.
    """
    terms = cell_terms(counts, fit)
    factor = cho_factor(fitted_information(counts, fit))
    empirical = lk.score_outer(counts.a, counts.b, counts.squared_matrix(), terms, counts.n_models)
    cov = _sandwich(counts, fit, factor, empirical)
    if not floor:
        return _gauge(cov, fit.anchor)
    model = _sandwich(counts, fit, factor, model_meat(counts, fit))
    extra = np.clip(np.diag(model) - np.diag(cov), 0.0, None)
    return _gauge(cov + np.diag(extra), fit.anchor)


def intervals_from_se(ratings: FloatArray, se: FloatArray, level: float, method: str) -> Intervals:
    z = z_value(level)
    return Intervals(
        lower=ratings - z * se, upper=ratings + z * se, se=se, level=level, method=method
    )


def sandwich_intervals(
    counts: PairCounts, fit: BTFit, level: float = 0.95, *, floor: bool = True
) -> Intervals:
    """Normal-approximation intervals from the sandwich covariance (the default)."""
    cov = sandwich_covariance(counts, fit, floor=floor)
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


def has_interval(votes: ArrayLike) -> NDArray[np.bool_]:
    """Whether a model has enough votes for its interval to be shown (``MIN_INTERVAL_VOTES``)."""
    return np.asarray(np.asarray(votes, dtype=np.float64) >= MIN_INTERVAL_VOTES, dtype=bool)


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
