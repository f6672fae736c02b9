"""Bradley-Terry maximum likelihood on aggregated counts, by exact Newton steps.

P(a beats b) = 1 / (1 + base^((R_b - R_a) / scale)): with scale 400 and base 10 a 400-point
gap means 10:1 odds. We fit all counted votes at once (never online Elo, whose result
depends on vote order). Internally ``theta = R * ln(base) / scale``.

Why Newton: the log-likelihood is concave and its Hessian is a weighted graph Laplacian
built from at most n^2/2 cells, so each step costs O(K + n^3) regardless of the number of
votes and quadratic convergence reaches 1e-10 in a handful of steps. A backtracking line
search (Armijo) guards the first steps from far-away starts.

Separation: when some model won (or lost) every one of its votes the maximum-likelihood
rating is infinite. Only then we add a ridge ``ridge/2 * sum(theta^2)`` (default 0.1,
i.e. a N(0, 1/0.1) prior on theta: about +-550 rating points of prior sd), which keeps
every rating finite and barely moves well-measured models. ``BTFit.ridge`` records it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.linalg import LinAlgError, cho_factor, cho_solve

from . import _likelihood as lk
from .counts import FloatArray, PairCounts
from .graph import DisconnectedComparisonGraph, connected_components, mle_is_finite

SEPARATION_RIDGE = 0.1
"""Ridge on theta (natural-log units) used only when the MLE does not exist."""


@dataclass(frozen=True, eq=False)  # holds arrays: compare by identity
class BTFit:
    """A fitted leaderboard.

    ``ratings`` are on the Elo-like scale (mean ``mean`` or pinned by ``anchor``).
    ``log_likelihood`` is the (half-tie pseudo- or Davidson) log-likelihood at the fit,
    without the ridge. ``tie_param`` is Davidson's nu (P(tie) = nu / (nu + 2) between equal
    models) or None for the half-tie model.
    """

    ratings: FloatArray
    log_likelihood: float
    iterations: int
    converged: bool
    tie_model: str
    tie_param: float | None
    scale: float
    base: float
    anchor: tuple[int, float] | None = None
    ridge: float = 0.0

    @property
    def theta(self) -> FloatArray:
        """Ratings in natural-log strength units (only differences are meaningful)."""
        return self.ratings * (math.log(self.base) / self.scale)


def _cells(counts: PairCounts) -> FloatArray:
    return counts.outcome_matrix()


def check_fittable(counts: PairCounts) -> None:
    """Raise if some model has no votes or the comparison graph is disconnected."""
    votes = counts.votes_per_model()
    empty = np.flatnonzero(votes <= 0)
    if empty.size:
        listed = ", ".join(str(int(m)) for m in empty[:20])
        more = "" if empty.size <= 20 else f" (+{empty.size - 20} more)"
        raise ValueError(
            f"models without votes cannot be rated: {listed}{more}; filter them out first"
        )
    components = connected_components(counts)
    if len(components) > 1:
        raise DisconnectedComparisonGraph(components)


def newton(
    x0: FloatArray,
    objective: Callable[[FloatArray], float],
    derivatives: Callable[[FloatArray], tuple[FloatArray, FloatArray]],
    *,
    tol: float,
    max_iter: int,
) -> tuple[FloatArray, int, bool]:
    """Maximise a concave ``objective`` by damped Newton steps.

    ``derivatives(x)`` returns (gradient, positive definite curvature). Stops when the
    largest Newton step coordinate is below ``tol``, or when no step improves the objective
    any more (floating-point floor) while the step is already tiny.
    """
    x = x0.copy()
    value = objective(x)
    for it in range(1, max_iter + 1):
        grad, curv = derivatives(x)
        try:
            step = cho_solve(cho_factor(curv), grad)
        except LinAlgError:
            step = np.linalg.lstsq(curv, grad, rcond=None)[0]
        size = float(np.max(np.abs(step))) if step.size else 0.0
        if not math.isfinite(size):
            return x, it, False
        slope = float(grad @ step)
        alpha = 1.0
        if slope <= 1e-11 * max(1.0, abs(value)):
            # The predicted gain is below the rounding noise of the objective: near the
            # optimum the quadratic model is exact, so take the full step unchecked.
            x = x + step
            value = objective(x)
            if size <= tol:
                return x, it, True
            continue
        for _ in range(40):
            trial = x + alpha * step
            new = objective(trial)
            if new >= value + 1e-4 * alpha * slope:
                break
            alpha *= 0.5
        else:
            return x, it, size < 1e-6
        x, value = trial, new
        if alpha * size <= tol:
            return x, it, True
    return x, max_iter, False


def _fit_half(
    counts: PairCounts,
    ridge: float,
    tol: float,
    max_iter: int,
    start: FloatArray | None = None,
) -> tuple[FloatArray, float, int, bool]:
    n, i, j = counts.n_models, counts.a, counts.b
    c = _cells(counts)
    n_votes = c.sum(axis=1)

    def objective(theta: FloatArray) -> float:
        return lk.half_loglik(theta[i] - theta[j], c) - 0.5 * ridge * float(theta @ theta)

    def derivatives(theta: FloatArray) -> tuple[FloatArray, FloatArray]:
        terms = lk.half_terms(theta[i] - theta[j])
        resid = (c * terms.score_d).sum(axis=1)
        grad = lk.scatter(i, j, resid, n) - ridge * theta
        info = lk.information(i, j, n_votes, terms, n)
        return grad, lk.add_gauge(info, n, ridge)

    x0 = np.zeros(n) if start is None else start - start.mean()
    theta, iters, ok = newton(x0, objective, derivatives, tol=tol, max_iter=max_iter)
    theta -= theta.mean()
    return theta, lk.half_loglik(theta[i] - theta[j], c), iters, ok


def _fit_davidson(
    counts: PairCounts, ridge: float, tol: float, max_iter: int
) -> tuple[FloatArray, float, int, bool, float]:
    n, i, j = counts.n_models, counts.a, counts.b
    c = _cells(counts)
    n_votes = c.sum(axis=1)
    tie_share = float(c[:, 2].sum() / n_votes.sum())
    if tie_share <= 0.0:
        theta, ll, iters, ok = _fit_half(counts, ridge, tol, max_iter)
        return theta, ll, iters, ok, 0.0

    def objective(x: FloatArray) -> float:
        theta = x[:n]
        return lk.davidson_loglik(theta[i] - theta[j], float(x[n]), c) - 0.5 * ridge * float(
            theta @ theta
        )

    def derivatives(x: FloatArray) -> tuple[FloatArray, FloatArray]:
        theta = x[:n]
        terms = lk.davidson_terms(theta[i] - theta[j], float(x[n]))
        assert terms.score_eta is not None
        grad = np.empty(n + 1)
        grad[:n] = lk.scatter(i, j, (c * terms.score_d).sum(axis=1), n) - ridge * theta
        grad[n] = float((c * terms.score_eta).sum())
        info = lk.information(i, j, n_votes, terms, n)
        return grad, lk.add_gauge(info, n, ridge)

    x0 = np.zeros(n + 1)
    x0[n] = math.log(2.0 * tie_share / max(1.0 - tie_share, 1e-12))
    x, iters, ok = newton(x0, objective, derivatives, tol=tol, max_iter=max_iter)
    theta = x[:n] - x[:n].mean()
    ll = lk.davidson_loglik(theta[i] - theta[j], float(x[n]), c)
    return theta, ll, iters, ok, math.exp(float(x[n]))


def _decisive(counts: PairCounts) -> PairCounts:
    """The counts without their ties. Under Davidson's model ties do not keep the ratings
    finite: a large tie parameter explains a tie whatever the gap, so one tie and one win
    between two models sent their gap (and nu) to infinity. Its MLE needs the wins alone to
    link every model both ways (the ridge is used otherwise)."""
    return PairCounts(
        a=counts.a,
        b=counts.b,
        wins_a=counts.wins_a,
        wins_b=counts.wins_b,
        ties=np.zeros_like(counts.ties),
        n_models=counts.n_models,
    )


def to_ratings(
    theta: FloatArray,
    *,
    anchor: tuple[int, float] | None,
    mean: float,
    scale: float,
    base: float,
) -> FloatArray:
    """Map natural-log strengths to the published scale (mean ``mean`` or an anchor)."""
    points = theta * (scale / math.log(base))
    if anchor is not None:
        idx, value = anchor
        return np.asarray(points - float(points[idx]) + value, dtype=np.float64)
    return np.asarray(points - float(points.mean()) + mean, dtype=np.float64)


def fit_bradley_terry(
    counts: PairCounts,
    *,
    ties: str = "half",
    anchor: tuple[int, float] | None = None,
    mean: float = 1000.0,
    scale: float = 400.0,
    base: float = 10.0,
    tol: float = 1e-10,
    max_iter: int = 100,
    ridge: float | None = None,
    start: FloatArray | None = None,
) -> BTFit:
    """Fit Bradley-Terry ratings to aggregated counts.

    ``ties="half"`` counts a tie as half a win for each side (the common convention);
    ``ties="davidson"`` fits Davidson's tie model, whose nu is reported as ``tie_param``.
    ``anchor=(model, value)`` pins one model's rating instead of centring on ``mean``.
    ``ridge=None`` applies ``SEPARATION_RIDGE`` only when the MLE is infinite; pass a float
    to force a ridge (0 to forbid it). ``tol`` bounds the last Newton step in natural-log
    units (1e-10 is about 2e-8 rating points).

    Raises ValueError naming models without votes and DisconnectedComparisonGraph when the
    comparison graph has several components. When every vote is a tie, Davidson's model has
    no finite fit and the half-tie model is used (``tie_model`` says which was fitted).
    """
    if ties not in (lk.HALF, lk.DAVIDSON):
        raise ValueError(f"ties must be 'half' or 'davidson', got {ties!r}")
    if scale <= 0 or base <= 1:
        raise ValueError("scale must be positive and base greater than 1")
    if anchor is not None and not 0 <= anchor[0] < counts.n_models:
        raise ValueError(f"anchor model {anchor[0]} is out of range")
    check_fittable(counts)
    finite = mle_is_finite(counts if ties == lk.HALF else _decisive(counts))
    lam = (0.0 if finite else SEPARATION_RIDGE) if ridge is None else ridge
    if lam < 0:
        raise ValueError("ridge must be non-negative")
    tie_param: float | None = None
    if ties == lk.DAVIDSON and counts.total > 0 and float(counts.ties.sum()) >= counts.total:
        # every vote a tie: Davidson's nu is infinite; ties as half a win give the same
        # (equal) ratings, with a proper interval
        ties = lk.HALF
    if ties == lk.HALF:
        init = None
        if start is not None and start.shape == (counts.n_models,) and np.all(np.isfinite(start)):
            init = np.asarray(start, dtype=np.float64) * (math.log(base) / scale)
        theta, ll, iters, ok = _fit_half(counts, lam, tol, max_iter, init)
    else:
        theta, ll, iters, ok, tie_param = _fit_davidson(counts, lam, tol, max_iter)
    return BTFit(
        ratings=to_ratings(theta, anchor=anchor, mean=mean, scale=scale, base=base),
        log_likelihood=ll,
        iterations=iters,
        converged=ok,
        tie_model=ties,
        tie_param=tie_param,
        scale=float(scale),
        base=float(base),
        anchor=anchor,
        ridge=lam,
    )
