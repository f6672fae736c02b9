"""The leaderboard and model pages' data: filters from the URL, the cache of fits shared by
the API and the pages, matrices, rating histories."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter, OrderedDict, defaultdict
from collections.abc import Callable, Hashable, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any, TypeVar

import anyio
import anyio.to_thread
import numpy as np

from modelarena.leaderboard import (
    BoardFit,
    FitKey,
    Leaderboard,
    LeaderboardFilters,
    fit_board,
    fit_inputs,
    tabulate,
)
from modelarena.leaderboard import (
    FilterError as FilterError,  # re-exported for the routes
)
from modelarena.store import HUMAN, PairCells, VoteArrays

if TYPE_CHECKING:
    from modelarena.arena import Arena

log = logging.getLogger(__name__)
T = TypeVar("T")
Key = tuple[str, *tuple[Hashable, ...]]  # (kind, what the value depends on...)

HISTORY_MAX_DAYS = 90


def parse_filters(query: Mapping[str, str]) -> LeaderboardFilters:
    """Leaderboard filters from URL query parameters (the shareable form): the public ones
    of :meth:`LeaderboardFilters.parse`, the same parser as the CLI's."""
    return LeaderboardFilters.parse(query)


class BoardCache:
    """The fits behind the leaderboard and the model pages, one cache for the API and the
    HTML pages.

    A fit is kept under its :class:`~modelarena.leaderboard.FitKey`: the counted votes
    (a digest of their per-pair counts, so a new vote, a ban or a recount makes a new key),
    the source, the categories, style control and the method. Display filters (open
    weights, country, licence class, minimum votes) are not in the key: every one of them
    reuses the fit. The rating history of every model is computed once per state of the
    human votes, at most every ``history_refresh_s``. Concurrent requests for the same key
    wait for one computation (single flight), and fits run in worker threads, at most
    ``fit_threads`` at once, so the event loop keeps answering other requests meanwhile.
    """

    def __init__(
        self, size: int = 64, fit_threads: int = 2, history_refresh_s: float = 60.0
    ) -> None:
        self.size = size
        self.fit_threads = fit_threads
        self.history_refresh_s = history_refresh_s
        self._history: tuple[float, dict[str, list[dict[str, Any]]]] | None = None
        self.computed: Counter[str] = Counter()  # what was computed, by kind (fit, ...)
        # one LRU per kind (fit, board, payload, history): a client that asks for many
        # display filters evicts other boards and payloads, never the fits they share
        self._done: defaultdict[str, OrderedDict[Key, Any]] = defaultdict(OrderedDict)
        self._running: dict[Key, asyncio.Future[Any]] = {}
        self._warm: dict[FitKey, BoardFit] = {}  # the last fit of each key, any votes
        self._limiter: anyio.CapacityLimiter | None = None
        self._reader: anyio.CapacityLimiter | None = None

    async def fit(self, arena: Arena, filters: LeaderboardFilters) -> tuple[FitKey, BoardFit]:
        key, cells = await self._inputs(arena, filters)

        def compute() -> BoardFit:
            warm_key = replace(key, votes="")
            fit = fit_board(arena.store, filters, cells=cells, previous=self._warm.get(warm_key))
            if len(self._warm) >= self.size:
                self._warm.clear()
            self._warm[warm_key] = fit
            return fit

        fit: BoardFit = await self._once(("fit", key), compute, heavy=True)
        return key, fit

    async def board(self, arena: Arena, filters: LeaderboardFilters) -> Leaderboard:
        """The board for ``filters`` (its display filters applied to the shared fit)."""
        key, fit = await self.fit(arena, filters)
        board: Leaderboard = await self._once(
            ("board", key, filters), lambda: tabulate(fit, arena.model_info, filters)
        )
        return board

    async def payload(self, arena: Arena, filters: LeaderboardFilters) -> dict[str, Any]:
        """``GET /api/leaderboard``'s answer for ``filters``."""
        key, _ = await self.fit(arena, filters)
        board = await self.board(arena, filters)  # the same table the pages are given
        payload: dict[str, Any] = await self._once(
            ("payload", key, filters), lambda: board_payload(board)
        )
        return payload

    async def history(self, arena: Arena, model_id: str) -> list[dict[str, Any]]:
        """The model's rating history (see :func:`rating_histories`), computed for every
        model at once: once per state of the votes, and not more often than every
        ``history_refresh_s`` (a new vote moves only the last day's point, while computing
        the history reads every vote); in between, the last one is served."""
        last = self._history
        if last is not None and time.monotonic() - last[0] < self.history_refresh_s:
            return last[1].get(model_id, [])
        key, _ = await self._inputs(arena, LeaderboardFilters())

        def compute() -> dict[str, list[dict[str, Any]]]:
            histories = rating_histories(arena.store.vote_arrays())
            self._history = (time.monotonic(), histories)
            return histories

        histories: dict[str, list[dict[str, Any]]] = await self._once(
            ("history", key.votes), compute, heavy=True
        )
        return histories.get(model_id, [])

    async def _once(self, key: Key, compute: Callable[[], T], *, heavy: bool = False) -> T:
        done = self._done[key[0]]
        if key in done:
            done.move_to_end(key)
            return done[key]  # type: ignore[no-any-return]
        running = self._running.get(key)
        if running is None:
            running = asyncio.ensure_future(self._compute(key, compute, heavy))
            running.add_done_callback(_retrieve)
            self._running[key] = running
        # shielded: a client that goes away does not cancel the others' computation
        return await asyncio.shield(running)

    async def _compute(self, key: Key, compute: Callable[[], T], heavy: bool) -> T:
        try:
            limiter = self._fit_limiter() if heavy else None
            value = await anyio.to_thread.run_sync(compute, limiter=limiter)
            self.computed[key[0]] += 1
            done = self._done[key[0]]
            done[key] = value
            while len(done) > self.size:
                done.popitem(last=False)
            return value
        finally:
            self._running.pop(key, None)

    async def _inputs(self, arena: Arena, filters: LeaderboardFilters) -> tuple[FitKey, PairCells]:
        # a few threads at once: a crowd of them would only queue for database connections
        if self._reader is None:
            self._reader = anyio.CapacityLimiter(4)
        return await anyio.to_thread.run_sync(
            fit_inputs, arena.store, filters, limiter=self._reader
        )

    def _fit_limiter(self) -> anyio.CapacityLimiter:
        if self._limiter is None:  # made in the event loop that uses it
            self._limiter = anyio.CapacityLimiter(self.fit_threads)
        return self._limiter


def _retrieve(task: asyncio.Future[Any]) -> None:
    # A computation whose every waiter went away: its error is not worth a warning.
    if not task.cancelled():
        task.exception()


def finite(value: Any) -> Any:
    """The value with every NaN or infinity replaced by None (JSON has neither)."""
    if isinstance(value, float):
        return value if np.isfinite(value) else None
    if isinstance(value, dict):
        return {k: finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [finite(v) for v in value]
    return value


def board_payload(board: Leaderboard) -> dict[str, Any]:
    out = board.to_dict()
    # The matrices, restricted to the rows shown and in their order.
    index = {m: i for i, m in enumerate(board.models)}
    order = [index[r.model] for r in board.rows if r.model in index]
    names = [r.display_name for r in board.rows if r.model in index]
    wins = np.array(board.wins) if board.wins else np.zeros((0, 0))
    games = np.array(board.battles) if board.battles else np.zeros((0, 0))
    if order:
        w = wins[np.ix_(order, order)]
        g = games[np.ix_(order, order)]
    else:
        w = g = np.zeros((0, 0))
    rate = np.divide(w, g, out=np.full_like(w, np.nan), where=g > 0)
    out["matrix"] = {
        "models": [board.models[i] for i in order],
        "names": names,
        "win_rate": [[None if np.isnan(x) else round(float(x), 3) for x in row] for row in rate],
        "battles": [[int(x) for x in row] for row in g],
    }
    return finite(out)  # type: ignore[no-any-return]


def filters_query(f: LeaderboardFilters) -> dict[str, str]:
    q: dict[str, str] = {}
    if f.open_weights is not None:
        q["open"] = "true" if f.open_weights else "false"
    if f.countries:
        q["country"] = ",".join(f.countries)
    if f.license_classes:
        q["license"] = ",".join(f.license_classes)
    if f.categories:
        q["category"] = ",".join(f.categories)
    if f.languages:
        q["language"] = ",".join(f.languages)
    if f.min_votes:
        q["min_votes"] = str(f.min_votes)
    if f.style_control:
        q["style"] = "true"
    if f.source != HUMAN:
        q["source"] = f.source
    return q


def rating_histories(
    arrays: VoteArrays, max_days: int = HISTORY_MAX_DAYS
) -> dict[str, list[dict[str, Any]]]:
    """Every model's rating history: one point per day on which it had votes (its last
    ``max_days`` such days), its rating refitted on the votes up to that day within its
    group of connected models. One fit per day and group serves every model in it."""
    from modelarena import ratings

    n = len(arrays.models)
    out: dict[str, list[dict[str, Any]]] = {m: [] for m in arrays.models}
    if n == 0 or not len(arrays.day):
        return out
    ma, mb, day, outcome = arrays.model_a, arrays.model_b, arrays.day, arrays.outcome
    vote_days = [np.sort(day[(ma == m) | (mb == m)]) for m in range(n)]
    wanted: dict[int, list[int]] = {}
    for m, days in enumerate(vote_days):
        for d in np.unique(days)[-max_days:].tolist():
            wanted.setdefault(int(d), []).append(m)
    order = np.argsort(day, kind="stable")
    sorted_day = day[order]
    for d in sorted(wanted):
        upto = order[: int(np.searchsorted(sorted_day, d, side="right"))]
        a, b = ma[upto], mb[upto]
        counts = ratings.aggregate(a, b, outcome[upto], n)
        present = np.unique(np.concatenate([a, b]))
        members = set(wanted[d])
        for group in ratings.connected_components(counts, present):
            mine = [int(m) for m in group if int(m) in members]
            if not mine or group.size < 2:
                continue
            try:
                fitted = ratings.fit_connected(counts, containing=int(group[0]))
                if fitted is None:
                    continue
                fit = fitted.fit
                iv = ratings.sandwich_intervals(fitted.counts, fit)
            except (ValueError, np.linalg.LinAlgError):
                log.debug("no fit on day %s", d, exc_info=True)
                continue
            where = {int(m): k for k, m in enumerate(fitted.models)}
            for m in mine:
                k = where[m]
                out[arrays.models[m]].append(
                    {
                        "day": np.datetime_as_string(np.datetime64(d, "D")),
                        "rating": round(float(fit.ratings[k]), 1),
                        "ci_lower": round(float(iv.lower[k]), 1),
                        "ci_upper": round(float(iv.upper[k]), 1),
                        "votes": int(np.searchsorted(vote_days[m], d, side="right")),
                    }
                )
    return out


def opponent_record(board: Leaderboard, model_id: str, name_of: Any) -> list[dict[str, Any]]:
    if model_id not in board.models:
        return []
    i = board.models.index(model_id)
    rows = []
    for j, other in enumerate(board.models):
        games = board.battles[i][j]
        if j == i or games <= 0:
            continue
        wins = board.wins[i][j]
        rows.append(
            {
                "model": other,
                "display_name": name_of(other),
                "battles": int(games),
                "score": round(float(wins), 1),
                "win_rate": round(float(wins / games), 3),
            }
        )
    rows.sort(key=lambda r: (-r["battles"], r["model"]))
    return rows
