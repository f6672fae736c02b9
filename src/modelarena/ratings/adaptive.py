"""Adaptive pair sampling: spend the next vote where it shrinks intervals the most.

One more vote between i and j adds Fisher information ``q_ij = p(1 - p)`` to both models,
which shrinks model i's standard error by about ``se_i^3 * q_ij / 2`` (from
``se' = (1/se^2 + q)^-1/2``). The sampler works in two stages, like deployed arenas:

1. pick the first model with probability proportional to ``boost_i * se_i^3``, the rate at
   which a vote shrinks its interval. Wide intervals (new models) get most of the votes;
   ``boost = new_model_boost`` while the model is provisional (fewer than
   ``provisional_votes`` votes or a 95% half-width above ``PROVISIONAL_MAX_HALF_WIDTH``);
2. pick its opponent with probability proportional to ``E[q_ij]``: the most informative
   opponents are the neighbours of its current estimate. ``E[q_ij]`` averages p(1 - p)
   over the uncertainty of the rating difference (probit approximation
   ``k * s'(k d)``, ``k = 1/sqrt(1 + pi var_d / 8)``), so a model with a wide interval
   explores broadly and narrows onto its neighbours as its interval shrinks.

The pair probability is the sum over both orders. Working per model rather than per pair
matters: a per-pair rule would spread a new model's share over the n^2/2 pairs of the
established models. Finally ``floor`` of the mass is spread uniformly over all allowed pairs
so every pair keeps a probability > 0 and inverse-probability weighting stays unbiased.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike
from scipy.special import expit

from .counts import FloatArray
from .intervals import PROVISIONAL_MAX_HALF_WIDTH

UNKNOWN_SE_POINTS = 350.0
"""Standard error assumed for a model with no usable estimate (about the spread of a board)."""


def adaptive_pair_probabilities(
    ratings: ArrayLike,
    cov_or_se: ArrayLike,
    votes_per_model: ArrayLike,
    *,
    active: ArrayLike | None = None,
    new_model_boost: float = 5.0,
    provisional_votes: float = 300.0,
    floor: float = 0.05,
    scale: float = 400.0,
    base: float = 10.0,
) -> FloatArray:
    """Symmetric (n, n) pair-sampling probabilities; the entries with i < j sum to 1.

    ``cov_or_se`` is either the (n, n) rating covariance (e.g. ``sandwich_covariance``) or
    the (n,) standard errors, in rating points. NaN ratings or standard errors (a model
    without votes yet) are treated as unknown: placed at the board's mean with a standard
    error of ``UNKNOWN_SE_POINTS``. ``active`` is a boolean mask; inactive models get
    probability 0. Every pair of active models gets at least ``floor / n_pairs``.
    """
    r = np.asarray(ratings, dtype=np.float64)
    n = r.size
    unc = np.asarray(cov_or_se, dtype=np.float64)
    votes = np.asarray(votes_per_model, dtype=np.float64)
    if votes.shape != (n,):
        raise ValueError("votes_per_model must have one entry per model")
    mask = np.ones(n, dtype=bool) if active is None else np.asarray(active, dtype=bool)
    if mask.shape != (n,):
        raise ValueError("active must have one entry per model")
    if not 0.0 < floor <= 1.0:
        raise ValueError("floor must lie in (0, 1]")
    if new_model_boost <= 0:
        raise ValueError("new_model_boost must be positive")
    idx = np.flatnonzero(mask)
    if idx.size < 2:
        raise ValueError("need at least two active models to form a pair")
    unit = math.log(base) / scale
    if unc.ndim == 2:
        if unc.shape != (n, n):
            raise ValueError("covariance must have shape (n, n)")
        var = np.diag(unc).copy()
        cov = unc
    elif unc.shape == (n,):
        var = unc * unc
        cov = None
    else:
        raise ValueError("cov_or_se must have shape (n,) or (n, n)")
    unknown = ~np.isfinite(r) | ~np.isfinite(var) | (var < 0)
    var = np.where(unknown, UNKNOWN_SE_POINTS**2, var) * unit * unit
    known_mean = float(r[mask & ~unknown].mean()) if np.any(mask & ~unknown) else 0.0
    theta = np.where(unknown, known_mean, r) * unit

    ii, jj = np.triu_indices(idx.size, 1)
    i, j = idx[ii], idx[jj]
    var_d = var[i] + var[j]
    if cov is not None:
        cross = cov[i, j] * unit * unit
        var_d = np.where(unknown[i] | unknown[j] | ~np.isfinite(cross), var_d, var_d - 2 * cross)
    var_d = np.clip(var_d, 0.0, None)
    kappa = 1.0 / np.sqrt(1.0 + math.pi * var_d / 8.0)
    s = expit(kappa * (theta[i] - theta[j]))
    q = kappa * s * (1.0 - s)
    se = np.sqrt(var)
    provisional = (votes < provisional_votes) | (
        1.959963984540054 * se / unit > PROVISIONAL_MAX_HALF_WIDTH
    )
    need = np.where(mask, se**3 * np.where(provisional, new_model_boost, 1.0), 0.0)
    first = need / need.sum()
    # opponent choice: P(j | i) proportional to E[q_ij] among active models
    q_row = np.bincount(i, q, n) + np.bincount(j, q, n)
    with np.errstate(invalid="ignore", divide="ignore"):
        given_i = np.where(q_row[i] > 0, q / q_row[i], 0.0)
        given_j = np.where(q_row[j] > 0, q / q_row[j], 0.0)
    share = first[i] * given_i + first[j] * given_j
    total = float(share.sum())
    if not (total > 0 and math.isfinite(total)):
        share = np.full(i.size, 1.0)
        total = float(i.size)
    prob = (1.0 - floor) * share / total + floor / i.size
    prob /= prob.sum()
    out = np.zeros((n, n))
    out[i, j] = prob
    out[j, i] = prob
    return out
