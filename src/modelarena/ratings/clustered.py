"""Cluster-robust intervals: votes from one session, or from one voter, are not independent.

The sandwich of :mod:`.intervals` sums score outer products vote by vote, which is right
when votes are independent. The four votes of one tournament session share a prompt (a
model may shine on this prompt and lose all its matches on the next), and one voter's votes
share that voter's taste; both make votes of a cluster move together, and the per-vote
sandwich then understates the variance. The cluster-robust ("clustered") sandwich sums the
scores within each cluster first:

    meat_C = c_G * sum_g (sum_{i in g} s_i)(sum_{i in g} s_i)^T,   c_G = G / (G - 1)

with ``G`` clusters. For two crossed clusterings (session and voter) we use the two-way
estimator of Cameron, Gelbach & Miller (2011):

    V = V_session + V_voter - V_session∩voter

with negative eigenvalues of the combined meat set to zero (their suggestion), so ``V`` is
a covariance. When every session belongs to one voter (a tournament is one person's), the
intersection is the session and ``V`` is the voter-clustered covariance: clustering on the
coarser level covers the finer one.

A vote alone in its cluster adds nothing beyond the per-vote sandwich, so the caller passes
only the votes that share a cluster (``cluster = -1`` marks "no cluster": the vote is its
own); the independent part comes from the aggregated counts as before, and the model-based
floor of :func:`.intervals.sandwich_covariance` still applies on the diagonal.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy.linalg import cho_factor
from scipy.sparse import csr_matrix

from . import _likelihood as lk
from .bradley_terry import BTFit
from .counts import FloatArray, IntArray, PairCounts
from .intervals import (
    Intervals,
    _gauge,
    _sandwich,
    cell_terms,
    fitted_information,
    intervals_from_se,
    model_meat,
)

TWO_WAY = "two-way (Cameron-Gelbach-Miller) by session and voter"


@dataclass(frozen=True, eq=False)  # holds arrays
class _Scores:
    """Each vote's score: ``d`` on theta_a (minus it on theta_b), ``eta`` on the tie
    parameter (Davidson only), weighted."""

    a: IntArray
    b: IntArray
    d: FloatArray
    eta: FloatArray | None
    n: int

    @property
    def size(self) -> int:
        return self.n + (self.eta is not None)

    def alone(self) -> FloatArray:
        """sum_i s_i s_i^T: every vote its own cluster."""
        if self.eta is None:
            return lk.meat_from_products(self.a, self.b, (self.d * self.d, None, None), self.n)
        products = (self.d * self.d, self.d * self.eta, self.eta * self.eta)
        return lk.meat_from_products(self.a, self.b, products, self.n)

    def clustered(self, clusters: IntArray) -> tuple[FloatArray, int]:
        """sum over clusters of (summed scores)(summed scores)^T, -1 meaning each vote its
        own, and how many shared clusters there are."""
        n_votes = len(clusters)
        own = clusters < 0
        shared = clusters[~own]
        if shared.size and int(shared.max()) < 4 * n_votes:  # codes small enough as they are
            k = int(shared.max()) + 1
            used = int(np.count_nonzero(np.bincount(shared, minlength=k)))
            group = np.where(own, k + np.arange(n_votes), clusters)
        else:
            _, dense = np.unique(np.where(own, 0, clusters), return_inverse=True)
            k = int(dense.max()) + 1 if n_votes else 0
            used = k if shared.size else 0
            group = np.where(own, k + np.arange(n_votes), dense)
        rows = [group, group]
        cols = [self.a, self.b]
        vals = [self.d, -self.d]
        if self.eta is not None:
            rows.append(group)
            cols.append(np.full(n_votes, self.n, dtype=np.int64))
            vals.append(self.eta)
        matrix = csr_matrix(
            (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
            shape=(k + n_votes, self.size),
        )
        return np.asarray((matrix.T @ matrix).toarray(), dtype=np.float64), used


def _scores(
    fit: BTFit, n: int, a: IntArray, b: IntArray, outcome: IntArray, w: FloatArray
) -> _Scores:
    theta = fit.theta
    d = theta[a] - theta[b]
    davidson = fit.tie_model == lk.DAVIDSON and bool(fit.tie_param)
    terms = lk.davidson_terms(d, math.log(fit.tie_param or 1.0)) if davidson else lk.half_terms(d)
    col = np.minimum(outcome, 2)
    rows = np.arange(len(a), dtype=np.int64)
    eta = None
    if davidson:
        assert terms.score_eta is not None
        eta = terms.score_eta[rows, col] * w
    return _Scores(a, b, terms.score_d[rows, col] * w, eta, n)


def clustered_covariance(
    counts: PairCounts,
    fit: BTFit,
    model_a: ArrayLike,
    model_b: ArrayLike,
    outcome: ArrayLike,
    *,
    sessions: ArrayLike | None = None,
    voters: ArrayLike | None = None,
    weights: ArrayLike | None = None,
    floor: bool = True,
) -> FloatArray:
    """Cluster-robust covariance of the ratings (squared rating points, shape (n, n)).

    ``counts`` and ``fit`` are the board's (every counted vote). ``model_a``, ``model_b``,
    ``outcome`` (and ``weights``, if the fit was weighted) describe the votes that share a
    cluster with another vote, with their cluster codes ``sessions`` and/or ``voters``
    (-1: none). One clustering gives the one-way estimator, both the two-way one.
    """
    n = counts.n_models
    a = np.asarray(model_a, dtype=np.int64)
    b = np.asarray(model_b, dtype=np.int64)
    out = np.asarray(outcome, dtype=np.int64)
    w = np.ones(len(a)) if weights is None else np.asarray(weights, dtype=np.float64)
    if not (len(b) == len(a) == len(out) == len(w)):
        raise ValueError("model_a, model_b, outcome and weights need one entry per vote")
    ways = [np.asarray(c, dtype=np.int64) for c in (sessions, voters) if c is not None]
    if any(len(c) != len(a) for c in ways):
        raise ValueError("cluster codes need one entry per vote")
    terms = cell_terms(counts, fit)
    factor = cho_factor(fitted_information(counts, fit))
    empirical = lk.score_outer(counts.a, counts.b, counts.squared_matrix(), terms, n)
    total = float(counts.outcome_matrix().sum())
    scores = _scores(fit, n, a, b, out, w)
    alone = scores.alone()

    def one_way(clusters: IntArray) -> FloatArray:
        if not (clusters >= 0).any():  # no vote shares a cluster: the plain sandwich
            return empirical
        meat, used = scores.clustered(clusters)
        # clusters of the whole board: the shared ones, and every other vote alone
        g = used + total - float(np.count_nonzero(clusters >= 0))
        c = g / (g - 1.0) if g > 1 else 1.0
        return c * (empirical + meat - alone)

    if not ways:
        meat = empirical
    elif len(ways) == 1:
        meat = one_way(ways[0])
    else:
        s, v = ways
        both = np.where((s >= 0) & (v >= 0), s * (int(v.max()) + 1) + v, -1)
        meat = one_way(s) + one_way(v) - one_way(both)
        values, vectors = np.linalg.eigh(0.5 * (meat + meat.T))
        meat = (vectors * np.clip(values, 0.0, None)) @ vectors.T
    cov = _sandwich(counts, fit, factor, meat)
    if floor:
        model = _sandwich(counts, fit, factor, model_meat(counts, fit))
        cov = cov + np.diag(np.clip(np.diag(model) - np.diag(cov), 0.0, None))
    return _gauge(cov, fit.anchor)


def clustered_intervals(
    counts: PairCounts,
    fit: BTFit,
    model_a: ArrayLike,
    model_b: ArrayLike,
    outcome: ArrayLike,
    *,
    sessions: ArrayLike | None = None,
    voters: ArrayLike | None = None,
    weights: ArrayLike | None = None,
    level: float = 0.95,
) -> Intervals:
    """Normal-approximation intervals from :func:`clustered_covariance`."""
    cov = clustered_covariance(
        counts, fit, model_a, model_b, outcome, sessions=sessions, voters=voters, weights=weights
    )
    se = np.sqrt(np.clip(np.diag(cov), 0.0, None))
    return intervals_from_se(fit.ratings, se, level, "sandwich, clustered " + TWO_WAY)
