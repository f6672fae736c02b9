from __future__ import annotations

import numpy as np

from modelarena.ratings import (
    TIED_SHARE,
    aggregate,
    fit_bradley_terry,
    fragility,
    pair_counts_from_cells,
)
from modelarena.ratings.simulate import simulate_votes


def test_near_tie_is_tied_and_separated_pair_is_not() -> None:
    truth = np.array([1300.0, 1299.0, 1000.0, 800.0])
    votes = simulate_votes(truth, 40_000, seed=1)
    counts = aggregate(votes.model_a, votes.model_b, votes.outcome, 4)
    fit = fit_bradley_terry(counts)
    pairs = fragility(counts, fit, top=4)
    assert len(pairs) == 3
    assert {pairs[0].upper, pairs[0].lower} == {0, 1}
    assert pairs[0].tied and pairs[0].share_to_swap < TIED_SHARE
    assert (pairs[1].upper, pairs[1].lower) == (int(np.argsort(-fit.ratings)[1]), 2)
    assert not pairs[1].tied and pairs[1].share_to_swap > 0.05
    assert not pairs[2].tied


def test_votes_to_swap_matches_refit() -> None:
    # A beat B 60-40: removing A's wins swaps them after about 20 removals
    counts = pair_counts_from_cells([0], [1], [60], [40], [0], 2)
    fit = fit_bradley_terry(counts)
    (pair,) = fragility(counts, fit)
    assert (pair.upper, pair.lower) == (0, 1)
    # linear approximation: gap ln(1.5) / per-vote effect (0.4 / (100 * 0.24))
    assert 15.0 < pair.votes_to_swap < 30.0
    assert pair.share_to_swap == pair.votes_to_swap / 100.0
    removed = int(np.ceil(pair.votes_to_swap))
    refit = fit_bradley_terry(pair_counts_from_cells([0], [1], [60 - removed], [40], [0], 2))
    assert refit.ratings[0] <= refit.ratings[1] + 5.0


def test_top_limits_pairs() -> None:
    truth = np.linspace(1200, 800, 12)
    votes = simulate_votes(truth, 20_000, seed=2)
    counts = aggregate(votes.model_a, votes.model_b, votes.outcome, 12)
    fit = fit_bradley_terry(counts)
    assert len(fragility(counts, fit, top=5)) == 4
    assert len(fragility(counts, fit)) == 9
    davidson = fit_bradley_terry(counts, ties="davidson")
    assert len(fragility(counts, davidson, top=3)) == 2


def test_a_handful_of_votes_is_a_tie_on_small_boards() -> None:
    counts = pair_counts_from_cells([0], [1], [6], [4], [0], 2)
    (pair,) = fragility(counts, fit_bradley_terry(counts))
    assert pair.votes_to_swap < 10 and pair.share_to_swap > 0.01
    assert pair.tied


def test_pairs_among_the_given_models_only() -> None:
    # model 1 sits between 0 and 2; hiding it makes 0 and 2 neighbours, and it is never named
    truth = np.array([1200.0, 1150.0, 1100.0, 900.0])
    votes = simulate_votes(truth, 8_000, seed=4)
    counts = aggregate(votes.model_a, votes.model_b, votes.outcome, 4)
    fit = fit_bradley_terry(counts)
    pairs = fragility(counts, fit, top=10, models=np.array([0, 2, 3]))
    assert [(p.upper, p.lower) for p in pairs] == [(0, 2), (2, 3)]
    full = fragility(counts, fit, top=10)
    assert [(p.upper, p.lower) for p in full] == [(0, 1), (1, 2), (2, 3)]
