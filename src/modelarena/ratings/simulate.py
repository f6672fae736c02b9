"""Seeded synthetic vote logs with known true ratings, for tests, benchmarks and demos.

Tie generation matters for checking calibration: with ``tie_model="half"`` ties are carved
out of the win probabilities so that the expected score of a vote (win 1, tie 1/2) is
exactly the Bradley-Terry probability; the half-tie fit is then consistent for the true
ratings. With ``tie_model="davidson"`` votes follow Davidson's model, which the Davidson
fit recovers (the half-tie fit would be slightly compressed).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.special import expit

from ._likelihood import davidson_probs
from .counts import OUTCOME_A, OUTCOME_B, OUTCOME_BOTH_BAD, OUTCOME_TIE, FloatArray, IntArray


@dataclass(frozen=True, eq=False)  # holds arrays: compare by identity
class SyntheticVotes:
    """A simulated vote log. ``pair_probability`` is P(this unordered pair) per vote."""

    model_a: IntArray
    model_b: IntArray
    outcome: IntArray
    pair_probability: FloatArray
    true_ratings: FloatArray

    @property
    def n_models(self) -> int:
        return int(self.true_ratings.size)


def true_ratings(
    n_models: int, *, seed: int = 0, sd: float = 150.0, mean: float = 1000.0
) -> FloatArray:
    """Normal true ratings, recentred to ``mean`` exactly."""
    rng = np.random.default_rng(seed)
    r = rng.normal(0.0, sd, n_models)
    return np.asarray(r - float(r.mean()) + mean, dtype=np.float64)


def simulate_votes(
    ratings: FloatArray,
    n_votes: int,
    *,
    seed: int = 0,
    tie_rate: float = 0.2,
    tie_model: str = "half",
    pair_weights: FloatArray | None = None,
    scale: float = 400.0,
    base: float = 10.0,
) -> SyntheticVotes:
    """Draw ``n_votes`` votes between models with the given true ratings.

    Pairs are drawn uniformly over unordered pairs, or in proportion to the symmetric
    ``pair_weights`` (n, n) matrix; sides are assigned by a coin flip. Both tie kinds are
    generated in equal shares.
    """
    rng = np.random.default_rng(seed)
    ratings = np.asarray(ratings, dtype=np.float64)
    n = ratings.size
    iu, ju = np.triu_indices(n, 1)
    if pair_weights is None:
        probs = np.full(iu.size, 1.0 / iu.size)
    else:
        w = np.asarray(pair_weights, dtype=np.float64)[iu, ju]
        probs = w / w.sum()
    pick = rng.choice(iu.size, size=n_votes, p=probs)
    first, second = iu[pick], ju[pick]
    flip = rng.random(n_votes) < 0.5
    a = np.where(flip, second, first).astype(np.int64)
    b = np.where(flip, first, second).astype(np.int64)
    d = (ratings[a] - ratings[b]) * (math.log(base) / scale)
    if tie_model == "half":
        p = expit(d)
        t = np.minimum(tie_rate, 2.0 * np.minimum(p, 1.0 - p))
        pa, pb = p - 0.5 * t, 1.0 - p - 0.5 * t
    elif tie_model == "davidson":
        nu = 2.0 * tie_rate / (1.0 - tie_rate)
        pa, pb, _ = davidson_probs(d, math.log(nu))
    else:
        raise ValueError("tie_model must be 'half' or 'davidson'")
    u = rng.random(n_votes)
    tie_kind = np.where(rng.random(n_votes) < 0.5, OUTCOME_TIE, OUTCOME_BOTH_BAD)
    outcome = np.where(u < pa, OUTCOME_A, np.where(u < pa + pb, OUTCOME_B, tie_kind))
    return SyntheticVotes(
        model_a=a,
        model_b=b,
        outcome=outcome.astype(np.int64),
        pair_probability=probs[pick],
        true_ratings=ratings,
    )
