"""Shares with a Poisson bootstrap over models: the point estimate, the counts, and the large-n
path (heavy models exact, the light tail through its normal limit) against the exact one."""

from __future__ import annotations

import numpy as np
import pytest

from modelarena.landscape.shares import bootstrap_shares


def test_shares_counts_and_interval_on_a_small_case() -> None:
    # model 0 splits between categories 0 and 1 (a merge); models 1-3 in one category each
    model = np.array([0, 0, 1, 2, 3])
    cat = np.array([0, 1, 1, 2, 2])
    value = np.array([5.0, 5.0, 30.0, 40.0, 20.0])
    r = bootstrap_shares(model, np.zeros(5, int), cat, value, panels=1, categories=3, reps=300)
    assert r.totals[0].tolist() == [5.0, 35.0, 60.0]
    assert r.shares[0] == pytest.approx([0.05, 0.35, 0.6])
    assert r.models[0].tolist() == [1, 2, 2]
    assert np.all(r.lower <= r.shares) and np.all(r.shares <= r.upper)
    assert r.upper[0, 2] - r.lower[0, 2] > 0.2  # four models: a wide interval
    none = bootstrap_shares(model, np.zeros(5, int), cat, value, panels=1, categories=3, reps=0)
    assert np.isnan(none.lower).all()


def test_an_empty_panel_has_no_share_and_no_interval() -> None:
    r = bootstrap_shares(
        np.array([0, 1]),
        np.array([0, 0]),
        np.array([0, 1]),
        np.array([1.0, 3.0]),
        panels=2,
        categories=2,
        reps=50,
    )
    assert np.isnan(r.shares[1]).all() and np.isnan(r.lower[1]).all()
    assert r.shares[0].tolist() == [0.25, 0.75]


def test_light_tail_normal_limit_agrees_with_the_exact_bootstrap() -> None:
    rng = np.random.default_rng(7)
    n = 40_000
    cat = rng.integers(0, 4, n)
    value = rng.lognormal(3.0, 2.5, n)
    args = (np.arange(n), np.zeros(n, int), cat, value)
    exact = bootstrap_shares(*args, panels=1, categories=4, reps=400, seed=1, exact_models=n)
    fast = bootstrap_shares(*args, panels=1, categories=4, reps=400, seed=2, exact_models=2_000)
    assert fast.shares == pytest.approx(exact.shares)
    width = exact.upper - exact.lower
    assert np.abs(fast.lower - exact.lower).max() < 0.15 * width.max()
    assert np.abs(fast.upper - exact.upper).max() < 0.15 * width.max()
