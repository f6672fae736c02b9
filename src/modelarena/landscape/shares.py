"""Shares with a bootstrap interval over models (pure numpy).

A share here is the part of a panel's total (downloads, or a count of new models) that falls
in one category (a region, an uploader). Rows are (model, panel, category, value); a model may
give several rows (a merge credits each parent's root). The interval resamples models, not
rows, with the Poisson bootstrap (each model weighted by a Poisson(1) count per replicate),
which is the multinomial bootstrap's large-sample form and costs one small integer per model:
it says how much a share rests on a few heavy models.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

DEFAULT_REPS = 200


def _poisson_table() -> npt.NDArray[np.uint8]:
    """Poisson(1) counts for uniform 16-bit draws (inverse CDF on a 65,536-point grid)."""
    k = np.arange(20)
    pmf = np.exp(-1.0) / np.cumprod(np.concatenate(([1.0], k[1:].astype(float))))
    cdf = np.cumsum(pmf)
    grid = (np.arange(65536) + 0.5) / 65536
    return np.searchsorted(cdf, grid).astype(np.uint8)


_TABLE = _poisson_table()


@dataclass(frozen=True)
class Shares:
    totals: npt.NDArray[np.float64]  # (panels, categories): summed values
    shares: npt.NDArray[np.float64]  # totals / panel total (nan for an empty panel)
    lower: npt.NDArray[np.float64]  # 2.5th percentile over replicates (nan without reps)
    upper: npt.NDArray[np.float64]
    models: npt.NDArray[np.int64]  # distinct models with a nonzero value per cell
    reps: int


def bootstrap_shares(
    model: npt.NDArray[np.int64],
    panel: npt.NDArray[np.int64],
    category: npt.NDArray[np.int64],
    value: npt.NDArray[np.float64],
    *,
    panels: int,
    categories: int,
    reps: int = DEFAULT_REPS,
    seed: int = 0,
) -> Shares:
    """Shares of each category within each panel, with a 95% percentile interval from
    ``reps`` Poisson-bootstrap replicates over ``model`` (0 replicates: no interval)."""
    model = np.asarray(model, dtype=np.int64)
    cell = np.asarray(panel, dtype=np.int64) * categories + np.asarray(category, dtype=np.int64)
    value = np.asarray(value, dtype=np.float64)
    size = panels * categories
    summed = np.bincount(cell, weights=value, minlength=size).astype(np.float64)
    totals: npt.NDArray[np.float64] = summed.reshape(panels, categories)
    with np.errstate(invalid="ignore", divide="ignore"):
        shares = totals / totals.sum(axis=1, keepdims=True)
    nonzero = value != 0
    pairs = np.unique(np.stack([cell[nonzero], model[nonzero]]), axis=1)
    models = np.bincount(pairs[0], minlength=size).reshape(panels, categories).astype(np.int64)
    lower = np.full((panels, categories), np.nan)
    upper = np.full((panels, categories), np.nan)
    if reps > 0 and len(value):
        # renumber the models densely so the weights array is no larger than needed
        uniq, dense = np.unique(model, return_inverse=True)
        rng = np.random.default_rng(seed)
        draws = np.empty((reps, panels, categories))
        for r in range(reps):
            weight = _TABLE[rng.integers(0, 65536, size=len(uniq), dtype=np.uint16)]
            sums = np.bincount(cell, weights=value * weight[dense], minlength=size)
            sums = sums.reshape(panels, categories)
            with np.errstate(invalid="ignore", divide="ignore"):
                draws[r] = sums / sums.sum(axis=1, keepdims=True)
        with warnings.catch_warnings():  # an empty panel has no interval: nan, said so
            warnings.simplefilter("ignore", RuntimeWarning)
            lower = np.nanpercentile(draws, 2.5, axis=0)
            upper = np.nanpercentile(draws, 97.5, axis=0)
    return Shares(totals, shares, lower, upper, models, reps)


__all__ = ["DEFAULT_REPS", "Shares", "bootstrap_shares"]
