"""Aggregated vote counts: the only input the rating fits need.

A Bradley-Terry fit depends on the votes only through how often each outcome happened for
each unordered pair of models, so millions of votes collapse to at most ``3 * n^2 / 2``
numbers. Everything downstream (fits, intervals, bootstrap, fragility) works on this table,
which is why a refit costs the same for ten thousand or ten million votes once counted.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

OUTCOME_A = 0
"""The voter preferred model A."""
OUTCOME_B = 1
"""The voter preferred model B."""
OUTCOME_TIE = 2
"""Both answers were equally good."""
OUTCOME_BOTH_BAD = 3
"""Both answers were bad. Counted exactly like a tie (half a win each)."""

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


def fbincount(index: IntArray, weights: ArrayLike | None, length: int) -> FloatArray:
    """``np.bincount`` returning float64 (a no-op conversion when weights are float)."""
    return np.bincount(index, weights, length).astype(np.float64, copy=False)


# Above this many dense cells we aggregate with np.unique instead of one big np.bincount.
_DENSE_CELL_LIMIT = 1 << 22


@dataclass(frozen=True, eq=False)  # holds arrays: compare by identity
class PairCounts:
    """Votes aggregated per unordered pair of models, one row per pair with ``a < b``.

    ``wins_a``/``wins_b``/``ties`` are (possibly weighted) vote counts. ``squared_weights``,
    shape (K, 3) for [wins_a, wins_b, ties], holds the sums of squared vote weights when the
    votes were weighted; the sandwich variance and the bootstrap need it, because a weighted
    count alone does not say how many votes it was made of. ``None`` means every vote had
    weight 1 (so the squared sums equal the counts).
    """

    a: IntArray
    b: IntArray
    wins_a: FloatArray
    wins_b: FloatArray
    ties: FloatArray
    n_models: int
    squared_weights: FloatArray | None = None

    def votes_per_model(self) -> FloatArray:
        """Total (weighted) votes each model took part in, shape (n_models,)."""
        per_pair = self.wins_a + self.wins_b + self.ties
        return fbincount(self.a, per_pair, self.n_models) + fbincount(
            self.b, per_pair, self.n_models
        )

    def restrict(self, models: IntArray) -> PairCounts:
        """The votes among ``models`` only, re-indexed 0..len(models)-1 in the given order
        (rows swapped where needed so that ``a < b`` still holds)."""
        keep = np.asarray(models, dtype=np.int64)
        remap = np.full(self.n_models, -1, dtype=np.int64)
        remap[keep] = np.arange(keep.size)
        mask = (remap[self.a] >= 0) & (remap[self.b] >= 0)
        a, b = remap[self.a[mask]], remap[self.b[mask]]
        wa, wb = self.wins_a[mask], self.wins_b[mask]
        flip = a > b
        sq = None if self.squared_weights is None else self.squared_weights[mask].copy()
        if sq is not None:
            sq[flip] = sq[flip][:, [1, 0, 2]]
        return PairCounts(
            a=np.where(flip, b, a),
            b=np.where(flip, a, b),
            wins_a=np.where(flip, wb, wa),
            wins_b=np.where(flip, wa, wb),
            ties=self.ties[mask],
            n_models=int(keep.size),
            squared_weights=sq,
        )

    @property
    def total(self) -> float:
        """Total (weighted) number of votes."""
        return float(self.wins_a.sum() + self.wins_b.sum() + self.ties.sum())

    @property
    def n_pairs(self) -> int:
        """Number of pairs with at least one vote."""
        return int(self.a.shape[0])

    def outcome_matrix(self) -> FloatArray:
        """Counts as a (K, 3) array of [wins_a, wins_b, ties]."""
        return np.stack([self.wins_a, self.wins_b, self.ties], axis=1)

    def squared_matrix(self) -> FloatArray:
        """Sums of squared vote weights, (K, 3); equal to the counts for unweighted votes."""
        if self.squared_weights is None:
            return self.outcome_matrix()
        return self.squared_weights


def _as_index(values: ArrayLike, name: str) -> IntArray:
    arr = np.asarray(values)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {arr.shape}")
    if arr.size and not np.issubdtype(arr.dtype, np.integer):
        raise TypeError(f"{name} must hold integers, got {arr.dtype}")
    return arr.astype(np.int64, copy=False)


def _check_models(a: IntArray, b: IntArray, n_models: int) -> None:
    if n_models < 1:
        raise ValueError("n_models must be at least 1")
    if a.shape != b.shape:
        raise ValueError("model index arrays must have the same shape")
    if a.size:
        low = min(int(a.min()), int(b.min()))
        high = max(int(a.max()), int(b.max()))
        if low < 0 or high >= n_models:
            raise ValueError(f"model indices must lie in [0, {n_models}), got [{low}, {high}]")
        if np.any(a == b):
            raise ValueError("a model cannot be compared with itself (model_a == model_b)")


def _collapse(
    key: IntArray, weights: FloatArray | None, n_keys: int
) -> tuple[IntArray, FloatArray, FloatArray | None]:
    """Sum ``weights`` (and their squares) per distinct key; returns (keys, sums, sq_sums)."""
    if n_keys <= max(_DENSE_CELL_LIMIT, 2 * key.size):
        sums = fbincount(key, weights, n_keys)
        keys = np.flatnonzero(sums).astype(np.int64)
        sq = None if weights is None else fbincount(key, weights * weights, n_keys)[keys]
        return keys, sums[keys], sq
    keys, inverse = np.unique(key, return_inverse=True)
    inverse = inverse.astype(np.int64)
    sums = fbincount(inverse, weights, keys.size)
    sq = None if weights is None else fbincount(inverse, weights * weights, keys.size)
    keep = sums != 0
    return keys[keep].astype(np.int64), sums[keep], None if sq is None else sq[keep]


def _from_keys(
    keys: IntArray,
    sums: FloatArray,
    sq: FloatArray | None,
    n_models: int,
) -> PairCounts:
    """Build PairCounts from collapsed keys ``(lo * n + hi) * 3 + kind``."""
    pair = keys // 3
    kind = keys % 3
    pairs, row = np.unique(pair, return_inverse=True)
    k = pairs.size
    table = np.zeros((k, 3))
    table[row, kind] = sums
    sq_table: FloatArray | None = None
    if sq is not None:
        sq_table = np.zeros((k, 3))
        sq_table[row, kind] = sq
    return PairCounts(
        a=(pairs // n_models).astype(np.int64),
        b=(pairs % n_models).astype(np.int64),
        wins_a=table[:, 0].copy(),
        wins_b=table[:, 1].copy(),
        ties=table[:, 2].copy(),
        n_models=int(n_models),
        squared_weights=sq_table,
    )


def aggregate(
    model_a: ArrayLike,
    model_b: ArrayLike,
    outcome: ArrayLike,
    n_models: int,
    weights: ArrayLike | None = None,
) -> PairCounts:
    """Collapse a per-vote log into per-pair outcome counts.

    ``model_a``/``model_b`` are model indices of the two sides, ``outcome`` the codes
    ``OUTCOME_A``/``OUTCOME_B``/``OUTCOME_TIE``/``OUTCOME_BOTH_BAD``. Sides are normalised so
    each row has ``a < b``; both tie kinds land in ``ties``. ``weights`` (e.g. inverse
    probability weights) multiply each vote. One ``np.bincount`` over a combined key, no
    Python loop over votes.
    """
    a = _as_index(model_a, "model_a")
    b = _as_index(model_b, "model_b")
    out = _as_index(outcome, "outcome")
    if out.shape != a.shape:
        raise ValueError("outcome must have one entry per vote")
    _check_models(a, b, n_models)
    if out.size and (int(out.min()) < 0 or int(out.max()) > OUTCOME_BOTH_BAD):
        raise ValueError(
            "outcome codes must be OUTCOME_A, OUTCOME_B, OUTCOME_TIE or OUTCOME_BOTH_BAD"
        )
    w: FloatArray | None = None
    if weights is not None:
        w = np.asarray(weights, dtype=np.float64)
        if w.shape != a.shape:
            raise ValueError("weights must have one entry per vote")
        if not np.all(np.isfinite(w)) or np.any(w < 0):
            raise ValueError("weights must be finite and non-negative")
    swapped = a > b
    lo = np.where(swapped, b, a)
    hi = np.where(swapped, a, b)
    # kind 0: lo won, 1: hi won, 2: tie of either kind.
    kind = np.where(out >= OUTCOME_TIE, 2, out ^ swapped.astype(np.int64))
    key = (lo * n_models + hi) * 3 + kind
    keys, sums, sq = _collapse(key, w, n_models * n_models * 3)
    return _from_keys(keys, sums, sq, n_models)


def pair_counts_from_cells(
    a: ArrayLike,
    b: ArrayLike,
    wins_a: ArrayLike,
    wins_b: ArrayLike,
    ties: ArrayLike,
    n_models: int,
) -> PairCounts:
    """Build PairCounts from already-aggregated *ordered* cells (the store's table).

    Cells may have ``a > b`` and the same pair may appear in both orders; they are swapped
    to ``a < b`` and merged. Cells whose counts are all zero are dropped.
    """
    ia = _as_index(a, "a")
    ib = _as_index(b, "b")
    _check_models(ia, ib, n_models)
    cols = [np.asarray(x, dtype=np.float64) for x in (wins_a, wins_b, ties)]
    for col in cols:
        if col.shape != ia.shape:
            raise ValueError("count arrays must have one entry per cell")
        if not np.all(np.isfinite(col)) or np.any(col < 0):
            raise ValueError("counts must be finite and non-negative")
    wa, wb, t = cols
    swapped = ia > ib
    lo = np.where(swapped, ib, ia)
    hi = np.where(swapped, ia, ib)
    pair_key = lo * n_models + hi
    pairs, inverse = np.unique(pair_key, return_inverse=True)
    k = pairs.size
    first = fbincount(inverse, np.where(swapped, wb, wa), k)
    second = fbincount(inverse, np.where(swapped, wa, wb), k)
    tied = fbincount(inverse, t, k)
    keep = (first + second + tied) > 0
    pairs = pairs[keep]
    return PairCounts(
        a=(pairs // n_models).astype(np.int64),
        b=(pairs % n_models).astype(np.int64),
        wins_a=first[keep],
        wins_b=second[keep],
        ties=tied[keep],
        n_models=int(n_models),
    )
