"""The leaderboard: ratings fitted on stored votes, joined with catalog facts, filtered.

- :mod:`.filters`: the filters and their one parser (CLI, page and API alike);
- :mod:`.board`: the fit (:func:`fit_board`, the costly part) and the table drawn from it
  (:func:`tabulate`, the display filters), so a cache of fits serves every display filter;
- :mod:`.rows`: the rows shown and the headline drawn from them.
"""

from modelarena.leaderboard.board import (
    BoardFit,
    FitKey,
    Info,
    Leaderboard,
    comparable_counts,
    compute_leaderboard,
    fit_board,
    fit_inputs,
    fragile_pairs,
    tabulate,
    votes_digest,
)
from modelarena.leaderboard.filters import (
    ALL_FILTERS,
    PUBLIC_FILTERS,
    FilterError,
    LeaderboardFilters,
)
from modelarena.leaderboard.rows import Headline, LeaderboardRow, headline

__all__ = [
    "ALL_FILTERS",
    "PUBLIC_FILTERS",
    "BoardFit",
    "FilterError",
    "FitKey",
    "Headline",
    "Info",
    "Leaderboard",
    "LeaderboardFilters",
    "LeaderboardRow",
    "comparable_counts",
    "compute_leaderboard",
    "fit_board",
    "fit_inputs",
    "fragile_pairs",
    "headline",
    "tabulate",
    "votes_digest",
]
