from __future__ import annotations

import numpy as np
import pytest

from modelarena.ratings import adaptive_pair_probabilities, inverse_probability_weights

RATINGS = np.array([1200.0, 1150.0, 1100.0, 1050.0, 1000.0, 950.0, 900.0, 850.0, 800.0, 1010.0])
SE = np.array([5.0] * 9 + [40.0])
VOTES = np.array([5000.0] * 9 + [150.0])


def test_probabilities_are_a_distribution_with_floor() -> None:
    p = adaptive_pair_probabilities(RATINGS, SE, VOTES)
    iu = np.triu_indices(10, 1)
    assert p[iu].sum() == pytest.approx(1.0)
    np.testing.assert_array_equal(p, p.T)
    assert np.all(np.diag(p) == 0.0)
    assert p[iu].min() >= 0.05 / iu[0].size - 1e-15


def test_new_model_paired_with_neighbours() -> None:
    p = adaptive_pair_probabilities(RATINGS, SE, VOTES)
    new = 9  # estimate 1010: neighbours are models 4 (1000) and 3 (1050)
    assert p[new, 4] > p[new, 0] and p[new, 4] > p[new, 8]
    assert p[new, 3] > p[new, 0]
    assert p[new].sum() > 0.5  # the wide interval gets most of the sampling


def test_masked_models_get_nothing() -> None:
    active = np.ones(10, dtype=bool)
    active[[2, 5]] = False
    p = adaptive_pair_probabilities(RATINGS, SE, VOTES, active=active)
    assert np.all(p[[2, 5]] == 0.0) and np.all(p[:, [2, 5]] == 0.0)
    assert p[np.triu_indices(10, 1)].sum() == pytest.approx(1.0)
    allowed = np.outer(active, active) & ~np.eye(10, dtype=bool)
    assert np.all(p[allowed] > 0)


def test_accepts_covariance_and_unknown_models() -> None:
    cov = np.diag(SE**2)
    np.testing.assert_allclose(
        adaptive_pair_probabilities(RATINGS, cov, VOTES),
        adaptive_pair_probabilities(RATINGS, SE, VOTES),
    )
    ratings = RATINGS.copy()
    ratings[9] = np.nan
    se = SE.copy()
    se[9] = np.nan
    p = adaptive_pair_probabilities(ratings, se, VOTES)
    assert np.all(np.isfinite(p)) and p[9].sum() > 0.5


def test_new_model_boost_increases_share() -> None:
    low = adaptive_pair_probabilities(RATINGS, SE, VOTES, new_model_boost=1.0)
    high = adaptive_pair_probabilities(RATINGS, SE, VOTES, new_model_boost=10.0)
    assert high[9].sum() > low[9].sum()


def test_rejects_single_active_model() -> None:
    active = np.zeros(10, dtype=bool)
    active[0] = True
    with pytest.raises(ValueError):
        adaptive_pair_probabilities(RATINGS, SE, VOTES, active=active)


def test_inverse_probability_weights() -> None:
    w = inverse_probability_weights(np.array([0.5, 0.25, 0.25]))
    assert w.mean() == pytest.approx(1.0)
    np.testing.assert_allclose(w, np.array([2.0, 4.0, 4.0]) / (10 / 3))
    with pytest.raises(ValueError):
        inverse_probability_weights(np.array([0.0, 0.5]))
