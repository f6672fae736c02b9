"""The rows a leaderboard shows, and the headline drawn from them: who leads, the best
open model, where the top open models come from, the best value for money."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from modelarena.catalog import blended_price


@dataclass
class LeaderboardRow:
    model: str
    display_name: str
    rating: float
    ci_lower: float | None  # None: fewer than ratings.MIN_INTERVAL_VOTES ("not enough votes")
    ci_upper: float | None
    rank: int | None  # None with the interval: not ranked until it has enough votes
    votes: int
    win_rate: float
    open_weights: bool | None
    country: str | None
    lab: str | None
    license: str | None
    license_class: str | None
    price_input_per_m: float | None
    price_output_per_m: float | None
    provisional: bool

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Headline:
    leaders: list[str] = field(default_factory=list)  # rank 1: tied for first when several
    best_open: str | None = None
    open_leaders: list[str] = field(default_factory=list)  # open models tied for best open
    best_open_rank: int | None = None  # rank among all models shown
    best_open_rank_shared: bool = False  # another model shown has the same rank
    top_open_country: str | None = None
    top_open_country_share: str | None = None  # e.g. "8 of the top 10 open models"
    best_open_outside: str | None = None
    best_open_outside_rank: int | None = None  # its place among the open models shown
    best_value: str | None = None  # cheapest model statistically tied with the best priced one
    best_value_price: float | None = None


def _leaders(rows: Sequence[LeaderboardRow]) -> list[LeaderboardRow]:
    """The rows no other row is surely above (rank 1 among ``rows``): tied for first."""
    lows = [r.ci_lower for r in rows if r.ci_lower is not None]
    return [r for r in rows if r.ci_upper is not None and not any(low > r.ci_upper for low in lows)]


def headline(rows: Sequence[LeaderboardRow]) -> Headline:
    """Answers to the field's usual questions, from the rows shown that have an interval.

    No model is crowned alone unless the data separate it: ``leaders`` lists every model
    tied for first, ``open_leaders`` every open model tied for best open model."""
    h = Headline()
    rows = [r for r in rows if r.rank is not None]
    h.leaders = [r.display_name for r in _leaders(rows)]
    open_rows = [r for r in rows if r.open_weights]
    if open_rows:
        h.best_open = open_rows[0].display_name
        h.open_leaders = [r.display_name for r in _leaders(open_rows)]
        h.best_open_rank = open_rows[0].rank
        h.best_open_rank_shared = sum(r.rank == h.best_open_rank for r in rows) > 1
        top = open_rows[:10]
        country, count = (
            Counter(r.country for r in top if r.country).most_common(1)[0]
            if any(r.country for r in top)
            else (None, 0)
        )
        h.top_open_country = country
        if country:
            h.top_open_country_share = f"{count} of the top {len(top)} open models"
            outside = [r for r in open_rows if r.country != country]
            if outside:
                h.best_open_outside = outside[0].display_name
                h.best_open_outside_rank = 1 + open_rows.index(
                    outside[0]
                )  # place among open models
    priced = [
        r for r in rows if r.price_input_per_m is not None and r.price_output_per_m is not None
    ]
    if priced:
        best = priced[0]

        def blended(r: LeaderboardRow) -> float:
            return blended_price(r.price_input_per_m, r.price_output_per_m) or 0.0

        tied = [r for r in priced if (r.ci_upper or 0.0) >= (best.ci_lower or 0.0)]
        pick = min(tied, key=blended)
        h.best_value, h.best_value_price = pick.display_name, round(blended(pick), 4)
    return h
