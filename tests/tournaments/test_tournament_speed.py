"""No speed bias: finish times never reach the bracket, and a fast model that is as good as
its twin does not gain rating (while a "first two finished" design does)."""

from __future__ import annotations

import numpy as np

from modelarena import ratings
from modelarena.ratings.clustered import clustered_covariance
from modelarena.tournaments.simulate import (
    BRACKET,
    FIRST_FINISHED,
    SessionModel,
    SimulatedVotes,
    simulate_tournaments,
)

TRUE = np.array([1000.0, 1000.0, 900.0, 950.0, 1050.0, 1100.0, 1150.0, 850.0])
TIMES = np.array([1.0] + [5.0] * 7)
BIASED_VOTERS = SessionModel(left_bias=30.0, first_bias=30.0, sessions_per_voter=5)


def fast_minus_twin(v: SimulatedVotes) -> tuple[float, float]:
    counts = ratings.aggregate(v.model_a, v.model_b, v.outcome, len(TRUE))
    fit = ratings.fit_bradley_terry(counts)
    cov = clustered_covariance(
        counts, fit, v.model_a, v.model_b, v.outcome, sessions=v.session, voters=v.voter
    )
    return float(fit.ratings[0] - fit.ratings[1]), float(
        np.sqrt(cov[0, 0] + cov[1, 1] - 2 * cov[0, 1])
    )


def test_finish_times_never_change_the_bracket() -> None:
    slow_fast = simulate_tournaments(TRUE, 200, seed=4, finish_time=TIMES)
    no_times = simulate_tournaments(TRUE, 200, seed=4)
    for field in ("model_a", "model_b", "outcome", "first_shown"):
        assert np.array_equal(getattr(slow_fast, field), getattr(no_times, field))


def test_fast_model_is_first_only_by_chance() -> None:
    v = simulate_tournaments(TRUE, 2000, seed=5, finish_time=TIMES, policy=BRACKET)
    first_pair = v.model_a[::4], v.model_b[::4]  # the first vote of each session
    in_session = np.zeros(2000, dtype=bool)
    np.logical_or.at(in_session, v.session, (v.model_a == 0) | (v.model_b == 0))
    share = ((first_pair[0] == 0) | (first_pair[1] == 0)).sum() / in_session.sum()
    assert 0.45 < share < 0.55  # two of the four slots: one half
    ff = simulate_tournaments(TRUE, 2000, seed=5, finish_time=TIMES, policy=FIRST_FINISHED)
    assert ((ff.model_a[::4] == 0) | (ff.model_b[::4] == 0)).sum() / in_session.sum() > 0.95


def test_a_fast_model_gains_nothing_in_the_bracket() -> None:
    ours = simulate_tournaments(
        TRUE, 3000, seed=6, behaviour=BIASED_VOTERS, finish_time=TIMES, policy=BRACKET
    )
    diff, se = fast_minus_twin(ours)
    assert abs(diff) < 2.5 * se and se < 10
    theirs = simulate_tournaments(
        TRUE, 3000, seed=6, behaviour=BIASED_VOTERS, finish_time=TIMES, policy=FIRST_FINISHED
    )
    diff_ff, se_ff = fast_minus_twin(theirs)
    assert diff_ff > 2.5 * se_ff  # the same voters under "first two finished": it gains
