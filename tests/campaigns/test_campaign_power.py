"""The votes still needed to separate the top two, on known cases, and the decision read
from a real fit."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from modelarena import ratings
from modelarena.campaigns import separation, top_separation, votes_to_separate, z_value
from modelarena.leaderboard.board import fit_board, tabulate
from modelarena.leaderboard.filters import LeaderboardFilters
from modelarena.store import PairCells, Store


def test_z_value() -> None:
    assert z_value(0.95) == pytest.approx(1.959964, abs=1e-6)
    assert z_value(0.90) == pytest.approx(1.644854, abs=1e-6)
    with pytest.raises(ValueError, match="between 0 and 1"):
        z_value(1.0)


def test_known_case() -> None:
    # d = 20 points, se = 20 after 100 votes: n' = 100 * (1.96 * 20 / 20)^2 = 384.15 -> 385
    assert votes_to_separate(20.0, 20.0, 100) == 285
    # at 90%: n' = 100 * 1.6449^2 = 270.6 -> 271
    assert votes_to_separate(20.0, 20.0, 100, confidence=0.90) == 171
    # half the effect needs four times the votes
    assert votes_to_separate(10.0, 20.0, 100) == math.ceil(100 * (1.959964 * 2) ** 2) - 100


def test_separated_and_level() -> None:
    assert votes_to_separate(50.0, 20.0, 300) == 0  # 50 > 1.96 * 20
    assert votes_to_separate(-50.0, 20.0, 300) == 0
    assert votes_to_separate(0.0, 20.0, 300) is None  # level: no number of votes
    assert votes_to_separate(10.0, 20.0, 0) is None
    s = separation("a", "b", 50.0, 20.0, 300)
    assert s.separated and s.votes_needed == 0
    assert s.lower == pytest.approx(50 - 1.959964 * 20, abs=1e-4)


def test_the_estimate_comes_true(tmp_path: Path) -> None:
    # The scaling is exact for the standard error: fitting four times the votes (the same
    # outcomes, counts x4) halves the difference's standard error.
    cells = PairCells(
        models=["m1", "m2", "m3"],
        a=np.array([0, 0, 1]),
        b=np.array([1, 2, 2]),
        wins_a=np.array([30.0, 40.0, 33.0]),
        wins_b=np.array([25.0, 15.0, 22.0]),
        ties=np.array([5.0, 5.0, 5.0]),
    )
    store = Store.open(f"sqlite:///{tmp_path / 'p.db'}")  # empty: the cells are given

    def sep(k: float) -> tuple[float, float, int, int | None]:
        scaled = PairCells(
            cells.models, cells.a, cells.b, cells.wins_a * k, cells.wins_b * k, cells.ties * k
        )
        f = LeaderboardFilters()
        fit = fit_board(store, f, cells=scaled)
        board = tabulate(fit, lambda m: _Info(m), f)
        s = top_separation(fit, board)
        assert s is not None
        return s.difference, s.se, s.votes, s.votes_needed

    d1, se1, n1, need1 = sep(1.0)
    # with plain sandwich intervals the difference's standard error is the sandwich one
    fit = fit_board(store, LeaderboardFilters(), cells=cells)
    top = [int(x) for x in np.argsort(-fit.values)[:2]]
    assert fit.counts is not None and fit.bt is not None
    cov = ratings.sandwich_covariance(fit.counts, fit.bt)
    i, j = top
    assert se1 == pytest.approx(math.sqrt(cov[i, i] + cov[j, j] - 2 * cov[i, j]), rel=1e-6)
    d4, se4, n4, _ = sep(4.0)
    assert n4 == 4 * n1
    assert d4 == pytest.approx(d1, rel=1e-6)
    assert se4 == pytest.approx(se1 / 2, rel=1e-3)
    assert need1 is not None and need1 > 0
    # at n1 + need1 votes the interval of the difference just excludes 0
    k = (n1 + need1) / n1
    _, se_k, _, need_k = sep(k)
    assert abs(d1) > z_value(0.95) * se_k and need_k == 0
    assert n1 >= ratings.MIN_INTERVAL_VOTES


class _Info:
    def __init__(self, model: str) -> None:
        self.display_name = model
        self.entry = None
        self.open_weights = self.country = self.lab = None
        self.license = self.license_class = None
