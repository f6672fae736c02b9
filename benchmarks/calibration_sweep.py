"""Coverage of the 95% intervals across board sizes, sampling schemes and tie models.

For each configuration we simulate many vote logs from known true ratings, fit, and count
how often the 95% interval of a model contains its true (centred) rating. A calibrated
interval covers ~95% of the time; the pooled cases per row are reps x models, so the
Monte Carlo standard error is about 0.5-1 point of percentage.

A second table covers small boards: 1 to 50 votes per model on average, with and without
ties, pooled by how many votes each model actually has. It shows why a model needs
``MIN_INTERVAL_VOTES`` (10) votes before the leaderboard shows its interval.

    python benchmarks/calibration_sweep.py            # both tables
    python benchmarks/calibration_sweep.py --small    # the small-board table only
    python benchmarks/calibration_sweep.py --small --plain   # ... without the model floor
"""

from __future__ import annotations

import math
import sys
import time

import _setup  # noqa: F401
import numpy as np
from synthetic import skewed_pair_weights

from modelarena.ratings import (
    MIN_INTERVAL_VOTES,
    aggregate,
    bootstrap_intervals,
    fit_bradley_terry,
    inverse_probability_weights,
    largest_component,
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


SMALL_MODELS = (4, 10)
SMALL_VOTES_PER_MODEL = (1, 2, 3, 5, 10, 20, 50)
SMALL_TIES = (0.0, 0.2)
SMALL_SPREADS = (150.0, 300.0)  # sd of the true ratings, rating points
SMALL_CASES = 4_000  # simulated boards per (models, votes per model, ties) = SMALL_CASES / models
BUCKETS = (1, 2, 3, 5, 10, 20, 50)  # by the model's own number of votes


def wilson(hits: int, n: int, z: float = 1.959964) -> tuple[float, float]:
    """95% Wilson interval of a proportion."""
    if n == 0:
        return math.nan, math.nan
    p = hits / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


def small_board_coverage(tie_rate: float, spread: float, floor: bool) -> dict[int, list[int]]:
    """Cases and hits per bucket of a model's own vote count, pooled over small boards.

    Each board is fitted on its largest connected group of models (what the leaderboard
    does); the truth is centred over the same models, like the fitted ratings.
    """
    out: dict[int, list[int]] = {b: [0, 0] for b in BUCKETS}
    for models in SMALL_MODELS:
        for per_model in SMALL_VOTES_PER_MODEL:
            seed = 7_000 + models * 100 + per_model + int(100 * tie_rate) + int(spread)
            truth = true_ratings(models, seed=seed, sd=spread)
            n_votes = max(1, round(models * per_model / 2))
            for rep in range(SMALL_CASES // models):
                v = simulate_votes(truth, n_votes, seed=seed * 100_000 + rep, tie_rate=tie_rate)
                counts, main = largest_component(aggregate(v.model_a, v.model_b, v.outcome, models))
                if main.size < 2:
                    continue
                fit = fit_bradley_terry(counts)
                ci = sandwich_intervals(counts, fit, floor=floor)
                centred = truth[main] - truth[main].mean() + fit.ratings.mean()
                hit = (ci.lower <= centred) & (centred <= ci.upper)
                for votes, ok in zip(counts.votes_per_model(), hit, strict=True):
                    bucket = max(b for b in BUCKETS if b <= votes)
                    out[bucket][0] += 1
                    out[bucket][1] += int(ok)
    return out


def small_main(floor: bool = True) -> None:
    started = time.perf_counter()
    print(f"| spread | ties | votes of the model | {'n':>6} | coverage | 95% interval |")
    print("|---:|---:|---|---:|---:|---|")
    for spread, tie_rate in [(s, t) for s in SMALL_SPREADS for t in SMALL_TIES]:
        table = small_board_coverage(tie_rate, spread, floor)
        first = f"| {spread:.0f} | {100 * tie_rate:.0f}% "
        shown = [0, 0]
        for k, b in enumerate(BUCKETS):
            n, hits = table[b]
            if b >= MIN_INTERVAL_VOTES:
                shown[0] += n
                shown[1] += hits
            label = (
                f"{b}-{BUCKETS[k + 1] - 1}".replace("1-1", "1").replace("2-2", "2")
                if k + 1 < len(BUCKETS)
                else f"{b}+"
            )
            lo, hi = wilson(hits, n)
            print(
                f"{first}| {label} | {n:>6,} | {100 * hits / n:.1f}% "
                f"| {100 * lo:.1f}-{100 * hi:.1f}% |"
            )
        lo, hi = wilson(shown[1], shown[0])
        print(
            f"{first}| **{MIN_INTERVAL_VOTES}+ (shown)** | {shown[0]:>6,} "
            f"| **{100 * shown[1] / shown[0]:.1f}%** | {100 * lo:.1f}-{100 * hi:.1f}% |"
        )
    print(
        f"({time.perf_counter() - started:.0f} s; spread = sd of the true ratings; boards of "
        f"{SMALL_MODELS} models, "
        f"{SMALL_VOTES_PER_MODEL} votes per model on average, {SMALL_CASES} model-cases each)"
    )


def main() -> None:
    if "--small" in sys.argv[1:]:
        small_main(floor="--plain" not in sys.argv[1:])
        return
    started = time.perf_counter()
    head = f"| {'models':>6} | {'votes':>7} | {'sampling':<18} | {'ties':<8} | {'method':<9} "
    print(head + f"| {'reps':>4} | {'n':>5} | {'coverage':>8} | 95% interval | {'mean +-':>7} |")
    print(
        f"|{'-' * 8}|{'-' * 9}|{'-' * 20}|{'-' * 10}|{'-' * 11}|{'-' * 6}|{'-' * 7}|{'-' * 10}"
        f"|{'-' * 14}|{'-' * 9}|"
    )
    rows = [(*c, False) for c in CONFIGS] + [
        (10, 5_000, "uniform", "half", 100, True),
        (10, 5_000, "skewed+ipw", "half", 100, True),
    ]
    for seed, (models, votes, sampling, ties, reps, boot) in enumerate(rows, start=1):
        cov, half = coverage(models, votes, sampling, ties, reps, seed, bootstrap=boot)
        method = "bootstrap" if boot else "sandwich"
        n = reps * models
        lo, hi = wilson(round(cov * n), n)
        print(
            f"| {models:>6} | {votes:>7,} | {sampling:<18} | {ties:<8} | {method:<9} | {reps:>4} "
            f"| {n:>5,} | {100 * cov:>7.1f}% | {100 * lo:.1f}-{100 * hi:.1f}%  | {half:>7.1f} |"
        )
    print(f"({time.perf_counter() - started:.0f} s; 'skewed, no weights' fits without IPW)")
    print()
    small_main()


if __name__ == "__main__":
    main()
