"""How many votes would have to disappear to swap two neighbours on the leaderboard.

Method: the approximate maximum influence perturbation (Broderick, Giordano & Meager; used
on Chatbot Arena by Huang et al., who found that dropping 0.003% of votes can change the
top model). Removing one vote with score s moves the fitted parameters by about
``-H^-1 s`` (the influence function), so it moves the gap between models u and l by
``-(e_u - e_l)^T H^-1 s``. All votes in one cell-outcome share that effect, so we sort the
cell-outcomes by how much each of their votes closes the gap and remove votes greedily
until the predicted gap reaches zero. Linear in the removal, hence an approximation; it is
accurate when the share removed is small, which is exactly the regime it is meant to flag.

A pair is reported ``tied`` when fewer than ``TIED_SHARE`` (1%) of all votes, or fewer than
``TIED_MIN_VOTES`` (10) votes, would swap it: the vote floor keeps small boards honest,
where 1% is less than one vote. The share is of all votes on the board, so on large boards
many close pairs are tied by this rule; that is the honest reading: their order rests on a
sliver of the data.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.linalg import cho_factor, cho_solve

from .bradley_terry import BTFit
from .counts import IntArray, PairCounts
from .intervals import cell_terms, fitted_information

TIED_SHARE = 0.01
"""Pairs swapped by removing less than this share of all votes are reported as tied."""
TIED_MIN_VOTES = 10.0
"""Pairs swapped by removing fewer than this many votes are reported as tied."""


@dataclass(frozen=True)
class FragilePair:
    """Adjacent models ``upper`` (rated higher) and ``lower`` and how fragile their order is.

    ``votes_to_swap`` is the (weighted) number of votes whose removal swaps them, by the
    influence approximation (``inf`` if no removal does); ``share_to_swap`` the same as a
    share of all votes.
    """

    upper: int
    lower: int
    votes_to_swap: float
    share_to_swap: float
    tied: bool


def fragility(
    counts: PairCounts,
    fit: BTFit,
    *,
    top: int = 10,
    threshold: float = TIED_SHARE,
    min_votes: float = TIED_MIN_VOTES,
    models: IntArray | None = None,
) -> list[FragilePair]:
    """Fragility of each adjacent pair among the ``top`` highest-rated models.

    ``models`` restricts the ranking to those models (e.g. the ones a filtered leaderboard
    shows): pairs are then adjacent among them, and no other model is ever named. The fit
    and the vote counts still use every model.
    """
    n = counts.n_models
    pool = np.arange(n) if models is None else np.unique(np.asarray(models, dtype=np.int64))
    ranked = pool[np.argsort(-fit.ratings[pool], kind="stable")]
    order = ranked[: max(0, min(top, pool.size))]
    if order.size < 2:
        return []
    terms = cell_terms(counts, fit)
    factor = cho_factor(fitted_information(counts, fit))
    dim = factor[0].shape[0]
    contrasts = np.zeros((dim, order.size - 1))
    cols = np.arange(order.size - 1)
    contrasts[order[:-1], cols] = 1.0
    contrasts[order[1:], cols] = -1.0
    solved = cho_solve(factor, contrasts)  # (dim, pairs): H^-1 (e_u - e_l)
    c = counts.outcome_matrix()
    sq = counts.squared_matrix()
    with np.errstate(invalid="ignore", divide="ignore"):
        per_vote_weight = np.where(c > 0, sq / c, 0.0)
        n_votes = np.where(sq > 0, c * c / sq, 0.0)
    total = float(n_votes.sum())
    theta = fit.theta
    result: list[FragilePair] = []
    for col in range(order.size - 1):
        upper, lower = int(order[col]), int(order[col + 1])
        gap = float(theta[upper] - theta[lower])
        v = solved[:, col]
        effect = terms.score_d * (v[counts.a] - v[counts.b])[:, None]
        if terms.score_eta is not None and dim > n:
            effect = effect + terms.score_eta * v[n]
        # Removing a vote subtracts its score: the gap changes by -weight * effect.
        change = (-per_vote_weight * effect).ravel()
        avail = n_votes.ravel()
        closing = np.flatnonzero((change < 0) & (avail > 0))
        votes = _votes_to_close(gap, -change[closing], avail[closing])
        share = votes / total if total > 0 else math.inf
        result.append(
            FragilePair(
                upper=upper,
                lower=lower,
                votes_to_swap=votes,
                share_to_swap=share,
                tied=bool(share < threshold or votes < min_votes),
            )
        )
    return result


def _votes_to_close(gap: float, per_vote: np.ndarray, available: np.ndarray) -> float:
    """Fewest votes (fractional) whose summed per-vote reductions reach ``gap``."""
    if gap <= 0:
        return 0.0
    # Usually a few hundred cells close the gap: sort only those when they suffice.
    k = 512
    if per_vote.size > 4 * k:
        part = np.argpartition(-per_vote, k)[:k]
        if float((per_vote[part] * available[part]).sum()) >= gap:
            per_vote, available = per_vote[part], available[part]
    order = np.argsort(-per_vote, kind="stable")
    per_vote, available = per_vote[order], available[order]
    reach = np.cumsum(per_vote * available)
    idx = int(np.searchsorted(reach, gap, side="left"))
    if idx >= reach.size:
        return math.inf
    before = float(reach[idx - 1]) if idx else 0.0
    used = float(available[:idx].sum())
    return used + (gap - before) / float(per_vote[idx])
