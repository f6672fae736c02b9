"""Seeded synthetic vote logs with known true ratings.

The generator itself lives in ``modelarena.ratings.simulate`` so the tests use the same
code; this script re-exports it and, run directly, prints a small sample:

    python benchmarks/synthetic.py
"""

from __future__ import annotations

import _setup  # noqa: F401
import numpy as np

from modelarena.ratings import OUTCOME_A, OUTCOME_B, OUTCOME_BOTH_BAD, OUTCOME_TIE
from modelarena.ratings.simulate import SyntheticVotes, simulate_votes, true_ratings

__all__ = ["SyntheticVotes", "simulate_votes", "true_ratings", "skewed_pair_weights"]


def skewed_pair_weights(n_models: int, *, strength: float = 2.0) -> np.ndarray:
    """Non-uniform pair weights favouring low-index models (like popular models)."""
    rank = np.arange(n_models, dtype=np.float64)
    return np.exp(-(rank[:, None] + rank[None, :]) / n_models * strength)


def main() -> None:
    truth = true_ratings(10, seed=0)
    for name, weights in (("uniform", None), ("skewed", skewed_pair_weights(10))):
        votes = simulate_votes(truth, 100_000, seed=1, pair_weights=weights)
        shares = [
            np.mean(votes.outcome == code)
            for code in (OUTCOME_A, OUTCOME_B, OUTCOME_TIE, OUTCOME_BOTH_BAD)
        ]
        p = votes.pair_probability
        print(
            f"{name:8s} votes={votes.outcome.size:,} A={shares[0]:.3f} B={shares[1]:.3f} "
            f"tie={shares[2]:.3f} both_bad={shares[3]:.3f} "
            f"P(pair) min={p.min():.4f} max={p.max():.4f}"
        )


if __name__ == "__main__":
    main()
