from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.special import expit

from modelarena.ratings import (
    OUTCOME_A,
    OUTCOME_B,
    OUTCOME_TIE,
    aggregate,
    fit_bradley_terry,
    fit_style_controlled,
    style_features,
)
from modelarena.ratings.simulate import true_ratings

UNIT = math.log(10) / 400


def _simulate(n_votes: int, seed: int, beta_len: float):  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(seed)
    n = 8
    truth = true_ratings(n, seed=seed, sd=100.0)
    verbosity = np.linspace(200, 1200, n)[rng.permutation(n)]  # typical tokens per model
    a = rng.integers(0, n, n_votes)
    b = (a + rng.integers(1, n, n_votes)) % n
    stats_a = np.stack(
        [
            np.round(verbosity[a] * rng.lognormal(0.0, 0.8, n_votes)),
            rng.poisson(2, n_votes),
            rng.poisson(3, n_votes),
            rng.poisson(1, n_votes),
        ],
        axis=1,
    )
    stats_b = np.stack(
        [
            np.round(verbosity[b] * rng.lognormal(0.0, 0.8, n_votes)),
            rng.poisson(2, n_votes),
            rng.poisson(3, n_votes),
            rng.poisson(1, n_votes),
        ],
        axis=1,
    )
    feats = style_features(stats_a, stats_b)
    p = expit(UNIT * (truth[a] - truth[b]) + beta_len * feats[:, 0])
    tie = np.minimum(0.2, 2 * np.minimum(p, 1 - p))
    u = rng.random(n_votes)
    out = np.where(u < p - tie / 2, OUTCOME_A, np.where(u < 1 - tie, OUTCOME_B, OUTCOME_TIE))
    return a, b, out, feats, truth, verbosity


def test_style_features_normalisation() -> None:
    a = np.array([[10, 0, 1, 0], [0, 0, 3, 0], [5, 0, 0, 0]])
    b = np.array([[0, 0, 1, 0], [10, 0, 0, 0], [5, 0, 0, 0]])
    f = style_features(a, b)
    np.testing.assert_allclose(f.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(f[:, [0, 2]].std(axis=0), 1.0)
    assert np.all(f[:, 1] == 0.0) and np.all(f[:, 3] == 0.0)  # constant columns stay zero
    raw = (10 - 0) / (10 + 0 + 1)
    assert f[0, 0] > 0 > f[1, 0]
    assert raw == pytest.approx(10 / 11)


def test_recovers_planted_length_effect() -> None:
    a, b, out, feats, truth, verbosity = _simulate(60_000, seed=1, beta_len=0.5)
    fit = fit_style_controlled(a, b, out, feats, 8)
    assert fit.feature_names == ("length", "headers", "lists", "bold")
    assert fit.coefficients[0] == pytest.approx(0.5, abs=0.04)
    assert np.all(np.abs(fit.coefficients[1:]) < 0.04)
    assert fit.coefficient_se is not None and np.all(fit.coefficient_se > 0)
    assert np.max(np.abs(fit.ratings - truth)) < 15.0
    assert np.all(fit.intervals.lower < fit.ratings)
    # the plain fit credits verbose models with the length effect
    plain = fit_bradley_terry(aggregate(a, b, out, 8))
    bias = plain.ratings - truth
    assert np.corrcoef(bias, verbosity)[0, 1] > 0.9
    assert np.max(np.abs(bias)) > 25.0


def test_no_style_effect_gives_plain_ratings() -> None:
    a, b, out, feats, truth, _ = _simulate(30_000, seed=2, beta_len=0.0)
    fit = fit_style_controlled(a, b, out, feats, 8)
    assert np.all(np.abs(fit.coefficients) < 0.05)
    assert np.max(np.abs(fit.ratings - truth)) < 20.0


def test_l2_shrinks_coefficients() -> None:
    a, b, out, feats, _, _ = _simulate(5_000, seed=3, beta_len=0.5)
    loose = fit_style_controlled(a, b, out, feats, 8, l2=0.0)
    tight = fit_style_controlled(a, b, out, feats, 8, l2=1e5)
    assert abs(tight.coefficients[0]) < 0.1 * abs(loose.coefficients[0])


def test_feature_names_must_match() -> None:
    a, b, out, feats, _, _ = _simulate(200, seed=4, beta_len=0.0)
    with pytest.raises(ValueError):
        fit_style_controlled(a, b, out, feats, 8, feature_names=("length",))


def test_style_intervals_do_not_collapse_on_ties() -> None:
    # two tie votes: every score is 0, so the plain sandwich gave +-0
    a, b = np.array([0, 1]), np.array([1, 0])
    features = style_features(
        np.array([[100, 0, 0, 0], [300, 1, 0, 0]]), np.array([[200, 0, 1, 0], [100, 0, 0, 1]])
    )
    fit = fit_style_controlled(a, b, np.array([2, 2]), features, 2)
    assert np.all(fit.intervals.upper - fit.intervals.lower > 100.0)
