"""Bootstrap intervals: resample the aggregated counts, refit, take percentiles.

Resampling N votes with replacement is the same as drawing the cell-outcome counts from a
multinomial with the observed shares, so we never touch individual votes. All rounds are
drawn at once (seeded ``numpy.random.Generator``, exact multinomial via ``multinomial_rows``)
and refitted together:

* start every round at the full-data fit;
* iterate ``theta += J^-1 g_r(theta)`` with the *full-data* information J factorised once
  (a chord / simplified Newton method). A resample differs from the data by O(1/sqrt(N)),
  so J is an excellent approximation of each round's Hessian and the iteration converges
  linearly and fast, while every step is one batched gradient (sparse matrix product) and
  one triangular solve with all rounds as right-hand sides;
* rounds that have not converged after ``_CHORD_ITERATIONS`` (very sparse data) are refitted
  exactly, one by one.

Weighted counts: each cell-outcome is treated as ``m = (sum w)^2 / sum w^2`` votes (Kish's
effective size) of equal weight ``sum w^2 / sum w``, which keeps both the total weight and
the variance of the resample right.
"""

from __future__ import annotations

import math
import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from scipy.linalg import cho_factor, cho_solve
from scipy.sparse import csr_matrix

from . import _likelihood as lk
from .bradley_terry import BTFit, fit_bradley_terry
from .counts import FloatArray, IntArray, PairCounts
from .intervals import Intervals, fitted_information, z_value

_CHORD_ITERATIONS = 40
_CHORD_TOL = 1e-6  # natural-log units: bootstrap ratings exact to ~2e-4 rating points
_CHUNK = 250  # rounds per batch at most
_CHUNK_CELLS = 4_000_000  # cell-outcomes per batch: bounds memory to ~100 MB per worker
_DENSE_INCIDENCE = 1_000_000  # n * K entries up to which d is one matrix product
_MAX_WORKERS = 4  # threads; each holds one batch (~100 MB at most)


def _incidence_t(counts: PairCounts) -> csr_matrix:
    """(n, K) sparse signed incidence: column k is e_a - e_b."""
    k = counts.n_pairs
    rows = np.concatenate([counts.a, counts.b])
    cols = np.concatenate([np.arange(k), np.arange(k)])
    vals = np.concatenate([np.ones(k), -np.ones(k)])
    return csr_matrix((vals, (rows, cols)), shape=(counts.n_models, k))


def _resample_inputs(counts: PairCounts) -> tuple[int, FloatArray, FloatArray]:
    """Number of draws, category probabilities and per-draw weight of each cell-outcome."""
    c = counts.outcome_matrix().ravel()
    if counts.squared_weights is None:
        total = int(round(c.sum()))
        return total, c / c.sum(), np.ones_like(c)
    sq = counts.squared_weights.ravel()
    with np.errstate(invalid="ignore", divide="ignore"):
        eff = np.where(sq > 0, c * c / sq, 0.0)
        unit = np.where(c > 0, sq / c, 0.0)
    total = int(round(eff.sum()))
    return total, eff / eff.sum(), unit


def multinomial_rows(
    rng: np.random.Generator, total: int, probs: FloatArray, size: int
) -> np.ndarray:
    """``size`` exact Multinomial(total, probs) draws, about twice as fast as numpy's.

    numpy draws a multinomial as one binomial per category, each with its own set-up.
    Instead we draw independent Poisson(total * p) counts (vectorised) and fix each row's
    sum exactly: given its sum T, a Poisson vector is Multinomial(T, p); dropping T - total
    of its units uniformly at random, or adding total - T fresh categorical draws, leaves
    Multinomial(total, p). The correction touches ~sqrt(total) units per row.
    """
    cats = probs.size
    rows = rng.poisson(total * probs, size=(size, cats))
    cdf = np.cumsum(probs)
    cdf /= cdf[-1]
    sums = rows.sum(axis=1)
    for r in range(size):
        diff = int(total - sums[r])
        if diff > 0:
            extra = np.searchsorted(cdf, rng.random(diff), side="right")
            rows[r] += np.bincount(np.minimum(extra, cats - 1), minlength=cats)
        elif diff < 0:
            units = rng.choice(int(sums[r]), size=-diff, replace=False)
            where = np.searchsorted(np.cumsum(rows[r]), units, side="right")
            rows[r] -= np.bincount(where, minlength=cats)
    return rows


def _chord_half(
    theta0: FloatArray,
    counts: PairCounts,
    draws: np.ndarray,
    factor: tuple[FloatArray, bool],
    inc_t: csr_matrix,
    ridge: float,
) -> tuple[FloatArray, np.ndarray]:
    """Refit all rounds of the half-tie model; returns theta (R, n) and converged flags."""
    rounds = draws.shape[0]
    n_votes = (draws[:, :, 0] + draws[:, :, 1] + draws[:, :, 2]).astype(np.float64)
    # sigmoid(d) = (1 + tanh(d / 2)) / 2, so the residual W - N p is
    # (W - N/2) - (N/2) tanh(d/2): tanh is about 3x cheaper than expit.
    half_n = 0.5 * n_votes
    excess = draws[:, :, 0] + 0.5 * draws[:, :, 2] - half_n
    theta = np.repeat(theta0[None, :], rounds, axis=0)
    done = np.zeros(rounds, dtype=bool)
    ai, bi = counts.a, counts.b
    # Half-differences by one matrix product when the dense incidence is small.
    small = counts.n_models * counts.n_pairs <= _DENSE_INCIDENCE
    half_inc = 0.5 * inc_t.toarray() if small else None
    for _ in range(_CHORD_ITERATIONS):
        act = np.flatnonzero(~done)
        if act.size == 0:
            break
        th = theta[act]
        half_d = th @ half_inc if half_inc is not None else 0.5 * (th[:, ai] - th[:, bi])
        resid = excess[act] - half_n[act] * np.tanh(half_d)
        grad = (inc_t @ resid.T).T - ridge * th
        step = cho_solve(factor, grad.T).T
        theta[act] = th + step
        done[act] = np.max(np.abs(step), axis=1) < _CHORD_TOL
    return theta, done


def _chord_davidson(
    x0: FloatArray,
    counts: PairCounts,
    draws: np.ndarray,
    factor: tuple[FloatArray, bool],
    inc_t: csr_matrix,
    ridge: float,
) -> tuple[FloatArray, np.ndarray]:
    """Same chord iteration for Davidson's model; x is (R, n + 1) = (theta, eta)."""
    n = counts.n_models
    rounds = draws.shape[0]
    diff = 0.5 * (draws[:, :, 0] - draws[:, :, 1])
    n_votes = draws.sum(axis=2).astype(np.float64)
    ties = draws[:, :, 2].sum(axis=1).astype(np.float64)
    x = np.repeat(x0[None, :], rounds, axis=0)
    done = np.zeros(rounds, dtype=bool)
    ai, bi = counts.a, counts.b
    for _ in range(_CHORD_ITERATIONS):
        act = np.flatnonzero(~done)
        if act.size == 0:
            break
        xa = x[act]
        th, eta = xa[:, :n], xa[:, n : n + 1]
        half = 0.5 * (th[:, ai] - th[:, bi])
        m = np.maximum(np.abs(half), eta)
        ei, ej, et = np.exp(half - m), np.exp(-half - m), np.exp(eta - m)
        tot = ei + ej + et
        grad = np.empty_like(xa)
        resid = diff[act] - n_votes[act] * 0.5 * (ei - ej) / tot
        grad[:, :n] = (inc_t @ resid.T).T - ridge * th
        grad[:, n] = ties[act] - (n_votes[act] * et / tot).sum(axis=1)
        step = cho_solve(factor, grad.T).T
        x[act] = xa + step
        done[act] = np.max(np.abs(step), axis=1) < _CHORD_TOL
    return x, done


def _exact(counts: PairCounts, draws: np.ndarray, ties: str, ridge: float) -> FloatArray:
    """Refit one resample exactly (fallback); NaN where the resample cannot be fitted."""
    draws = np.asarray(draws, dtype=np.float64)
    keep = draws.sum(axis=1) > 0
    sub = PairCounts(
        a=counts.a[keep],
        b=counts.b[keep],
        wins_a=draws[keep, 0],
        wins_b=draws[keep, 1],
        ties=draws[keep, 2],
        n_models=counts.n_models,
    )
    try:
        fit = fit_bradley_terry(
            sub, ties=ties, ridge=ridge or None, scale=1.0, base=math.e, mean=0.0
        )
    except ValueError:
        return np.full(counts.n_models, np.nan)
    return fit.ratings


def _to_ratings_rows(
    theta: FloatArray, anchor: tuple[int, float] | None, mean: float, scale: float, base: float
) -> FloatArray:
    points = theta * (scale / math.log(base))
    if anchor is not None:
        points = points - points[:, anchor[0] : anchor[0] + 1] + anchor[1]
    else:
        points = points - points.mean(axis=1, keepdims=True) + mean
    return np.asarray(points, dtype=np.float64)


def bootstrap_ratings(
    counts: PairCounts,
    *,
    rounds: int = 1000,
    seed: int = 0,
    ties: str = "half",
    fit: BTFit | None = None,
    mean: float = 1000.0,
    scale: float = 400.0,
    base: float = 10.0,
    anchor: tuple[int, float] | None = None,
) -> FloatArray:
    """Ratings of every bootstrap round, shape (rounds, n), on the published scale.

    Reproducible for a given ``seed``. ``fit`` (the full-data fit with the same ``ties``)
    is computed when not given; when given, its scale, base, anchor and mean are used. A
    round that cannot be fitted (a model lost all its votes in the resample of very sparse
    data) is NaN.
    """
    if rounds < 1:
        raise ValueError("rounds must be at least 1")
    if fit is None:
        fit = fit_bradley_terry(counts, ties=ties, mean=mean, scale=scale, base=base, anchor=anchor)
    elif fit.tie_model != ties:
        raise ValueError("fit.tie_model differs from ties")
    else:
        # publish the rounds on the same scale as the given fit
        scale, base = fit.scale, fit.base
        if anchor is None:
            anchor = fit.anchor
        if anchor is None:
            mean = float(fit.ratings.mean())
    n = counts.n_models
    weighted = counts.squared_weights is not None
    total, probs, unit = _resample_inputs(counts)
    info = fitted_information(counts, fit)
    factor = cho_factor(info)
    inc_t = _incidence_t(counts)
    theta0 = fit.theta - fit.theta.mean()
    davidson = ties == lk.DAVIDSON and bool(fit.tie_param)
    x0 = np.append(theta0, math.log(fit.tie_param)) if davidson and fit.tie_param else theta0
    chunk = max(8, min(_CHUNK, _CHUNK_CELLS // max(1, 3 * counts.n_pairs)))
    starts = list(range(0, rounds, chunk))
    seeds = np.random.SeedSequence(seed).spawn(len(starts))
    out = np.empty((rounds, n))

    def run(index: int) -> None:
        start = starts[index]
        size = min(chunk, rounds - start)
        rng = np.random.default_rng(seeds[index])
        raw = multinomial_rows(rng, total, probs, size).reshape(size, counts.n_pairs, 3)
        draws = raw * unit.reshape(counts.n_pairs, 3) if weighted else raw
        if davidson:
            x, done = _chord_davidson(x0, counts, draws, factor, inc_t, fit.ridge)
            theta = x[:, :n]
        else:
            theta, done = _chord_half(theta0, counts, draws, factor, inc_t, fit.ridge)
        for r in np.flatnonzero(~done):
            theta[r] = _exact(counts, draws[r], ties, fit.ridge)
        out[start : start + size] = _to_ratings_rows(theta, anchor, mean, scale, base)

    # numpy releases the GIL in the multinomial sampler and the array maths, and every
    # chunk has its own seeded generator, so threads speed this up without changing results.
    workers = min(len(starts), os.cpu_count() or 1, _MAX_WORKERS)
    if workers > 1:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            list(pool.map(run, range(len(starts))))
    else:
        for index in range(len(starts)):
            run(index)
    return out


def bootstrap_intervals(
    counts: PairCounts,
    *,
    rounds: int = 1000,
    seed: int = 0,
    level: float = 0.95,
    ties: str = "half",
    fit: BTFit | None = None,
    anchor: tuple[int, float] | None = None,
) -> Intervals:
    """Percentile intervals (2.5/97.5 for level 0.95) from ``bootstrap_ratings``.

    ``se`` is the standard deviation across rounds.
    """
    z_value(level)
    samples = bootstrap_ratings(counts, rounds=rounds, seed=seed, ties=ties, fit=fit, anchor=anchor)
    tail = 0.5 * (1.0 - level)
    lower, upper = np.nanquantile(samples, [tail, 1.0 - tail], axis=0)
    se = np.nanstd(samples, axis=0, ddof=1) if rounds > 1 else np.zeros(counts.n_models)
    return Intervals(lower=lower, upper=upper, se=se, level=level, method="bootstrap")


def rank_intervals(samples: FloatArray, level: float = 0.95) -> tuple[IntArray, IntArray]:
    """Best and worst plausible rank of each model from bootstrap rating samples.

    In each round a model's rank is 1 + the number of models rated strictly higher; the
    bounds are the (1 - level)/2 and (1 + level)/2 quantiles of those ranks across rounds
    (rounded outward).
    """
    z_value(level)
    arr = np.asarray(samples, dtype=np.float64)
    arr = arr[~np.isnan(arr).any(axis=1)]
    if arr.shape[0] == 0:
        raise ValueError("no usable bootstrap rounds")
    order = np.sort(arr, axis=1)
    ranks = np.empty(arr.shape, dtype=np.int64)
    for r in range(arr.shape[0]):
        ranks[r] = 1 + arr.shape[1] - np.searchsorted(order[r], arr[r], side="right")
    tail = 0.5 * (1.0 - level)
    best = np.floor(np.quantile(ranks, tail, axis=0)).astype(np.int64)
    worst = np.ceil(np.quantile(ranks, 1.0 - tail, axis=0)).astype(np.int64)
    return best, worst
