"""The leaderboard: ratings fitted on stored votes, joined with catalog facts, filtered.

The fit always uses every counted vote of the chosen source and categories, so ratings stay
on one scale; metadata filters (open weights, country, licence class, minimum votes) hide
rows afterwards, and ranks are recomputed among the rows shown.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import numpy as np

from modelarena import ratings
from modelarena.store import HUMAN, PairCells, Store

Info = Callable[[str], Any]  # model id -> ModelInfo-like object (see arena.ModelInfo)


@dataclass(frozen=True)
class LeaderboardFilters:
    open_weights: bool | None = None
    countries: tuple[str, ...] = ()
    license_classes: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    source: str = HUMAN  # "human", "judge:<model>", or "judge" for every judge
    min_votes: int = 0
    style_control: bool = False
    intervals: Literal["sandwich", "bootstrap"] = "sandwich"
    weighted: bool = False  # inverse-probability weighting by the logged pair probability
    ties: Literal["half", "davidson"] = "half"

    def describe(self) -> str:
        parts = [f"source={self.source}"]
        if self.open_weights is not None:
            parts.append("open weights only" if self.open_weights else "closed only")
        if self.countries:
            parts.append("country=" + ",".join(self.countries))
        if self.license_classes:
            parts.append("licence=" + ",".join(self.license_classes))
        if self.categories:
            parts.append("category=" + ",".join(self.categories))
        if self.min_votes:
            parts.append(f"min votes={self.min_votes}")
        if self.style_control:
            parts.append("style control")
        if self.weighted:
            parts.append("IPW")
        return ", ".join(parts)


@dataclass
class LeaderboardRow:
    model: str
    display_name: str
    rating: float
    ci_lower: float
    ci_upper: float
    rank: int
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
    best_open: str | None = None
    top_open_country: str | None = None
    top_open_country_share: str | None = None  # e.g. "8 of the top 10 open models"
    best_open_outside: str | None = None
    best_open_outside_rank: int | None = None  # its place among the open models shown
    best_value: str | None = None  # cheapest model statistically tied with the best priced one
    best_value_price: float | None = None


@dataclass
class Leaderboard:
    rows: list[LeaderboardRow]
    filters: LeaderboardFilters
    total_votes: int
    method: str
    unrated: list[str] = field(default_factory=list)  # outside the main comparison graph
    style_coefficients: dict[str, float] = field(default_factory=dict)
    fragile_pairs: list[dict[str, Any]] = field(default_factory=list)
    headline: Headline = field(default_factory=Headline)
    models: list[str] = field(default_factory=list)  # every fitted model, by index below
    wins: list[list[float]] = field(default_factory=list)  # wins[i][j]: i beat j (ties half)
    battles: list[list[float]] = field(default_factory=list)
    fitted: list[float] = field(default_factory=list)  # ratings of `models`, shown or not

    def to_dict(self) -> dict[str, Any]:
        return {
            "filters": asdict(self.filters),
            "total_votes": self.total_votes,
            "method": self.method,
            "rows": [r.to_dict() for r in self.rows],
            "unrated": self.unrated,
            "style_coefficients": self.style_coefficients,
            "fragile_pairs": self.fragile_pairs,
            "headline": asdict(self.headline),
        }


def _sources(store: Store, source: str) -> list[str]:
    if source == "judge":
        return [s for s in store.sources() if s.startswith("judge:")] or ["judge:"]
    return [source]


def _passes(info: Any, f: LeaderboardFilters) -> bool:
    if f.open_weights is not None and info.open_weights is not f.open_weights:
        return False
    if f.countries and (info.country or "").upper() not in {c.upper() for c in f.countries}:
        return False
    return not (f.license_classes and info.license_class not in f.license_classes)


def comparable_counts(cells: PairCells) -> tuple[ratings.PairCounts, list[str], list[str]]:
    """Counts of the largest connected set of models, its models, and the models left out.

    Models in another component than the largest were never compared with it, even
    indirectly: their relative ratings are undefined, so they are listed, not rated."""
    counts = ratings.pair_counts_from_cells(
        cells.a, cells.b, cells.wins_a, cells.wins_b, cells.ties, len(cells.models)
    )
    models = list(cells.models)
    counts, main = ratings.largest_component(counts)
    if len(main) == len(models):
        return counts, models, []
    kept = set(main.tolist())
    unrated = sorted(m for i, m in enumerate(models) if i not in kept)
    return counts, [models[i] for i in main], unrated


def compute_leaderboard(
    store: Store,
    info: Info,
    filters: LeaderboardFilters | None = None,
    *,
    previous: Leaderboard | None = None,
) -> Leaderboard:
    """Fit and tabulate. ``previous`` (the last board of the same filters) warm-starts the
    fit, so a refresh after a few new votes takes one or two Newton steps."""
    f = filters or LeaderboardFilters()
    sources = _sources(store, f.source)
    categories = list(f.categories) or None
    cells = store.pair_cells(sources=sources, categories=categories)
    tie_text = "as half a win" if f.ties == "half" else "Davidson"
    method = f"Bradley-Terry MLE, {f.intervals} 95% CI, ties {tie_text}"
    if not cells.models:
        return Leaderboard([], f, 0, method)
    counts, models, unrated = comparable_counts(cells)
    coefficients: dict[str, float] = {}
    if f.style_control or f.weighted:
        arrays = store.vote_arrays(sources=sources, categories=categories)
        index = {m: i for i, m in enumerate(models)}
        pick = (
            np.array(
                [
                    arrays.models[a] in index and arrays.models[b] in index
                    for a, b in zip(arrays.model_a, arrays.model_b, strict=True)
                ],
                dtype=bool,
            )
            if len(arrays.model_a)
            else np.zeros(0, dtype=bool)
        )
        to_new = np.array([index.get(m, -1) for m in arrays.models], dtype=np.int64)
        ma = to_new[arrays.model_a[pick]] if pick.any() else np.zeros(0, dtype=np.int64)
        mb = to_new[arrays.model_b[pick]] if pick.any() else np.zeros(0, dtype=np.int64)
        outcome = arrays.outcome[pick]
        weights = None
        if f.weighted:
            probs = arrays.pair_probability[pick]
            probs = np.where(
                np.isfinite(probs) & (probs > 0),
                probs,
                np.nanmedian(np.where(np.isfinite(probs), probs, np.nan))
                if np.isfinite(probs).any()
                else 1.0,
            )
            weights = ratings.inverse_probability_weights(probs)
        if f.style_control:
            features = ratings.style_features(arrays.style_a[pick], arrays.style_b[pick])
            style = ratings.fit_style_controlled(
                ma, mb, outcome, features, len(models), weights=weights
            )
            values = style.ratings
            lower, upper = style.intervals.lower, style.intervals.upper
            coefficients = dict(
                zip(style.feature_names, map(float, style.coefficients), strict=True)
            )
            method = (
                "Bradley-Terry with style control (length, headers, lists, bold), sandwich 95% CI"
            )
            fit = None
        else:
            counts = ratings.aggregate(ma, mb, outcome, len(models), weights=weights)
    if not f.style_control:
        start = None
        if previous is not None and previous.models == models and previous.fitted:
            start = np.array(previous.fitted)
        fit = ratings.fit_bradley_terry(counts, ties=f.ties, start=start)
        if f.intervals == "bootstrap":
            iv = ratings.bootstrap_intervals(counts, ties=f.ties)
        else:
            iv = ratings.sandwich_intervals(counts, fit)
        values, lower, upper = fit.ratings, iv.lower, iv.upper

    n = len(models)
    wins = np.zeros((n, n))
    games = np.zeros((n, n))
    np.add.at(wins, (counts.a, counts.b), counts.wins_a + counts.ties / 2)
    np.add.at(wins, (counts.b, counts.a), counts.wins_b + counts.ties / 2)
    total = counts.wins_a + counts.wins_b + counts.ties
    np.add.at(games, (counts.a, counts.b), total)
    np.add.at(games, (counts.b, counts.a), total)
    votes_per_model = games.sum(axis=1)
    win_rate = np.divide(
        wins.sum(axis=1), votes_per_model, out=np.zeros(n), where=votes_per_model > 0
    )

    shown = []
    for i, m in enumerate(models):
        mi = info(m)
        if votes_per_model[i] < f.min_votes or not _passes(mi, f):
            continue
        shown.append(i)
    idx = np.array(shown, dtype=np.int64)
    ranks = (
        ratings.rank_bounds(values[idx], lower[idx], upper[idx])
        if len(idx)
        else np.zeros(0, dtype=np.int64)
    )
    rows = []
    for k, i in enumerate(idx):
        mi = info(models[i])
        e = mi.entry
        rows.append(
            LeaderboardRow(
                model=models[i],
                display_name=mi.display_name,
                rating=round(float(values[i]), 2),
                ci_lower=round(float(lower[i]), 2),
                ci_upper=round(float(upper[i]), 2),
                rank=int(ranks[k]),
                votes=int(votes_per_model[i]),
                win_rate=round(float(win_rate[i]), 4),
                open_weights=mi.open_weights,
                country=mi.country,
                lab=mi.lab,
                license=mi.license,
                license_class=mi.license_class,
                price_input_per_m=e.price_input_per_m if e else None,
                price_output_per_m=e.price_output_per_m if e else None,
                provisional=bool(ratings.is_provisional(lower[i], upper[i], votes_per_model[i])),
            )
        )
    rows.sort(key=lambda r: (-r.rating, r.model))
    fragile: list[dict[str, Any]] = []
    if fit is not None and n >= 2:
        for p in ratings.fragility(counts, fit, top=10):
            fragile.append(
                {
                    "upper": models[p.upper],
                    "lower": models[p.lower],
                    "votes_to_swap": round(float(p.votes_to_swap), 1),
                    "share_to_swap": float(p.share_to_swap),
                    "tied": bool(p.tied),
                }
            )
    board = Leaderboard(
        rows=rows,
        filters=f,
        total_votes=int(total.sum()),
        method=method,
        unrated=unrated,
        style_coefficients=coefficients,
        fragile_pairs=fragile,
        models=models,
        wins=wins.tolist(),
        battles=games.tolist(),
        fitted=[float(v) for v in values],
    )
    board.headline = headline(rows)
    return board


def headline(rows: Sequence[LeaderboardRow]) -> Headline:
    """Answers to the field's usual questions, from the rows shown."""
    h = Headline()
    open_rows = [r for r in rows if r.open_weights]
    if open_rows:
        h.best_open = open_rows[0].display_name
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
            return (3 * (r.price_input_per_m or 0) + (r.price_output_per_m or 0)) / 4

        tied = [r for r in priced if r.ci_upper >= best.ci_lower]
        pick = min(tied, key=blended)
        h.best_value, h.best_value_price = pick.display_name, round(blended(pick), 4)
    return h
