"""Cluster-robust sandwich: the same as the plain one without shared clusters, honest on
duplicated votes, two-way equal to voter clustering when sessions nest in voters."""

from __future__ import annotations

import numpy as np
import pytest

from modelarena import ratings
from modelarena.ratings.clustered import clustered_covariance, clustered_intervals
from modelarena.ratings.simulate import simulate_votes


def _board(seed: int = 0, n_votes: int = 3000) -> tuple[np.ndarray, ...]:
    truth = np.array([900.0, 950.0, 1000.0, 1050.0, 1100.0])
    sim = simulate_votes(truth, n_votes, seed=seed)
    return sim.model_a, sim.model_b, sim.outcome


def test_no_shared_cluster_is_the_plain_sandwich() -> None:
    a, b, out = _board()
    counts = ratings.aggregate(a, b, out, 5)
    fit = ratings.fit_bradley_terry(counts)
    plain = ratings.sandwich_covariance(counts, fit)
    alone = np.full(len(a), -1)
    clustered = clustered_covariance(counts, fit, a, b, out, sessions=alone, voters=alone)
    assert np.allclose(clustered, plain, rtol=1e-9, atol=1e-9)
    # every vote its own cluster, written out: the same up to G/(G-1)
    own = np.arange(len(a))
    one_way = clustered_covariance(counts, fit, a, b, out, voters=own, floor=False)
    g = len(a)
    expected = ratings.sandwich_covariance(counts, fit, floor=False) * g / (g - 1)
    assert np.allclose(one_way, expected, rtol=1e-9, atol=1e-9)


def test_duplicated_votes_are_not_counted_as_new_information() -> None:
    a, b, out = _board(seed=1, n_votes=2000)
    counts = ratings.aggregate(a, b, out, 5)
    fit = ratings.fit_bradley_terry(counts)
    se = np.sqrt(np.diag(ratings.sandwich_covariance(counts, fit)))
    # each vote cast twice, identically: twice the votes, no new information
    a2, b2, out2 = (np.concatenate([x, x]) for x in (a, b, out))
    twice = ratings.aggregate(a2, b2, out2, 5)
    fit2 = ratings.fit_bradley_terry(twice)
    naive = np.sqrt(np.diag(ratings.sandwich_covariance(twice, fit2)))
    pairs = np.concatenate([np.arange(len(a)), np.arange(len(a))])
    robust = np.sqrt(np.diag(clustered_covariance(twice, fit2, a2, b2, out2, sessions=pairs)))
    assert np.allclose(naive, se / np.sqrt(2), rtol=0.02)
    assert np.allclose(robust, se, rtol=0.02)


def test_two_way_with_sessions_nested_in_voters_is_voter_clustering() -> None:
    a, b, out = _board(seed=2)
    counts = ratings.aggregate(a, b, out, 5)
    fit = ratings.fit_bradley_terry(counts)
    sessions = np.arange(len(a)) // 4
    voters = sessions // 10
    two = clustered_covariance(counts, fit, a, b, out, sessions=sessions, voters=voters)
    voter = clustered_covariance(counts, fit, a, b, out, voters=voters)
    assert np.allclose(two, voter, rtol=1e-7, atol=1e-7)


def test_intervals_and_bad_input() -> None:
    a, b, out = _board(seed=3)
    counts = ratings.aggregate(a, b, out, 5)
    fit = ratings.fit_bradley_terry(counts)
    iv = clustered_intervals(counts, fit, a, b, out, voters=np.arange(len(a)) // 50)
    assert np.all(iv.lower < fit.ratings) and np.all(fit.ratings < iv.upper)
    assert "Cameron-Gelbach-Miller" in iv.method
    with pytest.raises(ValueError, match="one entry per vote"):
        clustered_covariance(counts, fit, a, b[:-1], out)
    with pytest.raises(ValueError, match="cluster codes"):
        clustered_covariance(counts, fit, a, b, out, sessions=np.zeros(3))


def test_davidson_fit_is_supported() -> None:
    a, b, out = _board(seed=4)
    counts = ratings.aggregate(a, b, out, 5)
    fit = ratings.fit_bradley_terry(counts, ties="davidson")
    alone = np.full(len(a), -1)
    plain = ratings.sandwich_covariance(counts, fit)
    assert np.allclose(clustered_covariance(counts, fit, a, b, out, voters=alone), plain)
