"""The leaderboard: ratings fitted on stored votes, joined with catalog facts, filtered.

The fit always uses every counted vote of the chosen source and categories, so ratings stay
on one scale; metadata filters (open weights, country, licence class, minimum votes) hide
rows afterwards, and ranks are recomputed among the rows shown.

Hence two halves: :func:`fit_board` (the costly part, which depends only on what
:class:`FitKey` holds) and :func:`tabulate` (the display filters applied to a fit), so
that a cache of fits (web/boards.py) serves every display filter.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from modelarena import ratings
from modelarena.leaderboard.design_style import design_only, style_intervals, with_design_checks
from modelarena.leaderboard.filters import LeaderboardFilters
from modelarena.leaderboard.rows import Headline, LeaderboardRow, headline
from modelarena.ratings.clustered import clustered_intervals
from modelarena.ratings.intervals import intervals_from_se
from modelarena.store import PairCells, Store

Info = Callable[[str], Any]  # model id -> ModelInfo-like object (see arena.ModelInfo)


@dataclass
class Leaderboard:
    rows: list[LeaderboardRow]
    filters: LeaderboardFilters
    total_votes: int
    method: str
    unrated: list[str] = field(default_factory=list)  # outside the main comparison graph
    style_coefficients: dict[str, float] = field(default_factory=dict)
    style_intervals: dict[str, tuple[float, float]] = field(default_factory=dict)  # 95%
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
            "style_intervals": self.style_intervals,
            "fragile_pairs": self.fragile_pairs,
            "headline": asdict(self.headline),
        }


def _sources(store: Store, source: str) -> list[str]:
    if source == "judge":
        return [s for s in store.sources() if s.startswith("judge:")] or ["judge:"]
    return [source]


def _passes(info: Any, f: LeaderboardFilters) -> bool:
    return f.admits(info)


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
    return tabulate(fit_board(store, f, previous=previous), info, f)


@dataclass(frozen=True)
class FitKey:
    """Everything a fit depends on, and nothing else: equal keys give equal fits.

    ``votes`` identifies the counted votes of the fit's sources and categories (a digest of
    their per-pair counts, which also names the models in the fit, and for fits that read
    the votes themselves the newest vote's id). The display filters
    (open weights, country, licence class, minimum votes) are not in it: they only hide
    rows of the same fit."""

    sources: tuple[str, ...]
    categories: tuple[str, ...]
    languages: tuple[str, ...]
    style_control: bool
    intervals: str
    weighted: bool
    ties: str
    votes: str


@dataclass
class BoardFit:
    """The fitted half of a board, shared by every display filter (see :func:`tabulate`)."""

    method: str
    models: list[str] = field(default_factory=list)
    unrated: list[str] = field(default_factory=list)
    values: np.ndarray = field(default_factory=lambda: np.zeros(0))
    lower: np.ndarray = field(default_factory=lambda: np.zeros(0))
    upper: np.ndarray = field(default_factory=lambda: np.zeros(0))
    wins: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    games: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    coefficients: dict[str, float] = field(default_factory=dict)
    fragile: list[dict[str, Any]] = field(default_factory=list)
    total_votes: int = 0
    counts: ratings.PairCounts | None = None  # what fragility needs, per display filter
    coefficient_intervals: dict[str, tuple[float, float]] = field(default_factory=dict)
    bt: ratings.BTFit | None = None

    @property
    def fitted(self) -> list[float]:
        return [float(v) for v in self.values]


def votes_digest(cells: PairCells) -> str:
    """A short digest of the counted votes behind ``cells`` (models and per-pair counts)."""
    h = hashlib.blake2b(digest_size=16)
    h.update("\0".join(cells.models).encode())
    for part in (cells.a, cells.b, cells.wins_a, cells.wins_b, cells.ties):
        h.update(np.ascontiguousarray(part).tobytes())
    return h.hexdigest()


def fit_inputs(store: Store, filters: LeaderboardFilters) -> tuple[FitKey, PairCells]:
    """The key of the fit these filters need, and the vote counts it is made from (cheap:
    the pair-count cache, not the votes)."""
    f = filters
    sources = _sources(store, f.source)
    cells = store.pair_cells(
        sources=sources, categories=list(f.categories) or None, languages=f.languages
    )
    key = FitKey(
        sources=tuple(sorted(sources)),
        categories=tuple(sorted(f.categories)),
        languages=tuple(sorted(f.languages)),
        style_control=f.style_control,
        intervals=f.intervals,
        weighted=f.weighted,
        ties=f.ties,
        votes=votes_digest(cells) + _vote_log_marker(store, f),
    )
    return key, cells


def _vote_log_marker(store: Store, f: LeaderboardFilters) -> str:
    """Per-pair counts are all a plain fit reads, but style control and weighting read the
    votes themselves: a vote uncounted and another alike stored leave the counts as they
    were and change the fit. The newest vote's id tells such states apart."""
    return f":{store.last_vote_id()}" if f.style_control or f.weighted else ""


def fit_board(
    store: Store,
    filters: LeaderboardFilters,
    *,
    cells: PairCells | None = None,
    previous: Leaderboard | BoardFit | None = None,
) -> BoardFit:
    """The fit (ratings, intervals, matrices, fragility) for the filters' source,
    categories and method; ``cells`` as read by :func:`fit_inputs`, if already read."""
    f = filters
    sources = _sources(store, f.source)
    categories = list(f.categories) or None
    if cells is None:
        cells = store.pair_cells(sources=sources, categories=categories, languages=f.languages)
    tie_text = "as half a win" if f.ties == "half" else "Davidson"
    method = f"Bradley-Terry MLE, {f.intervals} 95% CI, ties {tie_text}"
    if not cells.models:
        return BoardFit(method)
    counts, models, unrated = comparable_counts(cells)
    coefficients: dict[str, float] = {}
    coefficient_intervals: dict[str, tuple[float, float]] = {}
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
            a_stats, b_stats = arrays.style_a[pick], arrays.style_b[pick]
            names: tuple[str, ...] = ratings.STYLE_FEATURES
            if design_only(categories):  # and the browser checks of each design
                a_stats, b_stats, names = with_design_checks(
                    store, sources, categories, pick, a_stats, b_stats
                )
            features = ratings.style_features(a_stats, b_stats)
            style = ratings.fit_style_controlled(
                ma, mb, outcome, features, len(models), weights=weights, feature_names=names
            )
            values = style.ratings
            lower, upper = style.intervals.lower, style.intervals.upper
            coefficients = dict(
                zip(style.feature_names, map(float, style.coefficients), strict=True)
            )
            coefficient_intervals = style_intervals(style)
            method = f"Bradley-Terry with style control ({', '.join(names)}), sandwich 95% CI"
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
            if not f.weighted and store.tournaments.has_votes(sources, categories, f.languages):
                iv = clustered(store, sources, categories, f.languages, counts, fit, models, iv)
                method = f"Bradley-Terry MLE, {iv.method} 95% CI, ties {tie_text}"
        values, lower, upper = fit.ratings, iv.lower, iv.upper

    n = len(models)
    wins = np.zeros((n, n))
    games = np.zeros((n, n))
    np.add.at(wins, (counts.a, counts.b), counts.wins_a + counts.ties / 2)
    np.add.at(wins, (counts.b, counts.a), counts.wins_b + counts.ties / 2)
    total = counts.wins_a + counts.wins_b + counts.ties
    np.add.at(games, (counts.a, counts.b), total)
    np.add.at(games, (counts.b, counts.a), total)
    fragile = fragile_pairs(counts, fit, models, np.arange(n)) if fit is not None else []
    return BoardFit(
        method,
        models,
        unrated,
        values,
        lower,
        upper,
        wins,
        games,
        coefficients,
        fragile,
        total_votes=int(total.sum()),
        counts=counts if fit is not None else None,
        coefficient_intervals=coefficient_intervals,
        bt=fit,
    )


def clustered(
    store: Store,
    sources: list[str],
    categories: list[str] | None,
    languages: tuple[str, ...],
    counts: ratings.PairCounts,
    fit: ratings.BTFit,
    models: list[str],
    plain: ratings.Intervals,
) -> ratings.Intervals:
    """A board with tournament votes: the four votes of a session, and a voter's votes,
    are not independent. Each model's interval is the wider of the plain sandwich and the
    two-way cluster-robust one (by session and voter, docs/statistics.md "Tournaments"),
    so clustering only ever widens it; boards without tournaments keep the plain one."""
    cv = store.tournaments.clustered_votes(sources, categories, languages)
    index = {m: i for i, m in enumerate(models)}
    to_new = np.array([index.get(m, -1) for m in cv.models] or [-1], dtype=np.int64)
    a, b = to_new[cv.model_a], to_new[cv.model_b]
    keep = (a >= 0) & (b >= 0)
    robust = clustered_intervals(
        counts, fit, a[keep], b[keep], cv.outcome[keep],
        sessions=cv.session[keep], voters=cv.voter[keep], level=plain.level,
    )  # fmt: skip
    se = np.maximum(plain.se, robust.se)
    return intervals_from_se(
        fit.ratings, se, plain.level, "sandwich clustered by session and voter"
    )


def fragile_pairs(
    counts: ratings.PairCounts, fit: ratings.BTFit, models: list[str], among: np.ndarray
) -> list[dict[str, Any]]:
    """How fragile the order of the top ten is, adjacent among the models ``among`` only
    (those shown), so a note never names a model the filters hide."""
    if len(among) < 2:
        return []
    return [
        {
            "upper": models[p.upper],
            "lower": models[p.lower],
            "votes_to_swap": round(float(p.votes_to_swap), 1),
            "share_to_swap": float(p.share_to_swap),
            "tied": bool(p.tied),
        }
        for p in ratings.fragility(counts, fit, top=10, models=among)
    ]


def tabulate(fit: BoardFit, info: Info, filters: LeaderboardFilters) -> Leaderboard:
    """The board a fit gives under ``filters``' display filters: rows hidden, ranks among
    the rows shown, the headline. Cheap: nothing is fitted here."""
    f = filters
    models, values, lower, upper = fit.models, fit.values, fit.lower, fit.upper
    wins, games = fit.wins, fit.games
    if not models:
        return Leaderboard([], f, 0, fit.method)
    n = len(models)
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
    # Too few votes for an honest interval: shown as "not enough votes", unranked, last.
    rated = idx[ratings.has_interval(votes_per_model[idx])] if len(idx) else idx
    rank_of = dict(
        zip(
            rated.tolist(),
            ratings.rank_bounds(values[rated], lower[rated], upper[rated]).tolist(),
            strict=True,
        )
    )
    rows = []
    for i in idx.tolist():
        mi = info(models[i])
        e = mi.entry
        ok = i in rank_of
        rows.append(
            LeaderboardRow(
                model=models[i],
                display_name=mi.display_name,
                rating=round(float(values[i]), 2),
                ci_lower=round(float(lower[i]), 2) if ok else None,
                ci_upper=round(float(upper[i]), 2) if ok else None,
                rank=int(rank_of[i]) if ok else None,
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
    rows.sort(key=lambda r: (r.rank is None, -r.rating, r.model))
    board = Leaderboard(
        rows=rows,
        filters=f,
        total_votes=fit.total_votes,
        method=fit.method,
        unrated=[m for m in fit.unrated if _passes(info(m), f)],
        style_coefficients=dict(fit.coefficients),
        style_intervals=dict(fit.coefficient_intervals),
        fragile_pairs=(
            list(fit.fragile)
            if fit.counts is None or fit.bt is None or len(rated) == n
            else fragile_pairs(fit.counts, fit.bt, models, rated)
        ),
        models=list(models),
        wins=wins.tolist(),
        battles=games.tolist(),
        fitted=fit.fitted,
    )
    board.headline = headline(rows)
    return board
