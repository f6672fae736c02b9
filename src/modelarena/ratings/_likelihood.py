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


def cell_products(
    sq: FloatArray, terms: CellTerms
) -> tuple[FloatArray, FloatArray | None, FloatArray | None]:
    """Per cell, the summed score products (d-d, d-eta, eta-eta) over its votes.

    ``sq`` is (K, C): per cell and column the sum of squared vote weights belonging to the
    matching column of ``terms.score_d`` (per outcome for observed scores).
    """
    sdd = (sq * terms.score_d * terms.score_d).sum(axis=1)
    if terms.score_eta is None:
        return sdd, None, None
    sde = (sq * terms.score_d * terms.score_eta).sum(axis=1)
    see = (sq * terms.score_eta * terms.score_eta).sum(axis=1)
    return sdd, sde, see


def meat_from_products(
    i: IntArray,
    j: IntArray,
    products: tuple[FloatArray, FloatArray | None, FloatArray | None],
    n: int,
) -> FloatArray:
    """Assemble the (theta[, eta]) meat matrix from per-cell score products."""
    sdd, sde, see = products
    lap = laplacian(i, j, sdd, n)
    if sde is None or see is None:
        return lap
    full = np.zeros((n + 1, n + 1))
    full[:n, :n] = lap
    cross = scatter(i, j, sde, n)
    full[:n, n] = cross
    full[n, :n] = cross
    full[n, n] = float(see.sum())
    return full


def score_outer(i: IntArray, j: IntArray, sq: FloatArray, terms: CellTerms, n: int) -> FloatArray:
    """Sum over votes of score outer products ("meat" of the sandwich).

    ``sq`` is (K, 3): per cell-outcome the sum of squared vote weights (the vote count when
    unweighted). Exact for independent votes: votes in one cell-outcome share one score.
    """
    return meat_from_products(i, j, cell_products(sq, terms), n)


def expected_half_terms(d: FloatArray, tie_share: float) -> CellTerms:
    """Per-vote expected score products of the half-tie model, ties carved at ``tie_share``.

    With ``p = sigmoid(d)`` and ties taken evenly out of both sides (so the expected score is
    still ``p``), ``E[(y - p)^2] = p(1 - p) - t/4`` with ``t = min(tie_share, 2 min(p, 1-p))``.
    Stored as a one-column ``score_d`` (the square root), so :func:`score_outer` with the
    per-cell vote totals gives the model-based meat.
    """
    p = expit(d)
    t = np.minimum(tie_share, 2.0 * np.minimum(p, 1.0 - p))
    var = np.clip(p * (1.0 - p) - 0.25 * t, 0.0, None)
    return CellTerms(score_d=np.sqrt(var)[:, None], curv_dd=p * (1.0 - p))


def expected_davidson_terms(d: FloatArray, eta: float) -> CellTerms:
    """Per-vote expected score products of Davidson's model (its Fisher information), as one
    column of ``score_d``/``score_eta`` per cell whose outer product is that information.

    The information of one vote is the 2x2 matrix [[c_dd, c_de], [c_de, c_ee]]; a Cholesky
    factor [[l1, 0], [l2, l3]] gives two columns whose outer products sum to it.
    """
    terms = davidson_terms(d, eta)
    assert terms.curv_de is not None and terms.curv_ee is not None
    l1 = np.sqrt(np.clip(terms.curv_dd, 0.0, None))
    safe = np.where(l1 > 0, l1, 1.0)
    l2 = np.where(l1 > 0, terms.curv_de / safe, 0.0)
    l3 = np.sqrt(np.clip(terms.curv_ee - l2 * l2, 0.0, None))
    zero = np.zeros_like(l1)
    return CellTerms(
        score_d=np.stack([l1, zero], axis=1),
        curv_dd=terms.curv_dd,
        score_eta=np.stack([l2, l3], axis=1),
    )


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
