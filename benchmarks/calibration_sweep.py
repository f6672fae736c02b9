"""Coverage of the 95% intervals across board sizes, sampling schemes and tie models.

For each configuration we simulate many vote logs from known true ratings, fit, and count
how often the 95% interval of a model contains its true (centred) rating. A calibrated
interval covers ~95% of the time; the pooled cases per row are reps x models, so the
Monte Carlo standard error is about 0.5-1 point of percentage.

    python benchmarks/calibration_sweep.py
"""

from __future__ import annotations

import time

import _setup  # noqa: F401
import numpy as np
from synthetic import skewed_pair_weights

from modelarena.ratings import (
    aggregate,
    bootstrap_intervals,
    fit_bradley_terry,
    inverse_probability_weights,
    sandwich_intervals,
)
from modelarena.ratings.simulate import simulate_votes, true_ratings

CONFIGS = [
    # (models, votes, sampling, ties, reps)
    (4, 500, "uniform", "half", 300),
    (10, 2_000, "uniform", "half", 200),
    (10, 20_000, "uniform", "half", 150),
    (30, 10_000, "uniform", "half", 100),
    (30, 100_000, "uniform", "half", 40),
    (10, 5_000, "skewed+ipw", "half", 200),
    (30, 30_000, "skewed+ipw", "half", 80),
    (10, 5_000, "skewed, no weights", "half", 200),
    (10, 5_000, "uniform", "davidson", 200),
    (30, 30_000, "skewed+ipw", "davidson", 60),
]


def coverage(
    models: int,
    votes: int,
    sampling: str,
    ties: str,
    reps: int,
    seed: int,
    *,
    bootstrap: bool = False,
) -> tuple[float, float]:
    truth = true_ratings(models, seed=seed, sd=150.0)
    weights_matrix = None if sampling == "uniform" else skewed_pair_weights(models)
    hits = 0
    widths = []
    for rep in range(reps):
        v = simulate_votes(
            truth, votes, seed=seed * 100_000 + rep, pair_weights=weights_matrix, tie_model=ties
        )
        w = inverse_probability_weights(v.pair_probability) if sampling == "skewed+ipw" else None
        counts = aggregate(v.model_a, v.model_b, v.outcome, models, w)
        fit = fit_bradley_terry(counts, ties=ties)
        if bootstrap:
            ci = bootstrap_intervals(counts, rounds=200, seed=rep, ties=ties, fit=fit)
        else:
            ci = sandwich_intervals(counts, fit)
        hits += int(np.sum((ci.lower <= truth) & (truth <= ci.upper)))
        widths.append(float(np.mean(ci.upper - ci.lower)) / 2)
    return hits / (reps * models), float(np.mean(widths))


def main() -> None:
    started = time.perf_counter()
    head = f"| {'models':>6} | {'votes':>7} | {'sampling':<18} | {'ties':<8} | {'method':<9} "
    print(head + f"| {'reps':>4} | {'coverage':>8} | {'mean +-':>7} |")
    print(f"|{'-' * 8}|{'-' * 9}|{'-' * 20}|{'-' * 10}|{'-' * 11}|{'-' * 6}|{'-' * 10}|{'-' * 9}|")
    rows = [(*c, False) for c in CONFIGS] + [
        (10, 5_000, "uniform", "half", 100, True),
        (10, 5_000, "skewed+ipw", "half", 100, True),
    ]
    for seed, (models, votes, sampling, ties, reps, boot) in enumerate(rows, start=1):
        cov, half = coverage(models, votes, sampling, ties, reps, seed, bootstrap=boot)
        method = "bootstrap" if boot else "sandwich"
        print(
            f"| {models:>6} | {votes:>7,} | {sampling:<18} | {ties:<8} | {method:<9} | {reps:>4} "
            f"| {100 * cov:>7.1f}% | {half:>7.1f} |"
        )
    print(f"({time.perf_counter() - started:.0f} s; 'skewed, no weights' fits without IPW)")


if __name__ == "__main__":
    main()
