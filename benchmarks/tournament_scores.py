"""Design Arena's published score against the Bradley-Terry fit, on tournaments whose
pairings are unbalanced (some models meet stronger opponents more often).

Design Arena's about page documents its score as ``400 x log10(w / (1 - w))`` on a model's
raw win rate ``w`` (ties half): a win rate is not adjusted for whom the model met. We
simulate four-model tournaments through the real bracket from 12 models with known ratings
(spread 150 points) where 80% of sessions draw their four models from a window of five
neighbours in strength (a strong model mostly meets strong ones, as adaptive pairing or a
"premium" lane would do) and 20% draw uniformly; some models' windows are also visited
more often (an extra weight on the top third). Rank errors against the truth, per
simulated board, averaged over boards:

    python benchmarks/tournament_scores.py [--boards 200] [--sessions 1500]
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

import _setup  # noqa: F401
import numpy as np
from rich.progress import track
from scipy.stats import spearmanr

from modelarena import ratings
from modelarena.tournaments.simulate import SessionModel, simulate_tournaments

N_MODELS = 12
WINDOW = 5


def design_arena_score(
    model_a: np.ndarray, model_b: np.ndarray, outcome: np.ndarray, n: int
) -> np.ndarray:
    """400 log10(w / (1 - w)) on the raw win rate, ties half (clipped away from 0 and 1)."""
    score_a = np.where(outcome == 0, 1.0, np.where(outcome == 1, 0.0, 0.5))
    wins = np.bincount(model_a, score_a, n) + np.bincount(model_b, 1.0 - score_a, n)
    games = np.bincount(model_a, None, n) + np.bincount(model_b, None, n)
    w = np.clip(
        wins / np.maximum(games, 1), 0.5 / np.maximum(games, 1), 1 - 0.5 / np.maximum(games, 1)
    )
    return np.asarray(400.0 * np.log10(w / (1.0 - w)), dtype=np.float64)


def unbalanced_draw(order: np.ndarray) -> object:
    """Four models, mostly from a window of neighbours in true strength."""
    centre_weight = np.ones(N_MODELS - WINDOW + 1)
    centre_weight[-(N_MODELS // 3) :] *= 2.0  # the strongest windows are visited more
    centre_weight /= centre_weight.sum()

    def draw(rng: np.random.Generator) -> Sequence[int]:
        if rng.random() < 0.2:
            return [int(x) for x in rng.choice(N_MODELS, 4, replace=False)]
        start = int(rng.choice(len(centre_weight), p=centre_weight))
        window = order[start : start + WINDOW]
        return [int(x) for x in rng.choice(window, 4, replace=False)]

    return draw


def rank_errors(estimate: np.ndarray, truth: np.ndarray) -> tuple[float, float, int]:
    true_rank = np.argsort(np.argsort(-truth))
    rank = np.argsort(np.argsort(-estimate))
    err = np.abs(rank - true_rank)
    rho = float(spearmanr(estimate, truth).statistic)
    return rho, float(err.mean()), int(err.max())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--boards", type=int, default=200)
    parser.add_argument("--sessions", type=int, default=1500)
    args = parser.parse_args()
    results: dict[str, list[tuple[float, float, int]]] = {"da": [], "bt": []}
    top: dict[str, list[bool]] = {"da": [], "bt": []}
    for board in track(range(args.boards), description="boards", transient=True):
        rng = np.random.default_rng(board)
        truth = rng.normal(1000.0, 150.0, N_MODELS)
        order = np.argsort(truth)
        votes = simulate_tournaments(
            truth, args.sessions, seed=board, behaviour=SessionModel(session_share=0.2),
            draw=unbalanced_draw(order),  # type: ignore[arg-type]
        )  # fmt: skip
        da = design_arena_score(votes.model_a, votes.model_b, votes.outcome, N_MODELS)
        counts = ratings.aggregate(votes.model_a, votes.model_b, votes.outcome, N_MODELS)
        bt = ratings.fit_bradley_terry(counts).ratings
        for key, est in (("da", da), ("bt", bt)):
            results[key].append(rank_errors(est, truth))
            top[key].append(int(np.argmax(est)) == int(np.argmax(truth)))
    print(
        f"{args.boards} boards x {args.sessions:,} tournaments ({4 * args.sessions:,} votes), "
        f"{N_MODELS} models, 80% of sessions within a window of {WINDOW} neighbours\n"
    )
    print(
        "| score | Spearman to the truth | mean abs. rank error | worst rank error (mean) "
        "| top model right |"
    )
    print("|---|---:|---:|---:|---:|")
    for key, label in (("da", "Design Arena: 400 log10(w/(1-w))"), ("bt", "Bradley-Terry fit")):
        arr = np.array(results[key], dtype=np.float64)
        m, s = arr.mean(axis=0), arr.std(axis=0) / np.sqrt(len(arr))
        print(
            f"| {label} | {m[0]:.3f} ± {1.96 * s[0]:.3f} | {m[1]:.2f} ± {1.96 * s[1]:.2f} | "
            f"{m[2]:.2f} | {np.mean(top[key]):.0%} |"
        )


if __name__ == "__main__":
    main()
