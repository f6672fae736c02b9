from __future__ import annotations

import numpy as np
import pytest

from modelarena.ratings import (
    PairCounts,
    aggregate,
    fit_bradley_terry,
    inverse_probability_weights,
    is_provisional,
    pair_counts_from_cells,
    rank_bounds,
    sandwich_covariance,
    sandwich_intervals,
)
from modelarena.ratings.simulate import simulate_votes, true_ratings


def _coverage(
    n_models: int,
    n_votes: int,
    reps: int,
    seed: int,
    *,
    skewed: bool = False,
    ties: str = "half",
) -> float:
    """Share of (rep, model) cases where the 95% sandwich interval covers the truth."""
    truth = true_ratings(n_models, seed=seed, sd=120.0)
    pair_weights = None
    if skewed:
        # strongly non-uniform sampling: pairs involving low-index models are favoured
        rank = np.arange(n_models, dtype=np.float64)
        pair_weights = np.exp(-(rank[:, None] + rank[None, :]) / n_models * 2.0)
    hits = 0
    for rep in range(reps):
        votes = simulate_votes(
            truth, n_votes, seed=seed * 10_000 + rep, pair_weights=pair_weights, tie_model=ties
        )
        weights = inverse_probability_weights(votes.pair_probability) if skewed else None
        counts = aggregate(votes.model_a, votes.model_b, votes.outcome, n_models, weights)
        fit = fit_bradley_terry(counts, ties=ties)
        ci = sandwich_intervals(counts, fit)
        hits += int(np.sum((ci.lower <= truth) & (truth <= ci.upper)))
    return hits / (reps * n_models)


@pytest.mark.parametrize(
    ("n_models", "n_votes", "reps", "seed"),
    [(4, 600, 400, 1), (8, 3000, 250, 2), (20, 20_000, 100, 3)],
)
def test_sandwich_coverage_uniform(n_models: int, n_votes: int, reps: int, seed: int) -> None:
    assert 0.93 <= _coverage(n_models, n_votes, reps, seed) <= 0.97


def test_sandwich_coverage_skewed_sampling_with_ipw() -> None:
    assert 0.93 <= _coverage(8, 4000, 250, 4, skewed=True) <= 0.97


def test_sandwich_coverage_davidson() -> None:
    assert 0.93 <= _coverage(6, 3000, 250, 5, ties="davidson") <= 0.97


def test_se_follows_rule_of_thumb() -> None:
    # Two even models, 1000 votes, no ties: the difference has SE 347/sqrt(1000) ~ 11
    # points (the brief's rule of thumb); each centred rating carries half of it.
    counts = pair_counts_from_cells([0], [1], [500], [500], [0], 2)
    fit = fit_bradley_terry(counts)
    ci = sandwich_intervals(counts, fit)
    se_diff = 2 * 400 / np.log(10) / np.sqrt(1000)
    assert se_diff == pytest.approx(10.987, abs=1e-3)
    np.testing.assert_allclose(ci.se, [se_diff / 2, se_diff / 2], rtol=1e-9)
    assert ci.method == "sandwich" and ci.level == 0.95
    np.testing.assert_allclose(ci.upper - ci.lower, 2 * 1.959963985 * ci.se, rtol=1e-8)


def test_anchor_gauge_gives_anchor_zero_se() -> None:
    votes = simulate_votes(true_ratings(5, seed=6), 3000, seed=7)
    counts = aggregate(votes.model_a, votes.model_b, votes.outcome, 5)
    fit = fit_bradley_terry(counts, anchor=(0, 1000.0))
    ci = sandwich_intervals(counts, fit)
    assert ci.se[0] == pytest.approx(0.0, abs=1e-9)
    centred = sandwich_covariance(counts, fit_bradley_terry(counts))
    diff_var = centred[1, 1] + centred[0, 0] - 2 * centred[0, 1]
    assert ci.se[1] ** 2 == pytest.approx(diff_var, rel=1e-8)


def test_weighted_sandwich_uses_squared_weights() -> None:
    votes = simulate_votes(true_ratings(4, seed=8), 2000, seed=9)
    plain = aggregate(votes.model_a, votes.model_b, votes.outcome, 4)
    doubled = aggregate(votes.model_a, votes.model_b, votes.outcome, 4, np.full(2000, 2.0))
    se_plain = sandwich_intervals(plain, fit_bradley_terry(plain)).se
    se_doubled = sandwich_intervals(doubled, fit_bradley_terry(doubled)).se
    np.testing.assert_allclose(se_plain, se_doubled, rtol=1e-8)
    assert isinstance(doubled, PairCounts)


def test_rank_bounds() -> None:
    ratings = np.array([1100.0, 1090.0, 1000.0, 900.0])
    lower = np.array([1080.0, 1060.0, 980.0, 880.0])
    upper = np.array([1120.0, 1110.0, 1020.0, 920.0])
    assert rank_bounds(ratings, lower, upper).tolist() == [1, 1, 3, 4]


def test_is_provisional() -> None:
    lower = np.array([900.0, 980.0, 980.0, np.nan])
    upper = np.array([1100.0, 1020.0, 1020.0, np.nan])
    votes = np.array([5000.0, 5000.0, 100.0, 0.0])
    assert is_provisional(lower, upper, votes).tolist() == [True, False, True, True]
