"""Where the landscape's boards come from: a stored snapshot of a published leaderboard
(``NAME@DATE``, or ``NAME`` for its newest) or the arena's own board (any source, category or
filter, fitted by the leaderboard code). The CLI, the report and the ``/landscape`` page all
gather their inputs here."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

from modelarena.catalog import Catalog, resolver
from modelarena.landscape.board import (
    Agreement,
    By,
    OpenBoard,
    RatedModel,
    open_board,
    rank_agreement,
)
from modelarena.landscape.cost import CostReport, PriceTable, SelfHosting, cost_report
from modelarena.landscape.gap import DatedScore, capability_gap, read_dated_scores
from modelarena.landscape.gap_refit import Fit
from modelarena.landscape.report import ReportInputs, adoption_section
from modelarena.landscape.snapshots import DEFAULT_CATEGORY, LandscapeError
from modelarena.leaderboard import LeaderboardFilters, compute_leaderboard, fit_inputs
from modelarena.store import Store
from modelarena.store.landscape_snapshots import SnapshotRow, TokenUsage

ARENA = "arena"


@dataclass
class Board:
    label: str  # "lmarena@2025-11-20 (full)" or "arena (source=human)"
    models: list[RatedModel]
    method: str
    arena_ids: dict[str, str]  # model name on the board -> the arena's model id (arena only)

    def open_figures(
        self,
        catalog: Catalog,
        *,
        countries: tuple[str, str] = ("CN", "US"),
        by: By = "developer",
        pool_variants: bool = False,
    ) -> OpenBoard:
        """Who leads among the open models of this board (:func:`open_board`)."""
        return open_board(
            self.label,
            self.models,
            catalog,
            countries=countries,
            by=by,
            method=self.method,
            pool_variants=pool_variants,
        )

    def agreement(self, other: Board, catalog: Catalog, *, resamples: int = 1000) -> Agreement:
        """How this board's ranking agrees with ``other``'s (:func:`rank_agreement`)."""
        return rank_agreement(
            self.label, self.models, other.label, other.models, catalog, resamples=resamples
        )


def rated_models(rows: Sequence[SnapshotRow]) -> list[RatedModel]:
    """The rows of a stored snapshot as a board's models."""
    return [
        RatedModel(
            r.model,
            r.rating,
            r.rating_lower,
            r.rating_upper,
            r.votes,
            r.organization,
            r.license,
            r.open_weights,
        )
        for r in rows
    ]


def parse_snapshot(spec: str) -> tuple[str, date | None]:
    """``NAME@YYYY-MM-DD`` or ``NAME`` (the newest)."""
    name, _, when = spec.partition("@")
    if not name.strip():
        raise LandscapeError(f"snapshot {spec!r}: give NAME@YYYY-MM-DD, e.g. lmarena@2025-11-20")
    if not when:
        return name.strip(), None
    try:
        return name.strip(), date.fromisoformat(when.strip())
    except ValueError:
        raise LandscapeError(
            f"snapshot {spec!r}: the date must be YYYY-MM-DD, e.g. lmarena@2025-11-20"
        ) from None


def snapshot_board(store: Store, spec: str, category: str = DEFAULT_CATEGORY) -> Board:
    name, when = parse_snapshot(spec)
    found = store.landscape.rows(name, when, category)
    if found is None:
        have = sorted({f"{s.label} ({s.category})" for s in store.landscape.snapshots()})
        hint = ", ".join(have) if have else "none stored yet"
        raise LandscapeError(
            f"no snapshot {spec!r} with category {category!r} (stored: {hint}); import one with "
            "`arena landscape import FILE --name NAME --date YYYY-MM-DD`"
        )
    info, rows = found
    return Board(
        f"{info.label} ({category})",
        rated_models(rows),
        f"ratings and 95% intervals as published by {info.name} on {info.snapshot_date}",
        {},
    )


def arena_board(arena: Any, filters: LeaderboardFilters | None = None) -> Board:
    """The arena's own board under ``filters`` (rated rows only: a row without enough votes
    has no interval and no rank). Names are catalog ids where the catalog knows the model."""
    f = filters or LeaderboardFilters()
    board = compute_leaderboard(arena.store, arena.model_info, f)
    models, ids = [], {}
    for r in board.rows:
        if r.rank is None:
            continue
        info = arena.model_info(r.model)
        name = info.entry.id if info.entry is not None else r.model
        ids[name] = r.model
        models.append(RatedModel(name, r.rating, r.ci_lower, r.ci_upper, r.votes))
    return Board(f"{ARENA} ({f.describe()})", models, board.method, ids)


def pick_board(
    arena: Any, spec: str | None, category: str, filters: LeaderboardFilters | None
) -> Board:
    """``spec`` a snapshot, ``arena``, or None: the newest stored snapshot."""
    if spec == ARENA:
        return arena_board(arena, filters)
    if spec is None:
        stored = arena.store.landscape.snapshots()
        if not stored:
            raise LandscapeError(
                "no published board stored; import one with `arena landscape import FILE "
                "--name NAME --date YYYY-MM-DD`, or use --arena for the arena's own board"
            )
        # the newest with this category; else the newest, whose error lists the categories
        spec = next((s for s in stored if s.category == category), stored[0]).label
    board = snapshot_board(arena.store, spec, category)
    if filters is not None and filters.min_votes:
        # a published row without a vote count is kept: the file did not say
        board.models = [m for m in board.models if m.votes is None or m.votes >= filters.min_votes]
        board.method += f"; models with fewer than {filters.min_votes} votes left out"
    return board


def logged_usage(arena: Any, board: Board) -> dict[str, TokenUsage]:
    """The tokens the arena logged for each model of ``board``, by the board's names: the
    arena's own names directly, a published board's through the catalog (``gpt-5-2025-08-07``
    on the board is the arena's contestant whose catalog entry is ``gpt-5``)."""
    logged = {u.model: u for u in arena.store.landscape.token_usage()}
    if board.arena_ids:
        return {name: logged[aid] for name, aid in board.arena_ids.items() if aid in logged}
    by_entry: dict[str, TokenUsage] = {}
    for model_id, use in logged.items():
        entry = arena.model_info(model_id).entry
        by_entry.setdefault(entry.id if entry is not None else model_id, use)
    names = resolver(arena.catalog)
    out = {}
    for m in board.models:
        entry = names.resolve(m.name).entry
        key = entry.id if entry is not None else m.name
        if key in by_entry:
            out[m.name] = by_entry[key]
    return out


def board_cost(
    arena: Any, board: Board, *, anchor: str | None = None, hosting: SelfHosting | None = None
) -> CostReport:
    """Quality against price for ``board``: the vendored price table and the tokens the arena
    logged for its models (:func:`cost_report`)."""
    return cost_report(
        board.models,
        arena.catalog,
        logged_usage(arena, board),
        table=PriceTable.vendored(),
        anchor=anchor,
        hosting=hosting,
    )


def arena_dated_scores(arena: Any, filters: LeaderboardFilters | None = None) -> list[DatedScore]:
    """The arena's current ratings with the catalog's release dates (models without a date
    are left out)."""
    out = []
    for m in arena_board(arena, filters).models:
        entry = arena.catalog.get(m.name)
        if entry is None or entry.release_date is None:
            continue
        out.append(
            DatedScore(
                m.name,
                m.rating,
                entry.release_date,
                (entry.country,),
                entry.open_weights,
                entry.lab,
            )
        )
    if not out:
        raise LandscapeError(
            "no rated arena model has a catalog release date; vote more or give an ECI file"
        )
    return out


def arena_refits(
    arena: Any,
    filters: LeaderboardFilters | None = None,
    *,
    start: date | None = None,
    end: date | None = None,
    step_days: int = 7,
) -> tuple[list[DatedScore], list[Fit]]:
    """The arena's models with their catalog release dates, and their ratings refitted on the
    votes up to every ``step_days``-th day (and the last) from the first vote or ``start``
    to the last vote or ``end``: the inputs of :func:`refit_gap`."""
    from modelarena import ratings

    f = filters or LeaderboardFilters()
    key, _ = fit_inputs(arena.store, f)
    arrays = arena.store.vote_arrays(
        sources=list(key.sources), categories=list(f.categories) or None
    )
    if not len(arrays.day):
        raise LandscapeError("the arena has no counted votes yet; vote with `arena battle`")
    names = []
    dated = []
    for model_id in arrays.models:
        entry = arena.model_info(model_id).entry
        name = entry.id if entry is not None else model_id
        names.append(name)
        if entry is not None and entry.release_date is not None:
            dated.append(
                DatedScore(
                    name, 0.0, entry.release_date, (entry.country,), entry.open_weights, entry.lab
                )
            )
    first = int(arrays.day.min())
    last = int(arrays.day.max())
    epoch = date(1970, 1, 1).toordinal()
    lo = max(first, start.toordinal() - epoch) if start else first
    hi = min(last, end.toordinal() - epoch) if end else last
    grid = list(range(lo, hi + 1, step_days))
    if not grid or grid[-1] != hi:
        grid.append(hi)
    order = np.argsort(arrays.day, kind="stable")
    sorted_day = arrays.day[order]
    fits: list[Fit] = []
    for d in grid:
        upto = order[: int(np.searchsorted(sorted_day, d, side="right"))]
        counts = ratings.aggregate(
            arrays.model_a[upto], arrays.model_b[upto], arrays.outcome[upto], len(arrays.models)
        )
        fitted = ratings.fit_connected(counts)
        if fitted is None:
            continue
        rated = {names[int(m)]: float(fitted.fit.ratings[k]) for k, m in enumerate(fitted.models)}
        fits.append((date.fromordinal(epoch + d), rated))
    return dated, fits


def build_report(
    arena: Any,
    *,
    snapshots: list[str] | None = None,
    category: str = DEFAULT_CATEGORY,
    eci: Path | None = None,
    hub: str | None = None,
    countries: tuple[str, str] = ("CN", "US"),
    by: By = "developer",
    pool_variants: bool = False,
    anchor: str | None = None,
    hosting: SelfHosting | None = None,
    resamples: int = 1000,
) -> ReportInputs:
    """Everything the report shows, computed; what cannot be is listed with its fix."""
    inputs = ReportInputs()
    store: Store = arena.store
    specs = snapshots
    if specs is None:  # the newest snapshot of each stored name
        seen: dict[str, str] = {}
        for s in store.landscape.snapshots():
            if s.category == category:
                seen.setdefault(s.name, s.label)
        specs = list(seen.values())
    boards: list[Board] = [snapshot_board(store, s, category) for s in specs]
    own = arena_board(arena)
    if own.models:
        boards.append(own)
    elif not boards:
        inputs.missing.append(
            "boards: no votes in the arena and no published board stored (`arena landscape "
            "import FILE --name NAME --date YYYY-MM-DD`)"
        )
    for b in boards:
        try:
            inputs.boards.append(
                b.open_figures(
                    arena.catalog, countries=countries, by=by, pool_variants=pool_variants
                )
            )
        except LandscapeError as exc:
            inputs.missing.append(str(exc))
    for i, a in enumerate(boards):
        for b in boards[i + 1 :]:
            try:
                inputs.agreements.append(a.agreement(b, arena.catalog, resamples=resamples))
            except LandscapeError as exc:
                inputs.missing.append(f"agreement: {exc}")
    if eci is not None:
        scores = read_dated_scores(eci)
        inputs.gaps.append(capability_gap(scores, "US", "CN", resamples=resamples))
        inputs.gaps.append(capability_gap(scores, "closed", "open", resamples=resamples))
    else:
        inputs.missing.append(
            "gap in months: give --eci FILE (an Epoch Capabilities Index export) to include it"
        )
    if own.models:
        inputs.cost = board_cost(arena, own, anchor=anchor, hosting=hosting)
    else:
        inputs.missing.append("cost: the arena has no rated models yet (vote with `arena battle`)")
    inputs.adoption_html, why = adoption_section(hub)
    if why:
        inputs.missing.append(why)
    return inputs


__all__ = [
    "ARENA",
    "Board",
    "arena_board",
    "arena_dated_scores",
    "arena_refits",
    "board_cost",
    "logged_usage",
    "build_report",
    "parse_snapshot",
    "pick_board",
    "rated_models",
    "snapshot_board",
]
