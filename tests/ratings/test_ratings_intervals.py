from __future__ import annotations

import numpy as np
import pytest

from modelarena.ratings import (
    MIN_INTERVAL_VOTES,
    PairCounts,
    aggregate,
    connected_components,
    fit_bradley_terry,
    has_interval,
    inverse_probability_weights,
    is_provisional,
    largest_component,
    mle_is_finite,
    pair_counts_from_cells,
    rank_bounds,
    sandwich_covariance,
    sandwich_intervals,
)
from modelarena.ratings.intervals import fitted_information
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


def test_one_tie_vote_does_not_give_a_zero_width_interval() -> None:
    # one tie: the vote's score is 0, so the empirical sandwich alone collapsed to +-0
    counts = aggregate(np.array([0]), np.array([1]), np.array([2]), 2)
    fit = fit_bradley_terry(counts)
    ci = sandwich_intervals(counts, fit)
    assert np.all(ci.upper - ci.lower > 200.0)  # two equal models after one vote: very wide
    assert not np.any(has_interval(counts.votes_per_model()))  # and not shown anyway


def test_ties_only_keep_a_positive_interval() -> None:
    # three models, every vote a tie: no score variance at all in the data
    a = np.array([0, 1, 2] * 4)
    b = np.array([1, 2, 0] * 4)
    counts = aggregate(a, b, np.full(12, 2), 3)
    ci = sandwich_intervals(counts, fit_bradley_terry(counts))
    assert np.all(ci.se > 10.0)


def test_sandwich_is_never_narrower_than_inverse_fisher_without_ties() -> None:
    # Without ties the model-based interval is the classical inverse-Fisher one; on a few
    # votes the empirical sandwich alone was narrower than it for some models.
    checked = 0
    for rep in range(40):
        truth = true_ratings(5, seed=rep, sd=150.0)
        v = simulate_votes(truth, 30, seed=100 + rep, tie_rate=0.0)
        counts = aggregate(v.model_a, v.model_b, v.outcome, 5)
        if len(connected_components(counts)) > 1 or not mle_is_finite(counts):
            continue
        fit = fit_bradley_terry(counts)
        info = fitted_information(counts, fit)
        inv = np.linalg.inv(info)[:5, :5]
        centre = np.eye(5) - 1.0 / 5
        unit = 400.0 / np.log(10.0)
        fisher_se = np.sqrt(np.diag(centre @ inv @ centre)) * unit
        se = sandwich_intervals(counts, fit).se
        assert np.all(se >= fisher_se - 1e-6)
        checked += 1
    assert checked >= 10


@pytest.mark.parametrize(("ties", "seed"), [(0.0, 11), (0.2, 12)])
def test_coverage_on_small_boards(ties: float, seed: int) -> None:
    """1 to 50 votes per model: 93-97% for every model with enough votes to be shown."""
    cases = hits = 0
    for per_model, reps in ((10, 250), (20, 200), (50, 120)):
        truth = true_ratings(4, seed=seed + per_model, sd=150.0)
        for rep in range(reps):
            v = simulate_votes(truth, 2 * per_model, seed=seed * 1000 + rep, tie_rate=ties)
            counts, main = largest_component(aggregate(v.model_a, v.model_b, v.outcome, 4))
            fit = fit_bradley_terry(counts)
            ci = sandwich_intervals(counts, fit)
            centred = truth[main] - truth[main].mean() + fit.ratings.mean()
            shown = has_interval(counts.votes_per_model())
            cases += int(shown.sum())
            hits += int(np.sum(shown & (ci.lower <= centred) & (centred <= ci.upper)))
    assert cases > 1500
    assert 0.93 <= hits / cases <= 0.97


def test_has_interval_threshold() -> None:
    votes = np.array([0.0, MIN_INTERVAL_VOTES - 1, MIN_INTERVAL_VOTES, 1000.0])
    assert has_interval(votes).tolist() == [False, False, True, True]
