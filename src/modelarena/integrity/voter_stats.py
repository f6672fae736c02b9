"""The per-voter tests behind the anomaly scan, on arrays (no store, no I/O).

See :mod:`modelarena.integrity.anomaly` for what they test and why. Everything is computed
for every voter at once with ``np.bincount`` over the votes, never a Python loop over votes,
so a scan of a million votes takes about a second.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray
from scipy.special import erfc, expit, log_expit
from scipy.stats import chi2

from modelarena.ratings import aggregate, fit_connected

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

ALPHA = 1e-4
"""Default threshold on the voter's Bonferroni-corrected p-value."""
MIN_VOTES = 10
"""Voters with fewer scanned votes are not tested (too little evidence either way)."""
MAX_SHIFT = math.log(10.0) * 2.0
"""Largest favour shift fitted, in natural-log units (800 rating points)."""
_LN10_400 = math.log(10.0) / 400.0

Method = Literal["lrt", "fisher", "both"]


@dataclass(frozen=True)
class VoterTests:
    """Per-voter results, indexed like the voter ids passed in."""

    votes: IntArray
    p_value: FloatArray  # likelihood-ratio test, Bonferroni-corrected, in [0, 1]
    favoured: IntArray  # model index of the strongest favour effect (-1 if none)
    shift: FloatArray  # its fitted delta, in rating points (+ favours, - disfavours)
    beta: FloatArray  # fitted temperature (1 = like the population)
    fisher_p: FloatArray  # Fisher's method on per-vote p-values vs the pair's history
    favour: NDArray[np.bool_]  # the favour test gave ``p_value`` (else the temperature test)


SCREEN = 5.0
"""Score statistics below this skip the exact likelihood ratio (their p is the score test's).

The likelihood ratio is at most about twice the score statistic for these one-parameter
alternatives, and the smallest ratio that can flag anyone is far above ``2 * SCREEN``."""


def _chi2_sf1(x: FloatArray) -> FloatArray:
    """Upper tail of chi-square with one degree of freedom (fast, vectorised)."""
    return np.asarray(erfc(np.sqrt(np.maximum(x, 0.0) / 2.0)), dtype=np.float64)


def _loglik(x: FloatArray, s: FloatArray) -> FloatArray:
    return np.asarray(s * log_expit(x) + (1.0 - s) * log_expit(-x), dtype=np.float64)


def _group_ids(keys: IntArray, n_keys: int) -> tuple[IntArray, IntArray]:
    """Compact group ids for ``keys`` in [0, n_keys): (distinct keys, group of each entry)."""
    if n_keys <= 50_000_000:
        present = np.bincount(keys, minlength=n_keys) > 0
        distinct = np.flatnonzero(present).astype(np.int64)
        lookup = np.cumsum(present) - 1
        return distinct, lookup[keys].astype(np.int64)
    distinct, group = np.unique(keys, return_inverse=True)
    return distinct.astype(np.int64), group.astype(np.int64)


def _bisect(
    gradient: Callable[[FloatArray], NDArray[Any]], size: int, low: float, high: float
) -> FloatArray:
    """Per group, the maximiser in [low, high] of a concave function, from its gradient.

    The gradient is decreasing, so bisection on its sign converges for every group at once
    (Newton steps can oscillate when the maximum sits at a bound).
    """
    lo = np.full(size, low)
    hi = np.full(size, high)
    for _ in range(45):
        mid = 0.5 * (lo + hi)
        up = gradient(mid) > 0
        lo = np.where(up, mid, lo)
        hi = np.where(up, hi, mid)
    return np.asarray(0.5 * (lo + hi), dtype=np.float64)


def _shift_lrt(
    group: IntArray, x: FloatArray, s: FloatArray, n_groups: int, cap: float
) -> tuple[FloatArray, FloatArray]:
    """Per group, the fitted shift ``delta`` of the logit and the LR statistic for it.

    Model: P(score) = sigmoid(x + delta). Groups whose score statistic is below ``SCREEN``
    get the score statistic and a one-step estimate instead of the exact fit.
    """
    p0 = expit(x)
    u = np.bincount(group, s - p0, n_groups)
    info = np.bincount(group, p0 * (1.0 - p0), n_groups)
    stat = u * u / np.maximum(info, 1e-12)
    delta = np.clip(u / np.maximum(info, 1e-12), -cap, cap)
    big = np.flatnonzero(stat >= SCREEN)
    if big.size:
        remap = -np.ones(n_groups, dtype=np.int64)
        remap[big] = np.arange(big.size)
        sel = remap[group] >= 0
        g, xs, ss = remap[group[sel]], x[sel], s[sel]
        d = _bisect(lambda t: np.bincount(g, ss - expit(xs + t[g]), big.size), big.size, -cap, cap)
        gain = np.bincount(g, _loglik(xs + d[g], ss) - _loglik(xs, ss), big.size)
        stat[big] = np.maximum(2.0 * gain, 0.0)
        delta[big] = d
    return delta, stat


def _favour_tests(
    voter: IntArray,
    a: IntArray,
    b: IntArray,
    d: FloatArray,
    y: FloatArray,
    n_voters: int,
    n_models: int,
) -> tuple[FloatArray, IntArray, FloatArray, IntArray]:
    """Per voter: smallest favour-test p, its model, its shift, and the models tested."""
    # Each vote enters twice, once from each model's point of view.
    keys, group = _group_ids(
        np.concatenate([voter * n_models + a, voter * n_models + b]), n_voters * n_models
    )
    x = np.concatenate([d, -d])
    s = np.concatenate([y, 1.0 - y])
    delta, stat = _shift_lrt(group, x, s, keys.size, MAX_SHIFT)
    owner = keys // n_models
    # the group with the largest statistic for each voter
    best_stat = np.zeros(n_voters)
    np.maximum.at(best_stat, owner, stat)
    is_best = stat >= best_stat[owner]
    best_model = -np.ones(n_voters, dtype=np.int64)
    best_shift = np.zeros(n_voters)
    best_model[owner[is_best]] = keys[is_best] % n_models
    best_shift[owner[is_best]] = delta[is_best] / _LN10_400
    tested = np.bincount(owner, minlength=n_voters).astype(np.int64)
    return _chi2_sf1(best_stat), best_model, best_shift, tested


def _temperature_tests(
    voter: IntArray, d: FloatArray, y: FloatArray, n_voters: int
) -> tuple[FloatArray, FloatArray]:
    """Per voter: p of the temperature test, and the fitted temperature ``beta``."""
    p0 = expit(d)
    u = np.bincount(voter, (y - p0) * d, n_voters)
    info = np.bincount(voter, p0 * (1.0 - p0) * d * d, n_voters)
    stat = u * u / np.maximum(info, 1e-12)
    beta = 1.0 + np.clip(u / np.maximum(info, 1e-12), -4.0, 2.0)
    big = np.flatnonzero(stat >= SCREEN)
    if big.size:
        remap = -np.ones(n_voters, dtype=np.int64)
        remap[big] = np.arange(big.size)
        sel = remap[voter] >= 0
        g, ds, ys = remap[voter[sel]], d[sel], y[sel]
        bt = _bisect(
            lambda t: np.bincount(g, (ys - expit(t[g] * ds)) * ds, big.size), big.size, -3.0, 3.0
        )
        gain = np.bincount(g, _loglik(bt[g] * ds, ys) - _loglik(ds, ys), big.size)
        stat[big] = np.maximum(2.0 * gain, 0.0)
        beta[big] = bt
    return _chi2_sf1(stat), beta


def _kinds(a: IntArray, b: IntArray, y: FloatArray, n_models: int) -> tuple[IntArray, IntArray]:
    """Unordered pair key and outcome kind (0 low index won, 1 high won, 2 tie) per vote."""
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    lo_score = np.where(a == lo, y, 1.0 - y)
    kind = np.where(y == 0.5, 2, np.where(lo_score == 1.0, 0, 1)).astype(np.int64)
    return lo * n_models + hi, kind


def _fisher_tests(
    voter: IntArray,
    a: IntArray,
    b: IntArray,
    y: FloatArray,
    n_voters: int,
    n_models: int,
    history: tuple[IntArray, IntArray, FloatArray],
) -> FloatArray:
    """Fisher's method on per-vote p-values against each pair's outcome shares."""
    pair, kind = _kinds(a, b, y, n_models)
    h_pair, h_kind = _kinds(*history, n_models)
    cells = n_models * n_models * 3
    table = np.bincount(h_pair * 3 + h_kind, minlength=cells).reshape(-1, 3) + 1.0  # add-one
    shares = table / table.sum(axis=1, keepdims=True)
    mine = shares[pair]
    observed = mine[np.arange(kind.size), kind]
    # P(an outcome no more likely than the one cast)
    p_vote = np.where(mine <= observed[:, None] + 1e-12, mine, 0.0).sum(axis=1)
    stat = np.bincount(voter, -2.0 * np.log(np.clip(p_vote, 1e-300, 1.0)), n_voters)
    dof = 2 * np.bincount(voter, minlength=n_voters)
    return np.where(dof > 0, chi2.sf(stat, np.maximum(dof, 1)), 1.0)


def voter_tests(
    voter: IntArray,
    model_a: IntArray,
    model_b: IntArray,
    score: FloatArray,
    ratings: FloatArray,
    n_voters: int,
    history: tuple[IntArray, IntArray, FloatArray] | None = None,
) -> VoterTests:
    """Test every voter's votes against fitted ``ratings`` (Elo-like points, scale 400).

    ``score`` is 1 when model A won, 0 when B won, 0.5 for a tie (or both bad).
    ``history`` (model_a, model_b, score) is the vote log the Fisher per-vote p-values are
    taken against; by default the tested votes themselves.
    """
    voter = np.asarray(voter, dtype=np.int64)
    a = np.asarray(model_a, dtype=np.int64)
    b = np.asarray(model_b, dtype=np.int64)
    y = np.asarray(score, dtype=np.float64)
    theta = np.asarray(ratings, dtype=np.float64) * _LN10_400
    n_models = int(theta.size)
    counts = np.bincount(voter, minlength=n_voters).astype(np.int64)
    if voter.size == 0:
        ones = np.ones(n_voters)
        return VoterTests(
            counts,
            ones,
            -np.ones(n_voters, dtype=np.int64),
            np.zeros(n_voters),
            np.ones(n_voters),
            ones.copy(),
            np.zeros(n_voters, dtype=bool),
        )
    d = theta[a] - theta[b]
    fav_p, fav_model, fav_shift, tested = _favour_tests(voter, a, b, d, y, n_voters, n_models)
    temp_p, beta = _temperature_tests(voter, d, y, n_voters)
    p = np.minimum(1.0, (tested + 1) * np.minimum(fav_p, temp_p))
    hist = (a, b, y) if history is None else tuple(np.asarray(h) for h in history)
    fisher_p = _fisher_tests(voter, a, b, y, n_voters, n_models, hist)  # type: ignore[arg-type]
    return VoterTests(counts, p, fav_model, fav_shift, beta, fisher_p, fav_p <= temp_p)


def fit_ratings(
    model_a: IntArray, model_b: IntArray, outcome: IntArray, n_models: int
) -> FloatArray:
    """Bradley-Terry ratings (half ties) of the largest connected component; nan elsewhere."""
    group = fit_connected(aggregate(model_a, model_b, outcome, n_models))
    return np.full(n_models, np.nan) if group is None else group.spread(n_models)


def decide(
    tests: VoterTests,
    *,
    alpha: float = ALPHA,
    min_votes: int = MIN_VOTES,
    method: Method = "lrt",
) -> NDArray[np.bool_]:
    """Which voters to flag."""
    enough = tests.votes >= min_votes
    if method == "lrt":
        hit = tests.p_value < alpha
    elif method == "fisher":
        hit = tests.fisher_p < alpha
    elif method == "both":
        hit = (tests.p_value < alpha) | (tests.fisher_p < alpha)
    else:
        raise ValueError("method must be 'lrt', 'fisher' or 'both'")
    return np.asarray(enough & hit)
