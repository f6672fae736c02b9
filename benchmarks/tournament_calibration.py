"""Coverage of 95% intervals on tournament votes, with and without clustering.

Four-model tournaments (the real bracket, ``modelarena.tournaments.simulate``) from 8
models with known ratings (spread 300 points, 20% ties), 500 sessions (2,000 votes) per
board. Votes are correlated within a session (a prompt that suits a model: share ``rs`` of
the latent variance) and within a voter (a voter's taste: share ``rv``; each voter runs
several sessions), while every single vote still follows the true ratings. For each board
we fit Bradley-Terry and count how often each model's 95% interval contains its true
(centred) rating, with the plain sandwich and the cluster-robust ones (by session, by
voter, two-way). n = boards x models; the interval is the 95% Wilson interval of the
coverage. The last column is the mean error of the strongest model's rating: a strong
session effect makes round 2 selective (a weak model that won round 1 probably had a
prompt that suits it) and pulls the ratings together.

    python benchmarks/tournament_calibration.py [--reps 150]
    python benchmarks/tournament_calibration.py --timing   # cost on 1M votes, 100 models
"""

from __future__ import annotations

import argparse
import time

import _setup  # noqa: F401
import numpy as np
from calibration_sweep import wilson
from rich.progress import track

from modelarena import ratings
from modelarena.ratings.clustered import clustered_covariance, clustered_intervals
from modelarena.tournaments.simulate import SessionModel, simulate_tournaments

TRUE = np.linspace(850.0, 1150.0, 8)
CONFIGS = [
    ("independent votes", SessionModel()),
    ("session effect rs=0.3", SessionModel(session_share=0.3)),
    ("strong session effect rs=0.6", SessionModel(session_share=0.6)),
    ("voter taste rv=0.3, 5 sessions/voter", SessionModel(voter_share=0.3, sessions_per_voter=5)),
    (
        "both rs=0.2, rv=0.2, 10 sessions/voter",
        SessionModel(session_share=0.2, voter_share=0.2, sessions_per_voter=10),
    ),
]
METHODS = ("plain sandwich", "by session", "by voter", "two-way")


def timing() -> None:
    """Seconds for the plain and the two-way clustered covariance of 1M votes, 100 models
    (four votes per session, ten sessions per voter); median of three."""
    from modelarena.ratings.simulate import simulate_votes, true_ratings

    sim = simulate_votes(true_ratings(100, seed=0), 1_000_000, seed=0)
    counts = ratings.aggregate(sim.model_a, sim.model_b, sim.outcome, 100)
    fit = ratings.fit_bradley_terry(counts)
    sessions = np.arange(1_000_000) // 4
    for label, run in (
        ("plain sandwich", lambda: ratings.sandwich_covariance(counts, fit)),
        (
            "two-way clustered",
            lambda: clustered_covariance(
                counts,
                fit,
                sim.model_a,
                sim.model_b,
                sim.outcome,
                sessions=sessions,
                voters=sessions // 10,
            ),  # fmt: skip
        ),
    ):
        times = []
        for _ in range(3):
            start = time.perf_counter()
            run()
            times.append(time.perf_counter() - start)
        print(f"{label}: {sorted(times)[1]:.3f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=150)
    parser.add_argument("--sessions", type=int, default=500)
    parser.add_argument("--timing", action="store_true", help="only the cost on 1M votes")
    args = parser.parse_args()
    if args.timing:
        timing()
        return
    centred = TRUE - TRUE.mean() + 1000.0
    lines = [
        "| votes | method | n | coverage | 95% interval | mean half-width "
        "| strongest model: fit - truth |",
        "|---|---|---:|---:|---|---:|---:|",
    ]
    for label, behaviour in CONFIGS:
        hits = {m: 0 for m in METHODS}
        width = {m: 0.0 for m in METHODS}
        top_error = 0.0
        for rep in track(range(args.reps), description=label, transient=True):
            v = simulate_tournaments(TRUE, args.sessions, seed=rep, behaviour=behaviour)
            counts = ratings.aggregate(v.model_a, v.model_b, v.outcome, len(TRUE))
            fit = ratings.fit_bradley_terry(counts)
            top_error += float(fit.ratings[-1] - centred[-1]) / args.reps
            found = {"plain sandwich": ratings.sandwich_intervals(counts, fit)}
            for method, kw in (
                ("by session", {"sessions": v.session}),
                ("by voter", {"voters": v.voter}),
                ("two-way", {"sessions": v.session, "voters": v.voter}),
            ):
                found[method] = clustered_intervals(
                    counts, fit, v.model_a, v.model_b, v.outcome, **kw
                )
            for method, iv in found.items():
                hits[method] += int(((iv.lower <= centred) & (centred <= iv.upper)).sum())
                width[method] += float((iv.upper - iv.lower).sum() / 2)
        n = args.reps * len(TRUE)
        for method in METHODS:
            lo, hi = wilson(hits[method], n)
            lines.append(
                f"| {label} | {method} | {n:,} | {hits[method] / n:.1%} | "
                f"{lo:.1%}-{hi:.1%} | {width[method] / n:.1f} | {top_error:+.1f} |"
            )
    print("\n".join(lines))


if __name__ == "__main__":
    main()
