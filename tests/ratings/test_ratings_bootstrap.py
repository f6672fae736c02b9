from __future__ import annotations

import numpy as np
import pytest

from modelarena.ratings import (
    aggregate,
    bootstrap_intervals,
    bootstrap_ratings,
    fit_bradley_terry,
    inverse_probability_weights,
    rank_intervals,
    sandwich_intervals,
)
from modelarena.ratings import bootstrap as bootstrap_module
from modelarena.ratings.simulate import simulate_votes, true_ratings


def _counts(n: int = 8, votes: int = 5000, seed: int = 1, **kw: object):  # type: ignore[no-untyped-def]
    v = simulate_votes(true_ratings(n, seed=seed), votes, seed=seed + 1, **kw)  # type: ignore[arg-type]
    return aggregate(v.model_a, v.model_b, v.outcome, n), v


def test_bootstrap_is_reproducible() -> None:
    counts, _ = _counts()
    one = bootstrap_intervals(counts, rounds=200, seed=3)
    two = bootstrap_intervals(counts, rounds=200, seed=3)
    three = bootstrap_intervals(counts, rounds=200, seed=4)
    np.testing.assert_array_equal(one.lower, two.lower)
    np.testing.assert_array_equal(one.upper, two.upper)
    assert not np.array_equal(one.lower, three.lower)
    assert one.method == "bootstrap"


def test_bootstrap_roughly_agrees_with_sandwich() -> None:
    counts, _ = _counts(votes=20_000)
    fit = fit_bradley_terry(counts)
    boot = bootstrap_intervals(counts, rounds=600, seed=5, fit=fit)
    sand = sandwich_intervals(counts, fit)
    np.testing.assert_allclose(boot.se, sand.se, rtol=0.15)
    np.testing.assert_allclose(boot.lower, sand.lower, atol=0.5 * sand.se.max())
    np.testing.assert_allclose(boot.upper, sand.upper, atol=0.5 * sand.se.max())


def test_chord_refit_matches_exact_refit() -> None:
    counts, _ = _counts(n=6, votes=3000)
    fit = fit_bradley_terry(counts)
    fast = bootstrap_ratings(counts, rounds=5, seed=7, fit=fit)
    # the same draws, refitted exactly one by one
    total, probs, unit = bootstrap_module._resample_inputs(counts)
    rng = np.random.default_rng(np.random.SeedSequence(7).spawn(1)[0])
    draws = (bootstrap_module.multinomial_rows(rng, total, probs, 5) * unit).reshape(
        5, counts.n_pairs, 3
    )
    for r in range(5):
        exact = bootstrap_module._exact(counts, draws[r], "half", 0.0)
        exact = exact * 400 / np.log(10)
        np.testing.assert_allclose(fast[r], exact - exact.mean() + 1000.0, atol=1e-5)


def test_davidson_bootstrap_close_to_sandwich() -> None:
    counts, _ = _counts(votes=20_000, tie_model="davidson")
    fit = fit_bradley_terry(counts, ties="davidson")
    boot = bootstrap_intervals(counts, rounds=300, seed=8, ties="davidson", fit=fit)
    sand = sandwich_intervals(counts, fit)
    np.testing.assert_allclose(boot.se, sand.se, rtol=0.2)


def test_weighted_bootstrap_close_to_sandwich() -> None:
    v = simulate_votes(true_ratings(6, seed=9), 20_000, seed=10)
    w = inverse_probability_weights(np.random.default_rng(0).uniform(0.2, 1.0, 20_000))
    counts = aggregate(v.model_a, v.model_b, v.outcome, 6, w)
    fit = fit_bradley_terry(counts)
    boot = bootstrap_intervals(counts, rounds=400, seed=11, fit=fit)
    sand = sandwich_intervals(counts, fit)
    np.testing.assert_allclose(boot.se, sand.se, rtol=0.2)


def test_rank_intervals() -> None:
    samples = np.array([[3.0, 2.0, 1.0], [3.0, 1.0, 2.0], [3.0, 2.0, 1.0], [3.0, 1.0, 2.0]])
    best, worst = rank_intervals(samples, level=0.5)
    assert best.tolist() == [1, 2, 2]
    assert worst.tolist() == [1, 3, 3]


def test_rank_intervals_from_bootstrap_cover_true_order() -> None:
    counts, _ = _counts(n=6, votes=30_000)
    samples = bootstrap_ratings(counts, rounds=200, seed=12)
    best, worst = rank_intervals(samples)
    fit = fit_bradley_terry(counts)
    point = 1 + np.argsort(np.argsort(-fit.ratings))
    assert np.all(best <= point) and np.all(point <= worst)


def test_bootstrap_rejects_zero_rounds() -> None:
    counts, _ = _counts(n=3, votes=100)
    with pytest.raises(ValueError):
        bootstrap_intervals(counts, rounds=0)


def test_sparse_data_with_separation_stays_finite() -> None:
    v = simulate_votes(true_ratings(10, seed=1, sd=300.0), 40, seed=3)
    counts = aggregate(v.model_a, v.model_b, v.outcome, 10)
    boot = bootstrap_intervals(counts, rounds=100, seed=1)
    assert np.all(np.isfinite(boot.lower)) and np.all(np.isfinite(boot.upper))
    assert np.all(boot.lower <= boot.upper)


def test_anchored_bootstrap() -> None:
    counts, _ = _counts(n=5, votes=5000)
    samples = bootstrap_ratings(counts, rounds=50, seed=2, anchor=(1, 1200.0))
    np.testing.assert_allclose(samples[:, 1], 1200.0)


@pytest.mark.parametrize("total", [7, 1_000])
def test_multinomial_rows_is_multinomial(total: int) -> None:
    probs = np.array([0.5, 0.3, 0.15, 0.05])
    rows = bootstrap_module.multinomial_rows(np.random.default_rng(0), total, probs, 40_000)
    assert np.all(rows.sum(axis=1) == total) and np.all(rows >= 0)
    np.testing.assert_allclose(rows.mean(axis=0), total * probs, rtol=0.02, atol=0.02)
    expected_cov = total * (np.diag(probs) - np.outer(probs, probs))
    np.testing.assert_allclose(np.cov(rows.T), expected_cov, rtol=0.05, atol=0.01 * total)


def test_bootstrap_follows_the_fit_scale() -> None:
    counts, _ = _counts(n=5, votes=5000)
    fit = fit_bradley_terry(counts, anchor=(0, 1500.0))
    boot = bootstrap_intervals(counts, rounds=50, seed=1, fit=fit)
    assert boot.lower[0] == pytest.approx(1500.0) and boot.upper[0] == pytest.approx(1500.0)
    assert np.all(boot.lower <= fit.ratings + 1e-9) and np.all(fit.ratings <= boot.upper + 1e-9)
