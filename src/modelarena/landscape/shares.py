"""Shares with a bootstrap interval over models (pure numpy).

A share here is the part of a panel's total (downloads, or a count of new models) that falls
in one category (a region, an uploader). Rows are (model, panel, category, value); a model may
give several rows (a merge credits each parent's root). The interval resamples models, not
rows, with the Poisson bootstrap (each model weighted by a Poisson(1) count per replicate),
which is the multinomial bootstrap's large-sample form and costs one small integer per model:
it says how much a share rests on a few heavy models.

At full-Hub size (millions of models) each replicate is kept cheap: the ``exact_models``
heaviest models are resampled one by one, and the rest (each a small part of any total) enter
through the normal limit of their Poisson-bootstrap sum, mean sum(v) and variance sum(v^2) per
cell, which the central limit theorem justifies for many small terms. Below ``exact_models``
models everything is resampled exactly.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

DEFAULT_REPS = 200
EXACT_MODELS = 50_000


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
    exact_models: int = EXACT_MODELS,
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
    span = int(model.max()) + 1 if len(model) else 1
    pairs = distinct_values(cell[nonzero] * span + model[nonzero])  # distinct (cell, model)
    counted = np.bincount(pairs // span, minlength=size)
    models = counted.reshape(panels, categories).astype(np.int64)
    lower = np.full((panels, categories), np.nan)
    upper = np.full((panels, categories), np.nan)
    if reps > 0 and len(value):
        uniq, dense = _dense(model)
        heavy_rows = np.ones(len(model), bool)
        mean: npt.NDArray[np.float64] = np.zeros(size)
        sd: npt.NDArray[np.float64] = np.zeros(size)
        if len(uniq) > exact_models:
            weight_of = np.zeros(len(uniq))
            np.maximum.at(weight_of, dense, np.abs(value))
            heavy = np.zeros(len(uniq), bool)
            heavy[np.argpartition(-weight_of, exact_models)[:exact_models]] = True
            heavy_rows = heavy[dense]
            light = ~heavy_rows
            mean = np.bincount(cell[light], weights=value[light], minlength=size).astype(float)
            sd = np.sqrt(np.bincount(cell[light], weights=value[light] ** 2, minlength=size))
            uniq, dense = _dense(dense[heavy_rows])
        h_cell, h_value = cell[heavy_rows], value[heavy_rows]
        rng = np.random.default_rng(seed)
        draws = np.empty((reps, panels, categories))
        for r in range(reps):
            weight = _TABLE[rng.integers(0, 65536, size=len(uniq), dtype=np.uint16)]
            sums = np.bincount(h_cell, weights=h_value * weight[dense], minlength=size)
            if sd.any():
                sums = np.maximum(sums + mean + sd * rng.standard_normal(size), 0.0)
            sums = sums.reshape(panels, categories)
            with np.errstate(invalid="ignore", divide="ignore"):
                draws[r] = sums / sums.sum(axis=1, keepdims=True)
        lower, upper = _percentiles(draws)
    return Shares(totals, shares, lower, upper, models, reps)


def distinct_values(values: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """Sorted distinct values (a sort: numpy's hash-based unique is far slower here)."""
    ordered = np.sort(values)
    keep = np.ones(len(ordered), bool)
    keep[1:] = ordered[1:] != ordered[:-1]
    return ordered[keep]


def _dense(
    values: npt.NDArray[np.int64],
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """(distinct values, each value's index among them)."""
    if not len(values):
        return values, values
    top = int(values.max()) + 1
    if values.min() >= 0 and top <= 4 * len(values):  # small ids (row numbers): no sort
        present = np.zeros(top, bool)
        present[values] = True
        remap = np.cumsum(present) - 1
        return np.flatnonzero(present).astype(np.int64), remap[values].astype(np.int64)
    order = np.argsort(values, kind="stable")
    ordered = values[order]
    start = np.ones(len(ordered), bool)
    start[1:] = ordered[1:] != ordered[:-1]
    index = np.empty(len(values), np.int64)
    index[order] = np.cumsum(start) - 1
    return ordered[start], index


def _percentiles(
    draws: npt.NDArray[np.float64],
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """2.5th and 97.5th percentiles over axis 0, ignoring the replicates where a panel was
    empty (nan), with numpy's default linear interpolation; nan where none is left."""
    ordered = np.sort(draws, axis=0)  # nan sorts last
    valid = (~np.isnan(ordered)).sum(axis=0)
    out = []
    for q in (0.025, 0.975):
        pos = q * np.maximum(valid - 1, 0)
        lo = np.floor(pos).astype(np.int64)
        hi = np.minimum(lo + 1, np.maximum(valid - 1, 0))
        a = np.take_along_axis(ordered, lo[None], axis=0)[0]
        b = np.take_along_axis(ordered, hi[None], axis=0)[0]
        value = a + (b - a) * (pos - lo)
        out.append(np.where(valid > 0, value, np.nan))
    return out[0], out[1]


__all__ = ["DEFAULT_REPS", "Shares", "bootstrap_shares", "distinct_values"]
