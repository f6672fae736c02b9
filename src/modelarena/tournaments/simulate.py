"""Simulated tournaments, for the benchmarks and tests: votes produced by the real bracket
(:mod:`.bracket`) from known true ratings, with correlated votes within a session and
within a voter, and optionally with the speed-biased ordering of a "first two finished"
design to compare against.

Correlation without changing what a vote means: each match's outcome is read from a
standard normal ``W = sqrt(rs) (z_x - z_y)/sqrt(2) + sqrt(rv) (y_x - y_y)/sqrt(2) +
sqrt(1 - rs - rv) e``, where ``z`` is a per-session, per-model effect (how well this prompt
suits the model), ``y`` a per-voter, per-model taste and ``e`` the match's own noise. The
left side wins when ``Phi(W) > 1 - P(left)``, the right side when ``Phi(W) < P(right)``, a
tie otherwise; ``P`` are the Bradley-Terry probabilities with ties carved evenly out of both
sides (as in :mod:`modelarena.ratings.simulate`). So every single vote follows the true
ratings exactly, while votes sharing a session or a voter move together.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.special import ndtr

from modelarena.tournaments import bracket
from modelarena.tournaments.bracket import Pairing

FIRST_FINISHED = "first_finished"
BRACKET = "bracket"
_VERDICT_CODE = {"a": 0, "b": 1, "tie": 2, "both_bad": 3}


@dataclass(frozen=True, eq=False)
class SimulatedVotes:
    model_a: np.ndarray
    model_b: np.ndarray
    outcome: np.ndarray  # 0 a (left) wins, 1 b wins, 2 tie
    session: np.ndarray
    voter: np.ndarray
    first_shown: np.ndarray  # the model shown first in its session, per vote's session


@dataclass
class SessionModel:
    """How the simulated voters behave."""

    tie_rate: float = 0.2
    session_share: float = 0.0  # rs: share of W's variance from the session (prompt)
    voter_share: float = 0.0  # rv: share from the voter's taste
    left_bias: float = 0.0  # rating points added to the left side (position bias)
    first_bias: float = 0.0  # rating points, in later matches, for the answers seen first
    sessions_per_voter: int = 1


def _probabilities(diff: float, tie_rate: float) -> tuple[float, float]:
    p = 1.0 / (1.0 + 10.0 ** (-diff / 400.0))
    t = min(tie_rate, 2.0 * min(p, 1.0 - p))
    return p - t / 2.0, 1.0 - p - t / 2.0


def simulate_tournaments(
    true_ratings: Sequence[float],
    n_sessions: int,
    *,
    seed: int = 0,
    behaviour: SessionModel | None = None,
    draw: Callable[[np.random.Generator], Sequence[int]] | None = None,
    finish_time: Sequence[float] | None = None,
    policy: str = BRACKET,
) -> SimulatedVotes:
    """Votes of ``n_sessions`` four-model tournaments. ``draw`` picks each session's four
    model indices (default: uniformly). ``policy``: ``bracket`` is this arena's
    (:mod:`.bracket`, drawn before any answer exists); ``first_finished`` shows the two
    models that finish first as the first match, fastest on the left, as a design that
    streams "the first two to finish" would. ``finish_time``: typical seconds per model
    (log-normal spread 0.3), used by ``first_finished`` only: the bracket never sees it."""
    b = behaviour or SessionModel()
    rng = np.random.default_rng(seed)
    coin = random.Random(seed)
    ratings = np.asarray(true_ratings, dtype=np.float64)
    n = len(ratings)
    rs, rv = b.session_share, b.voter_share
    if rs < 0 or rv < 0 or rs + rv >= 1:
        raise ValueError("session_share and voter_share must be >= 0 and sum below 1")
    times = np.ones(n) if finish_time is None else np.asarray(finish_time, dtype=np.float64)
    rows: list[tuple[int, int, int, int, int, int]] = []
    taste = rng.standard_normal(n)
    for s in range(n_sessions):
        voter = s // max(1, b.sessions_per_voter)
        if s % max(1, b.sessions_per_voter) == 0:
            taste = rng.standard_normal(n)
        models = list(draw(rng)) if draw is not None else list(rng.choice(n, 4, replace=False))
        prompt = {m: float(z) for m, z in zip(models, rng.standard_normal(4), strict=True)}
        if policy == BRACKET:
            slots = bracket.draw_slots([str(m) for m in models], coin)
            slot_models = [int(x) for x in slots]
        elif policy == FIRST_FINISHED:
            finish = times[models] * rng.lognormal(0.0, 0.3, size=4)
            slot_models = [models[i] for i in np.argsort(finish)]
        else:
            raise ValueError(f"unknown policy {policy!r}")
        rows.extend(_session(slot_models, prompt, taste, ratings, b, rng, coin, s, voter))
    arr = np.array(rows, dtype=np.int64).reshape(-1, 6)
    return SimulatedVotes(*(arr[:, k] for k in range(6)))


def _session(
    slot_models: list[int],
    prompt: dict[int, float],
    taste: np.ndarray,
    ratings: np.ndarray,
    b: SessionModel,
    rng: np.random.Generator,
    coin: random.Random,
    session: int,
    voter: int,
) -> list[tuple[int, int, int, int, int, int]]:
    """The four votes of one session through the bracket."""
    rs, rv = b.session_share, b.voter_share
    first_pair = set(slot_models[:2])
    rows: list[tuple[int, int, int, int, int, int]] = []

    def play(p: Pairing) -> str:
        x, y = slot_models[p.slot_a], slot_models[p.slot_b]
        diff = ratings[x] - ratings[y] + b.left_bias
        diff += b.first_bias * ((x in first_pair) - (y in first_pair))
        pa, pb = _probabilities(float(diff), b.tie_rate)
        w = (
            math.sqrt(rs) * (prompt[x] - prompt[y]) / math.sqrt(2)
            + math.sqrt(rv) * (taste[x] - taste[y]) / math.sqrt(2)
            + math.sqrt(1 - rs - rv) * float(rng.standard_normal())
        )
        u = float(ndtr(w))
        verdict = "a" if u > 1 - pa else "b" if u < pb else "tie"
        rows.append((x, y, _VERDICT_CODE[verdict], session, voter, slot_models[0]))
        return bracket.advancing(verdict, coin.random() < 0.5)

    first = bracket.round_one()
    ups = [play(p) for p in first]
    for p in bracket.round_two((first[0], ups[0]), (first[1], ups[1]), coin):
        play(p)
    return rows
