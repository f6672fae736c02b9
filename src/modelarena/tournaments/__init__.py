"""Four-model tournaments: one prompt, four anonymous answers, a bracket of pairwise votes
(winners meet winners, losers meet losers) that ranks them 1-4. See docs/statistics.md."""

from modelarena.tournaments.bracket import advancing, draw_slots, ranking, round_one, round_two
from modelarena.tournaments.runner import Progress, TournamentError, TournamentRunner

__all__ = [
    "Progress",
    "TournamentError",
    "TournamentRunner",
    "advancing",
    "draw_slots",
    "ranking",
    "round_one",
    "round_two",
]
