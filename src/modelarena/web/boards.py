"""The leaderboard and model pages' data: filters from the URL, matrices, rating history."""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from modelarena.battles.categories import CATEGORIES
from modelarena.catalog import LICENSE_CLASSES
from modelarena.leaderboard import Leaderboard, LeaderboardFilters, compute_leaderboard
from modelarena.store import HUMAN

if TYPE_CHECKING:
    from modelarena.arena import Arena

log = logging.getLogger(__name__)

HISTORY_MAX_DAYS = 90


class FilterError(ValueError):
    pass


def _truthy(value: str | None) -> bool | None:
    if value is None or value == "":
        return None
    v = value.strip().lower()
    if v in ("1", "true", "yes", "on"):
        return True
    if v in ("0", "false", "no", "off"):
        return False
    raise FilterError(f"expected true or false, got {value!r}")


def _list(value: str | None) -> tuple[str, ...]:
    if not value:
        return ()
    return tuple(x.strip() for x in value.split(",") if x.strip())


def parse_filters(query: Mapping[str, str]) -> LeaderboardFilters:
    """Leaderboard filters from URL query parameters (the shareable form).

    ``open`` (true: open weights only, false: closed only), ``country`` (comma list of ISO
    codes), ``license`` (comma list of licence classes), ``category`` (comma list),
    ``min_votes``, ``style`` (style control), ``source`` (``human``, ``judge`` or
    ``judge:<model>``).
    """
    try:
        open_weights = _truthy(query.get("open"))
        style = _truthy(query.get("style")) or False
    except FilterError as exc:
        raise FilterError(f"bad filter value: {exc}") from None
    licenses = _list(query.get("license"))
    bad = [x for x in licenses if x not in LICENSE_CLASSES]
    if bad:
        raise FilterError(
            f"unknown licence class {bad[0]!r}; use one of: " + ", ".join(LICENSE_CLASSES)
        )
    categories = _list(query.get("category"))
    bad = [x for x in categories if x not in CATEGORIES]
    if bad:
        raise FilterError(f"unknown category {bad[0]!r}; use one of: " + ", ".join(CATEGORIES))
    raw_min = query.get("min_votes") or "0"
    try:
        min_votes = int(raw_min)
    except ValueError:
        raise FilterError(f"min_votes must be a whole number, got {raw_min!r}") from None
    if min_votes < 0:
        raise FilterError("min_votes must not be negative")
    source = (query.get("source") or HUMAN).strip()
    if source not in (HUMAN, "judge") and not source.startswith("judge:"):
        raise FilterError("source must be human, judge or judge:<model>")
    return LeaderboardFilters(
        open_weights=open_weights,
        countries=tuple(c.upper() for c in _list(query.get("country"))),
        license_classes=licenses,
        categories=categories,
        source=source,
        min_votes=min_votes,
        style_control=style,
    )


class BoardCache:
    """Leaderboard payloads kept for a couple of seconds: many open pages poll the board,
    and one fit per filter set per interval serves them all."""

    def __init__(self, ttl_s: float = 2.0, size: int = 64) -> None:
        self.ttl_s = ttl_s
        self.size = size
        self._items: dict[LeaderboardFilters, tuple[float, dict[str, Any]]] = {}

    def get(self, arena: Arena, filters: LeaderboardFilters) -> dict[str, Any]:
        now = time.monotonic()
        hit = self._items.get(filters)
        if hit is not None and now - hit[0] < self.ttl_s:
            return hit[1]
        payload = board_payload(compute_leaderboard(arena.store, arena.model_info, filters))
        if len(self._items) >= self.size:
            self._items.clear()
        self._items[filters] = (now, payload)
        return payload


def leaderboard_payload(arena: Arena, filters: LeaderboardFilters) -> dict[str, Any]:
    board = compute_leaderboard(arena.store, arena.model_info, filters)
    return board_payload(board)


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
    if f.min_votes:
        q["min_votes"] = str(f.min_votes)
    if f.style_control:
        q["style"] = "true"
    if f.source != HUMAN:
        q["source"] = f.source
    return q


def rating_history(arena: Arena, model_id: str) -> list[dict[str, Any]]:
    """One point per day with votes: the model's rating refitted on the votes up to that day."""
    from modelarena import ratings

    arrays = arena.store.vote_arrays()
    if model_id not in arrays.models or not len(arrays.day):
        return []
    target = arrays.models.index(model_id)
    involved = (arrays.model_a == target) | (arrays.model_b == target)
    days = np.unique(arrays.day[involved])[-HISTORY_MAX_DAYS:]
    points = []
    for day in days:
        mask = arrays.day <= day
        ma, mb, outcome = arrays.model_a[mask], arrays.model_b[mask], arrays.outcome[mask]
        present = np.unique(np.concatenate([ma, mb]))
        remap = -np.ones(len(arrays.models), dtype=np.int64)
        remap[present] = np.arange(len(present))
        counts = ratings.aggregate(remap[ma], remap[mb], outcome, len(present))
        me = int(remap[target])
        components = ratings.connected_components(counts)
        if len(components) > 1:
            main = next(c for c in components if me in set(int(x) for x in c))
            keep = np.zeros(len(present), dtype=bool)
            keep[main] = True
            sub = keep[remap[ma]] & keep[remap[mb]]
            remap2 = -np.ones(len(present), dtype=np.int64)
            remap2[main] = np.arange(len(main))
            counts = ratings.aggregate(
                remap2[remap[ma][sub]], remap2[remap[mb][sub]], outcome[sub], len(main)
            )
            me = int(remap2[me])
        if counts.n_models < 2:
            continue
        try:
            fit = ratings.fit_bradley_terry(counts)
            iv = ratings.sandwich_intervals(counts, fit)
        except (ValueError, np.linalg.LinAlgError):
            log.debug("no fit for %s on day %s", model_id, day, exc_info=True)
            continue
        points.append(
            {
                "day": np.datetime_as_string(np.datetime64(int(day), "D")),
                "rating": round(float(fit.ratings[me]), 1),
                "ci_lower": round(float(iv.lower[me]), 1),
                "ci_upper": round(float(iv.upper[me]), 1),
                "votes": int(np.sum(involved & mask)),
            }
        )
    return points


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
