from __future__ import annotations

import math

import choix
import numpy as np
import pytest
from scipy.optimize import minimize

from modelarena.ratings import (
    OUTCOME_A,
    OUTCOME_B,
    OUTCOME_TIE,
    DisconnectedComparisonGraph,
    aggregate,
    connected_components,
    davidson_log_likelihood,
    fit_bradley_terry,
    mle_is_finite,
    pair_counts_from_cells,
)
from modelarena.ratings.simulate import simulate_votes, true_ratings

SCALE = 400.0 / math.log(10.0)


def test_hand_computable_two_models() -> None:
    counts = pair_counts_from_cells([0], [1], [30], [10], [0], 2)
    fit = fit_bradley_terry(counts)
    assert fit.converged
    assert fit.ratings[0] - fit.ratings[1] == pytest.approx(400 * math.log10(3), abs=1e-8)
    assert fit.ratings.mean() == pytest.approx(1000.0, abs=1e-9)
    assert fit.tie_model == "half" and fit.tie_param is None


def test_ties_count_half() -> None:
    counts = pair_counts_from_cells([0], [1], [10], [0], [20], 2)  # 20 wins vs 10
    fit = fit_bradley_terry(counts)
    assert fit.ratings[0] - fit.ratings[1] == pytest.approx(400 * math.log10(2), abs=1e-8)


def test_agrees_with_choix_without_ties() -> None:
    votes = simulate_votes(true_ratings(12, seed=5), 3000, seed=6, tie_rate=0.0)
    win = np.where(votes.outcome == OUTCOME_A, votes.model_a, votes.model_b)
    lose = np.where(votes.outcome == OUTCOME_A, votes.model_b, votes.model_a)
    theta = choix.ilsr_pairwise(
        12,
        list(zip(win.tolist(), lose.tolist(), strict=True)),
        alpha=0.0,
        tol=1e-12,
        max_iter=10_000,
    )
    expected = SCALE * theta
    expected = expected - expected.mean() + 1000.0
    fit = fit_bradley_terry(aggregate(votes.model_a, votes.model_b, votes.outcome, 12))
    np.testing.assert_allclose(fit.ratings, expected, atol=1e-3, rtol=0)


def test_davidson_matches_direct_scipy_fit() -> None:
    n = 6
    votes = simulate_votes(
        true_ratings(n, seed=7), 4000, seed=8, tie_model="davidson", tie_rate=0.25
    )
    counts = aggregate(votes.model_a, votes.model_b, votes.outcome, n)
    fit = fit_bradley_terry(counts, ties="davidson")
    assert fit.tie_model == "davidson" and fit.tie_param is not None

    def negative(x: np.ndarray) -> float:
        ratings = np.append(x[: n - 1], 0.0) * SCALE
        return -davidson_log_likelihood(counts, ratings, math.exp(x[-1]))

    res = minimize(negative, np.zeros(n), method="BFGS", options={"gtol": 1e-9})
    direct = np.append(res.x[: n - 1], 0.0) * SCALE
    direct = direct - direct.mean() + 1000.0
    np.testing.assert_allclose(fit.ratings, direct, atol=1e-3)
    assert fit.tie_param == pytest.approx(math.exp(res.x[-1]), rel=1e-4)
    assert fit.log_likelihood == pytest.approx(-res.fun, abs=1e-6)
    # Davidson's nu for 25% ties between similar models is about 2 * 0.25 / 0.75
    assert 0.5 < fit.tie_param < 0.8


def test_order_invariance() -> None:
    votes = simulate_votes(true_ratings(20, seed=9), 20_000, seed=10)
    perm = np.random.default_rng(11).permutation(votes.outcome.size)
    one = fit_bradley_terry(aggregate(votes.model_a, votes.model_b, votes.outcome, 20))
    two = fit_bradley_terry(
        aggregate(votes.model_a[perm], votes.model_b[perm], votes.outcome[perm], 20)
    )
    assert np.max(np.abs(one.ratings - two.ratings)) < 1e-6


def test_recovers_true_ratings() -> None:
    truth = true_ratings(15, seed=12)
    votes = simulate_votes(truth, 150_000, seed=13)
    fit = fit_bradley_terry(aggregate(votes.model_a, votes.model_b, votes.outcome, 15))
    assert np.max(np.abs(fit.ratings - truth)) < 15.0
    assert np.corrcoef(fit.ratings, truth)[0, 1] > 0.995


def test_davidson_recovers_davidson_truth() -> None:
    truth = true_ratings(10, seed=14)
    votes = simulate_votes(truth, 100_000, seed=15, tie_model="davidson", tie_rate=0.2)
    fit = fit_bradley_terry(
        aggregate(votes.model_a, votes.model_b, votes.outcome, 10), ties="davidson"
    )
    assert np.max(np.abs(fit.ratings - truth)) < 15.0
    assert fit.tie_param == pytest.approx(0.5, rel=0.05)


def test_disconnected_graph_is_reported() -> None:
    counts = pair_counts_from_cells([0, 2, 3], [1, 3, 4], [5, 5, 2], [5, 5, 3], [0, 0, 0], 5)
    comps = connected_components(counts)
    assert [c.tolist() for c in comps] == [[2, 3, 4], [0, 1]]
    with pytest.raises(DisconnectedComparisonGraph) as err:
        fit_bradley_terry(counts)
    assert len(err.value.components) == 2
    assert "2 disconnected components" in str(err.value)


def test_models_without_votes_are_named() -> None:
    counts = pair_counts_from_cells([0], [1], [5], [5], [0], 4)
    with pytest.raises(ValueError, match="without votes cannot be rated: 2, 3"):
        fit_bradley_terry(counts)


def test_anchor_and_mean() -> None:
    votes = simulate_votes(true_ratings(5, seed=16), 2000, seed=17)
    counts = aggregate(votes.model_a, votes.model_b, votes.outcome, 5)
    centred = fit_bradley_terry(counts)
    assert centred.ratings.mean() == pytest.approx(1000.0)
    anchored = fit_bradley_terry(counts, anchor=(2, 1200.0))
    assert anchored.ratings[2] == pytest.approx(1200.0)
    np.testing.assert_allclose(
        anchored.ratings - anchored.ratings[0], centred.ratings - centred.ratings[0], atol=1e-9
    )
    other = fit_bradley_terry(counts, mean=1500.0, scale=1.0, base=math.e)
    assert other.ratings.mean() == pytest.approx(1500.0)


def test_model_that_won_everything_stays_finite() -> None:
    a = np.array([0, 0, 0, 1, 1, 2, 2, 3])
    b = np.array([1, 2, 3, 2, 3, 3, 1, 1])
    out = np.array(
        [OUTCOME_A, OUTCOME_A, OUTCOME_A, OUTCOME_A, OUTCOME_B, OUTCOME_TIE, OUTCOME_B, OUTCOME_A]
    )
    counts = aggregate(a, b, out, 4)
    fit = fit_bradley_terry(counts)
    assert fit.converged
    assert np.all(np.isfinite(fit.ratings))
    assert fit.ridge > 0
    assert int(np.argmax(fit.ratings)) == 0
    assert fit.ratings[0] - fit.ratings[1:].max() < 1500.0


def test_no_ridge_when_mle_exists() -> None:
    counts = pair_counts_from_cells([0, 1], [1, 2], [3, 3], [1, 1], [0, 0], 3)
    assert fit_bradley_terry(counts).ridge == 0.0


def test_davidson_without_ties_reduces_to_bradley_terry() -> None:
    counts = pair_counts_from_cells([0, 1], [1, 2], [3, 5], [1, 2], [0, 0], 3)
    half = fit_bradley_terry(counts)
    dav = fit_bradley_terry(counts, ties="davidson")
    assert dav.tie_param == 0.0
    np.testing.assert_allclose(half.ratings, dav.ratings, atol=1e-8)


def test_rejects_unknown_tie_model() -> None:
    counts = pair_counts_from_cells([0], [1], [3], [1], [0], 2)
    with pytest.raises(ValueError, match="ties"):
        fit_bradley_terry(counts, ties="rao-kupper")


def test_graph_helpers() -> None:
    counts = pair_counts_from_cells([0, 1, 3], [1, 2, 4], [2, 3, 1], [1, 0, 0], [0, 0, 0], 6)
    comps = connected_components(counts)
    assert [c.tolist() for c in comps] == [[0, 1, 2], [3, 4], [5]]
    only_rated = connected_components(counts, models=np.array([0, 1, 2, 3, 4]))
    assert [c.tolist() for c in only_rated] == [[0, 1, 2], [3, 4]]
    assert not mle_is_finite(counts)  # 2 never scored against 1
    cycle = pair_counts_from_cells([0, 1, 0], [1, 2, 2], [1, 1, 0], [0, 0, 1], [0, 0, 0], 3)
    assert mle_is_finite(cycle)


def test_davidson_on_a_few_votes_stays_finite() -> None:
    # one tie and one win sent Davidson's gap and nu to infinity (ratings -2264 and 4264,
    # then a singular covariance); every vote a tie has no finite nu at all
    from modelarena.ratings import fit_connected, sandwich_intervals

    rng = np.random.default_rng(8)
    for _ in range(300):
        n = int(rng.integers(2, 5))
        k = int(rng.integers(1, 7))
        a = rng.integers(0, n, k)
        b = (a + rng.integers(1, n, k)) % n
        counts = aggregate(a, b, rng.integers(0, 3, k), n)
        group = fit_connected(counts, ties="davidson")
        if group is None:
            continue
        ci = sandwich_intervals(group.counts, group.fit)
        assert np.all(np.abs(group.fit.ratings - 1000.0) < 1000.0)
        assert np.all(np.isfinite(ci.lower) & np.isfinite(ci.upper) & (ci.se > 0))
