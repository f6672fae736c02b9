"""Adaptive pairing for the live arena: pair where a vote shrinks the intervals most.

Refits the board on the cached pair counts (cheap: it costs O(models^2), not O(votes)) and
hands the ratings and their covariance to :func:`modelarena.ratings.adaptive_pair_probabilities`.
A model without votes, or outside the main comparison graph, is treated as unknown, which
pairs it broadly first and then with the neighbours of its estimate.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from modelarena import ratings
from modelarena.store import HUMAN, Store


def adaptive_pair_matrix(
    store: Store,
    models: Sequence[str],
    excluded: frozenset[str] = frozenset(),
    *,
    sources: Sequence[str] = (HUMAN,),
) -> dict[tuple[str, str], float]:
    """Probability of each unordered pair {a, b} (keyed a < b by position in ``models``),
    from the votes of ``sources`` (a campaign pairs on its own votes)."""
    n = len(models)
    index = {m: i for i, m in enumerate(models)}
    rating = np.full(n, np.nan)
    cov = np.full((n, n), np.nan)
    votes = np.zeros(n)
    cells = store.pair_cells(sources=sources)
    keep = [
        k
        for k in range(len(cells.a))
        if cells.models[cells.a[k]] in index and cells.models[cells.b[k]] in index
    ]
    if keep:
        local = sorted(
            {cells.models[cells.a[k]] for k in keep} | {cells.models[cells.b[k]] for k in keep}
        )
        pos = {m: i for i, m in enumerate(local)}
        counts = ratings.pair_counts_from_cells(
            np.array([pos[cells.models[cells.a[k]]] for k in keep]),
            np.array([pos[cells.models[cells.b[k]]] for k in keep]),
            cells.wins_a[keep],
            cells.wins_b[keep],
            cells.ties[keep],
            len(local),
        )
        per_model = counts.votes_per_model()
        for m, i in pos.items():
            votes[index[m]] = per_model[i]
        group = ratings.fit_connected(counts)
        if group is not None:
            where = np.array([index[local[i]] for i in group.models])
            rating[where] = group.fit.ratings
            cov[np.ix_(where, where)] = ratings.sandwich_covariance(group.counts, group.fit)
    active = np.array([m not in excluded for m in models], dtype=bool)
    if active.sum() < 2:
        return {}
    probs = ratings.adaptive_pair_probabilities(rating, cov, votes, active=active)
    out = {}
    for i in range(n):
        for j in range(i + 1, n):
            if probs[i, j] > 0:
                out[(models[i], models[j])] = float(probs[i, j])
    return out
