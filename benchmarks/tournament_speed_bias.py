"""Speed bias: does a fast model's rating rise in four-model tournaments?

Eight models; model 0 ("fast") answers in ~1 s, the others in ~5 s (log-normal times);
model 1 ("twin") is exactly as good as model 0. Simulated voters carry two ordinary
biases that need not involve speed at all: the left answer gets +30 rating points
(position bias), and the two answers of the first match shown get +30 whenever they meet
an answer seen later (primacy). We run the
same sessions through two designs:

* ``bracket`` (this arena: modelarena.tournaments.bracket): the four slots are a random
  permutation drawn before anyone answers; the first pair appears only when all four answers
  are complete. Finish times never enter.
* ``first finished`` (a design that shows the first two models to finish, fastest on the
  left), for comparison.

Reported: R_fast - R_twin from one Bradley-Terry fit over all sessions, with its 95%
interval (two-way clustered by session and voter, 5 sessions per voter, a session effect
of 0.2), and how often the fast model was in the first match shown.

    python benchmarks/tournament_speed_bias.py [--sessions 20000]
"""

from __future__ import annotations

import argparse

import _setup  # noqa: F401
import numpy as np
from rich.progress import track

from modelarena import ratings
from modelarena.ratings.clustered import clustered_covariance
from modelarena.tournaments.simulate import (
    BRACKET,
    FIRST_FINISHED,
    SessionModel,
    simulate_tournaments,
)

TRUE = np.array([1000.0, 1000.0, 900.0, 950.0, 1050.0, 1100.0, 1150.0, 850.0])
TIMES = np.array([1.0] + [5.0] * (len(TRUE) - 1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    behaviour = SessionModel(
        left_bias=30.0, first_bias=30.0, session_share=0.2, sessions_per_voter=5
    )
    lines = [
        f"{args.sessions:,} sessions of 4 models from {len(TRUE)}, 4 votes each\n",
        "| design | votes | fast model in the first match | R_fast - R_twin | 95% interval |",
        "|---|---:|---:|---:|---|",
    ]
    for policy, label in ((BRACKET, "bracket (this arena)"), (FIRST_FINISHED, "first finished")):
        chunks = []
        step = 1000
        for k in track(range(0, args.sessions, step), description=label, transient=True):
            chunks.append(
                simulate_tournaments(
                    TRUE,
                    min(step, args.sessions - k),
                    seed=args.seed * 1_000_003 + k,
                    behaviour=behaviour,
                    finish_time=TIMES,
                    policy=policy,
                )
            )
        cat = {f: np.concatenate([getattr(c, f) for c in chunks]) for f in chunks[0].__dict__}
        offset = np.repeat(np.arange(len(chunks)) * step, [len(c.session) for c in chunks])
        sessions, voters = cat["session"] + offset, cat["voter"] + offset
        counts = ratings.aggregate(cat["model_a"], cat["model_b"], cat["outcome"], len(TRUE))
        fit = ratings.fit_bradley_terry(counts)
        cov = clustered_covariance(
            counts, fit, cat["model_a"], cat["model_b"], cat["outcome"],
            sessions=sessions, voters=voters,
        )  # fmt: skip
        diff = float(fit.ratings[0] - fit.ratings[1])
        se = float(np.sqrt(cov[0, 0] + cov[1, 1] - 2 * cov[0, 1]))
        # sessions with model 0, and in how many of them it was in the first match
        first_votes = np.zeros(len(sessions), dtype=bool)
        _, start = np.unique(sessions, return_index=True)
        first_votes[start] = True
        with_fast = np.zeros(sessions.max() + 1, dtype=bool)
        np.logical_or.at(with_fast, sessions, (cat["model_a"] == 0) | (cat["model_b"] == 0))
        fast_first = first_votes & ((cat["model_a"] == 0) | (cat["model_b"] == 0))
        share = fast_first.sum() / max(1, with_fast.sum())
        lines.append(
            f"| {label} | {len(sessions):,} | {share:.0%} | {diff:+.1f} | "
            f"{diff - 1.96 * se:+.1f} to {diff + 1.96 * se:+.1f} |"
        )
    print("\n".join(lines))


if __name__ == "__main__":
    main()
