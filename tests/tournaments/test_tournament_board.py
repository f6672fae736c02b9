"""Tournament votes enter the same leaderboard fit as pairwise votes, with intervals that
account for sessions and voters (never narrower than the plain sandwich)."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
from test_tournament_runner import arena_of

from modelarena import ratings
from modelarena.battles.language import detect_language
from modelarena.leaderboard.board import comparable_counts, fit_board
from modelarena.leaderboard.filters import LeaderboardFilters
from modelarena.tournaments import TournamentRunner


async def test_board_counts_tournament_votes_with_clustered_intervals(tmp_path: Path) -> None:
    arena = arena_of(tmp_path)
    runner = TournamentRunner(arena, random.Random(11))
    pick = random.Random(12)
    store = arena.store
    plain_fit = fit_board(store, LeaderboardFilters())
    assert "clustered" not in plain_fit.method  # no tournament yet
    for k in range(12):
        t = runner.start("chat", f"Prompt number {k}", owner=f"voter{k % 3}")
        await runner.generate(t.id, f"Prompt number {k}")
        for _ in range(4):
            await runner.choose(t.id, pick.choice(["a", "a", "b", "tie"]), owner=t.owner)
    board = fit_board(store, LeaderboardFilters())
    assert "clustered by session and voter" in board.method
    assert board.total_votes == 48
    counts, _, _ = comparable_counts(store.pair_cells())
    assert board.bt is not None
    plain = ratings.sandwich_intervals(counts, board.bt)
    assert np.all(board.upper - board.lower >= plain.upper - plain.lower - 1e-9)
    # a board cut by language clusters the votes of that language only
    language = detect_language("Prompt number 0")
    cut = fit_board(store, LeaderboardFilters(languages=(language,)))
    assert "clustered" in cut.method and 0 < cut.total_votes <= 48
    other = fit_board(store, LeaderboardFilters(languages=("zz",)))
    assert "clustered" not in other.method
    await arena.aclose()
