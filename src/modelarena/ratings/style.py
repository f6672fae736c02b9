"""Style control: Bradley-Terry with per-battle formatting covariates.

Voters like long, well-formatted answers. To separate "liked for content" from "liked for
formatting" we fit, per vote,

    logit P(A beats B) = theta_A - theta_B + f . beta

where ``f`` holds style differences between the two answers (length, headers, lists, bold),
each as (a - b) / (a + b + 1) and z-scored over the battles. ``beta`` is in log-odds per
standard deviation of the feature; an L2 penalty ``l2/2 * |beta|^2`` keeps it stable when
features are collinear or rare. The ratings are then "what the model would score if both
answers were formatted alike". Features are continuous, so unlike the plain fit this works
per vote; the Hessian is still assembled with ``np.bincount`` in O(N * F + n^2).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy.linalg import cho_factor, cho_solve
from scipy.special import expit, log_expit

from . import _likelihood as lk
from .bradley_terry import SEPARATION_RIDGE, check_fittable, newton, to_ratings
from .counts import OUTCOME_A, OUTCOME_TIE, FloatArray, aggregate
from .graph import mle_is_finite
from .intervals import Intervals, intervals_from_se, tie_share

STYLE_FEATURES = ("length", "headers", "lists", "bold")


@dataclass(frozen=True, eq=False)  # holds arrays: compare by identity
class StyleFit:
    """Style-controlled ratings and the fitted style coefficients.

    ``coefficients`` are log-odds per standard deviation of each feature (positive: voters
    prefer the answer with more of it); ``coefficient_se`` their sandwich standard errors.
    """

    ratings: FloatArray
    coefficients: FloatArray
    feature_names: tuple[str, ...]
    intervals: Intervals
    coefficient_se: FloatArray | None = None


def style_features(a_stats: ArrayLike, b_stats: ArrayLike) -> FloatArray:
    """Normalised style differences, shape (N, F).

    ``a_stats``/``b_stats`` are (N, F) raw per-answer counts, e.g. [tokens, headers, lists,
    bold]. Each column becomes (a - b) / (a + b + 1), bounded in (-1, 1) so a 10k-token
    answer does not dominate, then is z-scored (minus its mean, divided by its standard
    deviation over the N battles; a constant column is left at zero) so coefficients are
    comparable across features.
    """
    a = np.asarray(a_stats, dtype=np.float64)
    b = np.asarray(b_stats, dtype=np.float64)
    if a.shape != b.shape or a.ndim != 2:
        raise ValueError("a_stats and b_stats must both have shape (N, F)")
    if np.any(a < 0) or np.any(b < 0):
        raise ValueError("style counts must be non-negative")
    raw = (a - b) / (a + b + 1.0)
    if raw.shape[0] == 0:
        return raw
    centred = raw - raw.mean(axis=0)
    sd = raw.std(axis=0)
    return np.asarray(centred / np.where(sd > 0, sd, 1.0), dtype=np.float64)


def fit_style_controlled(
    model_a: ArrayLike,
    model_b: ArrayLike,
    outcome: ArrayLike,
    features: ArrayLike,
    n_models: int,
    *,
    l2: float = 1.0,
    weights: ArrayLike | None = None,
    feature_names: tuple[str, ...] = STYLE_FEATURES,
    mean: float = 1000.0,
    scale: float = 400.0,
    base: float = 10.0,
    level: float = 0.95,
    tol: float = 1e-10,
    max_iter: int = 100,
) -> StyleFit:
    """Fit ratings and style coefficients jointly; ties count half a win.

    ``features`` is (N, F), normally from ``style_features``. ``l2`` penalises beta only
    (in summed log-likelihood units, so it matters less as votes grow). The ratings get the
    separation ridge of ``fit_bradley_terry`` only when the plain MLE would be infinite.
    Intervals are sandwich intervals for the ratings.
    """
    a = np.asarray(model_a, dtype=np.int64)
    b = np.asarray(model_b, dtype=np.int64)
    out = np.asarray(outcome, dtype=np.int64)
    f = np.asarray(features, dtype=np.float64)
    if f.ndim != 2 or f.shape[0] != a.shape[0]:
        raise ValueError("features must have shape (N, F) with one row per vote")
    if len(feature_names) != f.shape[1]:
        raise ValueError("feature_names must name every feature column")
    if l2 < 0:
        raise ValueError("l2 must be non-negative")
    counts = aggregate(a, b, out, n_models, weights)
    check_fittable(counts)
    ridge = 0.0 if mle_is_finite(counts) else SEPARATION_RIDGE
    w = np.ones(a.size) if weights is None else np.asarray(weights, dtype=np.float64)
    y = np.where(out == OUTCOME_A, 1.0, np.where(out >= OUTCOME_TIE, 0.5, 0.0))
    n, k = n_models, f.shape[1]

    def split(x: FloatArray) -> tuple[FloatArray, FloatArray]:
        return x[:n], x[n:]

    def logit(x: FloatArray) -> FloatArray:
        theta, beta = split(x)
        return theta[a] - theta[b] + f @ beta

    def objective(x: FloatArray) -> float:
        theta, beta = split(x)
        z = logit(x)
        ll = float(w @ (y * log_expit(z) + (1.0 - y) * log_expit(-z)))
        return ll - 0.5 * l2 * float(beta @ beta) - 0.5 * ridge * float(theta @ theta)

    def curvature(weight: FloatArray) -> FloatArray:
        mat = np.empty((n + k, n + k))
        mat[:n, :n] = lk.laplacian(a, b, weight, n)
        cross = np.stack([lk.scatter(a, b, weight * f[:, m], n) for m in range(k)], axis=1)
        mat[:n, n:] = cross
        mat[n:, :n] = cross.T
        mat[n:, n:] = f.T @ (weight[:, None] * f)
        return mat

    def derivatives(x: FloatArray) -> tuple[FloatArray, FloatArray]:
        theta, beta = split(x)
        p = expit(logit(x))
        resid = w * (y - p)
        grad = np.concatenate([lk.scatter(a, b, resid, n) - ridge * theta, f.T @ resid - l2 * beta])
        info = lk.add_gauge(curvature(w * p * (1.0 - p)), n, ridge)
        info[n:, n:] += l2 * np.eye(k)
        return grad, info

    x, _, _ = newton(np.zeros(n + k), objective, derivatives, tol=tol, max_iter=max_iter)
    x[:n] -= x[:n].mean()
    _, bread = derivatives(x)
    p = expit(logit(x))
    meat = curvature(w * w * (y - p) ** 2)
    factor = cho_factor(bread)
    cov = cho_solve(factor, cho_solve(factor, meat).T)
    # never narrower than the model-based variance (see intervals.sandwich_covariance)
    t = np.minimum(tie_share(counts), 2.0 * np.minimum(p, 1.0 - p))
    expected = curvature(w * w * np.clip(p * (1.0 - p) - 0.25 * t, 0.0, None))
    floor = cho_solve(factor, cho_solve(factor, expected).T)
    var = np.clip(np.maximum(np.diag(cov), np.diag(floor)), 0.0, None)
    unit = scale / math.log(base)
    theta, beta = split(x)
    ratings = to_ratings(theta, anchor=None, mean=mean, scale=scale, base=base)
    return StyleFit(
        ratings=ratings,
        coefficients=beta.copy(),
        feature_names=tuple(feature_names),
        intervals=intervals_from_se(ratings, np.sqrt(var[:n]) * unit, level, "sandwich"),
        coefficient_se=np.sqrt(var[n:]),
    )
