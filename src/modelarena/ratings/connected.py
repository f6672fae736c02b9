"""Fit the part of the board that can be rated: one connected group of models.

Models in different connected components of the comparison graph were never compared,
even indirectly, so no rating relates them. Every caller that rates a board which may be
disconnected (the leaderboard's helpers, adaptive pairing, a model's rating history, the
voter statistics, the judge's agreement) restricts the votes to one group and fits it; this
module is the one place that does so.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .bradley_terry import BTFit, fit_bradley_terry
from .counts import FloatArray, IntArray, PairCounts
from .graph import connected_components


@dataclass(frozen=True, eq=False)  # holds arrays: compare by identity
class ConnectedFit:
    """A fit on one connected group of models.

    ``models`` are the group's indices in the original counts, in the order of
    ``fit.ratings``; ``counts`` are the votes among them, re-indexed ``0..len(models)-1``.
    """

    models: IntArray
    counts: PairCounts
    fit: BTFit

    def spread(self, n_models: int) -> FloatArray:
        """The ratings on the original indices, nan for models outside the group."""
        out = np.full(n_models, np.nan)
        out[self.models] = self.fit.ratings
        return out

    def position(self, model: int) -> int | None:
        """Where an original model index sits in the group (None when outside it)."""
        hit = np.flatnonzero(self.models == model)
        return int(hit[0]) if hit.size else None


def connected_group(counts: PairCounts, containing: int | None = None) -> IntArray:
    """The largest connected group of models (ties: lowest index), or the group holding
    model ``containing``. A model without votes forms a group of its own."""
    components = connected_components(counts)
    if containing is None:
        return components[0]
    return next(c for c in components if np.any(c == containing))


def fit_connected(
    counts: PairCounts,
    *,
    containing: int | None = None,
    ties: str = "half",
    start: FloatArray | None = None,
    min_models: int = 2,
) -> ConnectedFit | None:
    """Restrict the votes to one connected group of models and fit Bradley-Terry there.

    The group is the largest one, or the one holding model ``containing``. Returns None when
    it has fewer than ``min_models`` models (nothing to compare). ``start`` warm-starts the
    fit with ratings of the group's models, in their order.
    """
    if counts.n_models == 0 or counts.n_pairs == 0:
        return None
    main = connected_group(counts, containing)
    if main.size < max(min_models, 2):
        return None
    sub = counts if main.size == counts.n_models else counts.restrict(main)
    fit = fit_bradley_terry(sub, ties=ties, start=start)
    return ConnectedFit(models=main, counts=sub, fit=fit)
