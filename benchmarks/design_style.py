"""Is a model liked for its looks or for pages that work? Style control on design votes,
simulated, to show what the coefficient answers and that its interval is honest.

Four models differ in looks (a latent quality, in Elo points) and in how often their pages
break (script errors) or overflow a phone screen, as ``arena designs check`` measures. Voters
see both pages and prefer the better-looking one; in the "works matters" world they also
punish a broken page (``--penalty`` Elo points). Each world is fitted as the design board
fits it (``leaderboard/board.py``: the four length and formatting features, here constant,
plus the checks' features; sandwich intervals), over ``--reps`` repetitions:

- the ``errors`` coefficient with its 95% interval (one repetition), and how often the
  interval covers the truth's sign (0 in the looks-only world) over the repetitions;
- how far the plain and the style-controlled ratings are from the models' looks.

    python benchmarks/design_style.py [--votes 3000] [--reps 40] [--penalty 150]
"""

from __future__ import annotations

import argparse
import math

import _setup  # noqa: F401  (import path, BLAS threads)
import numpy as np

from modelarena import ratings
from modelarena.leaderboard.design_style import style_intervals

LOOKS = np.array([120.0, 60.0, 0.0, -60.0])  # Elo points
BROKEN = np.array([0.45, 0.05, 0.25, 0.10])  # the best-looking model breaks most often
OVERFLOW = np.array([0.30, 0.10, 0.20, 0.40])
NAMES = (*ratings.STYLE_FEATURES, "errors", "overflow", "a11y", "network")


def simulate(rng: np.random.Generator, votes: int, penalty: float) -> tuple[np.ndarray, ...]:
    n = len(LOOKS)
    a = rng.integers(0, n, votes)
    b = (a + rng.integers(1, n, votes)) % n
    err_a = (rng.random(votes) < BROKEN[a]) * rng.integers(1, 4, votes)
    err_b = (rng.random(votes) < BROKEN[b]) * rng.integers(1, 4, votes)
    ovf_a = (rng.random(votes) < OVERFLOW[a]).astype(float)
    ovf_b = (rng.random(votes) < OVERFLOW[b]).astype(float)
    diff = LOOKS[a] - LOOKS[b] - penalty * ((err_a > 0).astype(float) - (err_b > 0))
    p_a = 1.0 / (1.0 + 10 ** (-diff / 400.0))
    outcome = np.where(rng.random(votes) < p_a, 0, 1)
    zeros = np.zeros((votes, 4))
    sa = np.column_stack([zeros, err_a, ovf_a, np.zeros(votes), np.zeros(votes)])
    sb = np.column_stack([zeros, err_b, ovf_b, np.zeros(votes), np.zeros(votes)])
    return a, b, outcome, sa, sb


def one(rng: np.random.Generator, votes: int, penalty: float) -> dict[str, float]:
    a, b, outcome, sa, sb = simulate(rng, votes, penalty)
    n = len(LOOKS)
    plain = ratings.fit_bradley_terry(ratings.aggregate(a, b, outcome, n)).ratings
    fit = ratings.fit_style_controlled(
        a, b, outcome, ratings.style_features(sa, sb), n, feature_names=NAMES
    )
    iv = style_intervals(fit)
    truth = LOOKS - LOOKS.mean() + 1000
    return {
        "errors": float(fit.coefficients[NAMES.index("errors")]),
        "low": iv["errors"][0],
        "high": iv["errors"][1],
        "overflow_low": iv["overflow"][0],
        "overflow_high": iv["overflow"][1],
        "plain_gap_top": float(plain[0] - plain[1]),
        "style_gap_top": float(fit.ratings[0] - fit.ratings[1]),
        "plain_rmse": float(np.sqrt(np.mean((plain - truth) ** 2))),
        "style_rmse": float(np.sqrt(np.mean((fit.ratings - truth) ** 2))),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--votes", type=int, default=3000)
    ap.add_argument("--reps", type=int, default=40)
    ap.add_argument("--penalty", type=float, default=150.0)
    ap.add_argument("--seed", type=int, default=20261130)
    args = ap.parse_args()
    rng = np.random.default_rng(args.seed)
    print(
        f"{args.votes} votes per world, {args.reps} repetitions; looks gap of the top two "
        f"models {LOOKS[0] - LOOKS[1]:.0f} Elo"
    )
    print(
        "| world | errors coefficient (95% interval, repetition 1) | interval excludes 0 "
        "| overflow interval covers 0 | top-two gap plain / style-controlled (true 60) "
        "| rating RMSE vs looks plain / style |"
    )
    print("|---|---|---|---|---|---|")
    for world, penalty in (("looks only", 0.0), ("broken pages lose", args.penalty)):
        runs = [one(rng, args.votes, penalty) for _ in range(args.reps)]
        first = runs[0]
        excl = sum(r["high"] < 0 or r["low"] > 0 for r in runs)
        ovf = sum(r["overflow_low"] <= 0 <= r["overflow_high"] for r in runs)
        print(
            f"| {world} ({penalty:.0f} Elo per broken page) | {first['errors']:+.2f} "
            f"({first['low']:+.2f} to {first['high']:+.2f}) | {excl}/{args.reps} "
            f"| {ovf}/{args.reps} "
            f"| {np.mean([r['plain_gap_top'] for r in runs]):.0f} / "
            f"{np.mean([r['style_gap_top'] for r in runs]):.0f} "
            f"| {np.mean([r['plain_rmse'] for r in runs]):.0f} / "
            f"{np.mean([r['style_rmse'] for r in runs]):.0f} |"
        )
    assert not math.isnan(first["errors"])


if __name__ == "__main__":
    main()
