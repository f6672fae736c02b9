"""How many votes a new model needs before its 95% interval is within +-25 points.

A board of 50 established models (100,000 uniformly paired votes, so each model has about
4,000 votes and a ~+-12-point interval) receives a new model of unknown strength. Votes
then arrive in batches of 25; after each batch we refit (Bradley-Terry, half ties, 20% ties)
and stop once the new model's sandwich 95% half-width is <= 25 points. Three strategies:

* uniform:  every vote is a uniformly random pair of the 51 models (no targeting at all);
* boost-x5: the FastChat default: the first model is drawn with weight 5 for the new
  model and 1 for the others, its opponent uniformly among the rest;
* new-vs-random: every vote pits the new model against a uniformly random opponent. A
  reference point rather than a policy: it stops the rest of the board from learning;
* adaptive: pairs drawn from ``adaptive_pair_probabilities`` (defaults), recomputed after
  each batch from the current fit.

    python benchmarks/adaptive_pairing.py
"""

from __future__ import annotations

import statistics
import time

import _setup  # noqa: F401
import numpy as np

from modelarena.ratings import (
    adaptive_pair_probabilities,
    fit_bradley_terry,
    pair_counts_from_cells,
    sandwich_covariance,
)
from modelarena.ratings.simulate import simulate_votes, true_ratings

N_OLD = 50
HISTORY = 100_000
BATCH = 25
TARGET = 25.0
Z = 1.959963984540054
MAX_VOTES = 60_000


def _table(n: int, a: np.ndarray, b: np.ndarray, out: np.ndarray) -> np.ndarray:
    """(n, n, 3) table: [i, j] = [i won, j won, tie] for ordered (i, j), i = side A."""
    table = np.zeros((n, n, 3))
    kind = np.minimum(out, 2)
    np.add.at(table, (a, b, kind), 1.0)
    return table


def _counts(table: np.ndarray):  # type: ignore[no-untyped-def]
    i, j = np.nonzero(table.sum(axis=2))
    return pair_counts_from_cells(
        i, j, table[i, j, 0], table[i, j, 1], table[i, j, 2], table.shape[0]
    )


def run(strategy: str, seed: int) -> tuple[int, int]:
    """Votes until the new model's half-width <= TARGET: (all votes, votes with the new model)."""
    rng = np.random.default_rng(seed)
    n = N_OLD + 1
    truth = np.append(true_ratings(N_OLD, seed=seed, sd=150.0), 0.0)
    truth[N_OLD] = float(rng.normal(1000.0, 150.0))
    old = simulate_votes(truth[:N_OLD], HISTORY, seed=seed + 1)
    table = np.zeros((n, n, 3))
    table[:N_OLD, :N_OLD] = _table(N_OLD, old.model_a, old.model_b, old.outcome)
    iu, ju = np.triu_indices(n, 1)
    ratings = np.full(n, np.nan)
    cov = np.full((n, n), np.nan)
    spent = with_new = 0
    batch_seed = seed * 1_000_003
    while spent < MAX_VOTES:
        if strategy == "uniform":
            weights = np.ones((n, n))
        elif strategy == "boost-x5":
            first = np.ones(n)
            first[N_OLD] = 5.0
            first /= first.sum()
            weights = (first[:, None] + first[None, :]) / (n - 1)
        elif strategy == "new-vs-random":
            weights = np.zeros((n, n))
            weights[N_OLD, :N_OLD] = weights[:N_OLD, N_OLD] = 1.0
        else:
            votes_per_model = table.sum(axis=(1, 2)) + table.sum(axis=(0, 2))
            weights = adaptive_pair_probabilities(ratings, cov, votes_per_model)
        batch_seed += 1
        # simulate_votes draws pairs from `weights` over all n models
        fresh = simulate_votes(truth, BATCH, seed=batch_seed, pair_weights=weights)
        table += _table(n, fresh.model_a, fresh.model_b, fresh.outcome)
        spent += BATCH
        with_new += int(np.sum((fresh.model_a == N_OLD) | (fresh.model_b == N_OLD)))
        if table[N_OLD].sum() + table[:, N_OLD].sum() == 0:
            continue
        counts = _counts(table)
        fit = fit_bradley_terry(counts)
        cov = sandwich_covariance(counts, fit)
        ratings = fit.ratings
        if Z * np.sqrt(cov[N_OLD, N_OLD]) <= TARGET:
            return spent, with_new
    return spent, with_new


def main() -> None:
    seeds = range(8)
    started = time.perf_counter()
    results: dict[str, list[tuple[int, int]]] = {}
    for strategy in ("uniform", "boost-x5", "new-vs-random", "adaptive"):
        results[strategy] = [run(strategy, s) for s in seeds]
    print(
        f"votes until the new model's 95% CI is within +-{TARGET:.0f} points ({len(seeds)} seeds)"
    )
    head = ("strategy", "median votes", "mean votes", "with new model", "vs uniform")
    head += ("vs boost-x5", "vs new-vs-random")
    print("| " + " | ".join(head) + " |")
    print("|" + "|".join("-" * (len(h) + 2) for h in head) + "|")
    base_u = statistics.mean(v for v, _ in results["uniform"])
    base_b = statistics.mean(v for v, _ in results["boost-x5"])
    base_r = statistics.mean(v for v, _ in results["new-vs-random"])
    for strategy, rows in results.items():
        total = [v for v, _ in rows]
        mean = statistics.mean(total)
        new = statistics.mean(w for _, w in rows)
        cells = [
            strategy,
            f"{statistics.median(total):,.0f}",
            f"{mean:,.0f}",
            f"{new:,.0f}",
            f"{100 * (1 - mean / base_u):.0f}%",
            f"{100 * (1 - mean / base_b):.0f}%",
            f"{100 * (1 - mean / base_r):.0f}%",
        ]
        print("| " + " | ".join(c.rjust(len(h)) for c, h in zip(cells, head, strict=True)) + " |")
    print(f"(fewer votes than the baseline, in %; {time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
