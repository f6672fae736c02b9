"""Per-cell likelihood pieces shared by the fit, the intervals and the fragility report.

Parameters live on the natural-log scale: ``theta`` (one per model) and, for the Davidson
tie model, ``eta = log(nu)``. Every vote on pair (i, j) depends on ``theta`` only through
``d = theta_i - theta_j``, so each quantity is computed per cell and scattered onto models
with ``np.bincount``; the Hessian of a pairwise model is a weighted graph Laplacian.

Half-tie model (ties count half a win): ``p = sigmoid(d)``, a vote scores ``y - p`` with
``y`` = 1, 0, 1/2 for a win of i, a win of j, a tie. Davidson: with ``D = e^{d/2} + e^{-d/2}
+ nu``, ``P(i) = e^{d/2}/D``, ``P(j) = e^{-d/2}/D``, ``P(tie) = nu/D``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import expit, log_expit

from .counts import FloatArray, IntArray, fbincount

HALF = "half"
DAVIDSON = "davidson"


def scatter(i: IntArray, j: IntArray, values: FloatArray, n: int) -> FloatArray:
    """Sum ``values`` onto model i with + and onto model j with - (a gradient in theta)."""
    return fbincount(i, values, n) - fbincount(j, values, n)


def laplacian(i: IntArray, j: IntArray, w: FloatArray, n: int) -> FloatArray:
    """Dense weighted graph Laplacian: sum_k w_k (e_i - e_j)(e_i - e_j)^T."""
    off = fbincount(i * n + j, w, n * n).reshape(n, n)
    lap = -(off + off.T)
    diag = fbincount(i, w, n) + fbincount(j, w, n)
    lap[np.diag_indices(n)] += diag
    return lap


@dataclass(frozen=True, eq=False)  # holds arrays: compare by identity
class CellTerms:
    """Per-vote scores and per-vote curvature of each cell at a parameter value.

    ``score_d``: (K, 3) derivative of one vote's log-likelihood w.r.t. d, per outcome
    [i wins, j wins, tie]. ``score_eta``: same w.r.t. eta (Davidson only). ``curv_dd``,
    ``curv_de``, ``curv_ee``: minus the second derivatives of one vote's log-likelihood,
    which do not depend on the outcome for either model.
    """

    score_d: FloatArray
    curv_dd: FloatArray
    score_eta: FloatArray | None = None
    curv_de: FloatArray | None = None
    curv_ee: FloatArray | None = None


def half_terms(d: FloatArray) -> CellTerms:
    p = expit(d)
    y = np.array([1.0, 0.0, 0.5])
    return CellTerms(score_d=y[None, :] - p[:, None], curv_dd=p * (1.0 - p))


def davidson_probs(d: FloatArray, eta: float) -> tuple[FloatArray, FloatArray, FloatArray]:
    """P(i wins), P(j wins), P(tie) under Davidson's model, computed stably."""
    half = 0.5 * d
    m = np.maximum(np.abs(half), eta)
    ei, ej, et = np.exp(half - m), np.exp(-half - m), np.exp(eta - m)
    tot = ei + ej + et
    return ei / tot, ej / tot, et / tot


def davidson_terms(d: FloatArray, eta: float) -> CellTerms:
    pi, pj, pt = davidson_probs(d, eta)
    diff = 0.5 * (pi - pj)
    score_d = np.stack([0.5 - diff, -0.5 - diff, -diff], axis=1)
    score_eta = np.stack([-pt, -pt, 1.0 - pt], axis=1)
    return CellTerms(
        score_d=score_d,
        curv_dd=0.25 * (pi + pj) - diff * diff,
        score_eta=score_eta,
        curv_de=-diff * pt,
        curv_ee=pt * (1.0 - pt),
    )


def half_loglik(d: FloatArray, c: FloatArray) -> float:
    """Half-tie (pseudo) log-likelihood; ``c`` is (K, 3) [wins_i, wins_j, ties]."""
    win = c[:, 0] + 0.5 * c[:, 2]
    loss = c[:, 1] + 0.5 * c[:, 2]
    return float(win @ log_expit(d) + loss @ log_expit(-d))


def davidson_loglik(d: FloatArray, eta: float, c: FloatArray) -> float:
    """Davidson log-likelihood of the counts ``c`` (K, 3) [wins_i, wins_j, ties]."""
    half = 0.5 * d
    m = np.maximum(np.abs(half), eta)
    log_d = m + np.log(np.exp(half - m) + np.exp(-half - m) + np.exp(eta - m))
    n = c.sum(axis=1)
    return float(c[:, 0] @ half - c[:, 1] @ half + eta * c[:, 2].sum() - n @ log_d)


def information(
    i: IntArray, j: IntArray, n_votes: FloatArray, terms: CellTerms, n: int
) -> FloatArray:
    """Observed information (minus the Hessian) in (theta[, eta]), without gauge or ridge."""
    lap = laplacian(i, j, n_votes * terms.curv_dd, n)
    if terms.curv_de is None or terms.curv_ee is None:
        return lap
    full = np.zeros((n + 1, n + 1))
    full[:n, :n] = lap
    cross = scatter(i, j, n_votes * terms.curv_de, n)
    full[:n, n] = cross
    full[n, :n] = cross
    full[n, n] = float(n_votes @ terms.curv_ee)
    return full


def score_outer(i: IntArray, j: IntArray, sq: FloatArray, terms: CellTerms, n: int) -> FloatArray:
    """Sum over votes of score outer products ("meat" of the sandwich).

    ``sq`` is (K, 3): per cell-outcome the sum of squared vote weights (the vote count when
    unweighted). Exact for independent votes: votes in one cell-outcome share one score.
    """
    sdd = (sq * terms.score_d * terms.score_d).sum(axis=1)
    lap = laplacian(i, j, sdd, n)
    if terms.score_eta is None:
        return lap
    full = np.zeros((n + 1, n + 1))
    full[:n, :n] = lap
    cross = scatter(i, j, (sq * terms.score_d * terms.score_eta).sum(axis=1), n)
    full[:n, n] = cross
    full[n, :n] = cross
    full[n, n] = float((sq * terms.score_eta * terms.score_eta).sum())
    return full


def add_gauge(info: FloatArray, n: int, ridge: float) -> FloatArray:
    """Make the information matrix invertible on the sum-to-zero gauge.

    Ratings are defined up to a constant: ``1`` (on the theta block) is a null vector of the
    information and of the score outer products. Adding ``c * 11^T`` (and the ridge) makes the
    matrix positive definite without changing its action on centred directions, so solving
    with it yields steps and covariances in the sum-to-zero gauge.
    """
    out = info.copy()
    diag = np.diag(out)[:n]
    c = max(float(diag.mean()) / n, 1e-12) if n else 1.0
    out[:n, :n] += c
    if ridge:
        out[np.arange(n), np.arange(n)] += ridge
    return out
