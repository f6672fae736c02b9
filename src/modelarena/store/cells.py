"""An in-process copy of the pair-count cache, brought up to date by the new votes only.

Reading ``pair_counts`` costs milliseconds per thousand cells; a busy board refreshes after
every vote. On SQLite, writes are serialised, so vote ids grow in commit order: the copy
keeps the highest vote id it has seen and, on refresh, reads only the counted votes above
it. Anything that can change old votes (a ban, a recount, a rebuild) writes the audit log,
and a new audit entry makes the copy reload in full. PostgreSQL hands out ids before
commit, so a later commit can carry a smaller id: there the copy is not used.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sqlalchemy import Integer, func, select
from sqlalchemy.engine import Connection

from modelarena.store.schema import audit_log, battles, pair_counts, votes

FULL_RELOAD_AFTER = 20_000  # new votes beyond which a full read is cheaper
_OUTCOME_COLUMN = {"a": 0, "b": 1, "tie": 2, "both_bad": 2}


@dataclass
class _Cells:
    vote_mark: int
    audit_mark: int
    models: list[str] = field(default_factory=list)
    index: dict[str, int] = field(default_factory=dict)
    rows: dict[tuple[int, int], int] = field(default_factory=dict)
    a: list[int] = field(default_factory=list)
    b: list[int] = field(default_factory=list)
    counts: np.ndarray = field(default_factory=lambda: np.zeros((0, 3)))

    def add(self, model_a: str, model_b: str, values: Sequence[float]) -> None:
        ia = self._model(model_a)
        ib = self._model(model_b)
        row = self.rows.get((ia, ib))
        if row is None:
            row = self.rows[(ia, ib)] = len(self.a)
            self.a.append(ia)
            self.b.append(ib)
            self.counts = np.vstack([self.counts, np.zeros((1, 3))])
        self.counts[row] += values

    def _model(self, name: str) -> int:
        if name not in self.index:
            self.index[name] = len(self.models)
            self.models.append(name)
        return self.index[name]


@dataclass(frozen=True)
class PairCells:
    """Aggregated counts per ordered (model_a, model_b) cell."""

    models: list[str]
    a: np.ndarray
    b: np.ndarray
    wins_a: np.ndarray
    wins_b: np.ndarray
    ties: np.ndarray  # ties and both-bad together


def pair_index(rows: Sequence[Any]) -> tuple[list[str], np.ndarray, np.ndarray]:
    """The models of (model_a, model_b, ...) rows, sorted by name, and each row's two
    indices into them."""
    names = sorted({r[0] for r in rows} | {r[1] for r in rows})
    index = {n: i for i, n in enumerate(names)}
    a = np.array([index[r[0]] for r in rows], dtype=np.int64)
    b = np.array([index[r[1]] for r in rows], dtype=np.int64)
    return names, a, b


def cells_from_rows(rows: Sequence[Any]) -> PairCells:
    """PairCells from (model_a, model_b, wins_a, wins_b, ties) rows; models sorted by name."""
    names, a, b = pair_index(rows)
    return PairCells(
        models=names,
        a=a,
        b=b,
        wins_a=np.array([r[2] for r in rows], dtype=np.float64),
        wins_b=np.array([r[3] for r in rows], dtype=np.float64),
        ties=np.array([r[4] for r in rows], dtype=np.float64),
    )


def _marks(conn: Connection) -> tuple[int, int]:
    vote_mark = conn.execute(select(func.max(votes.c.id))).scalar() or 0
    audit_mark = conn.execute(select(func.max(audit_log.c.id))).scalar() or 0
    return int(vote_mark), int(audit_mark)


def read_cells(
    conn: Connection, sources: Sequence[str], categories: Sequence[str] | None
) -> list[Any]:
    query = select(
        pair_counts.c.model_a,
        pair_counts.c.model_b,
        func.sum(pair_counts.c.wins_a),
        func.sum(pair_counts.c.wins_b),
        func.sum(pair_counts.c.ties + pair_counts.c.both_bad),
    ).where(pair_counts.c.source.in_(list(sources)))
    if categories:
        query = query.where(pair_counts.c.category.in_(list(categories)))
    query = query.group_by(pair_counts.c.model_a, pair_counts.c.model_b)
    return list(conn.execute(query).all())


def language_cells(
    conn: Connection,
    sources: Sequence[str],
    categories: Sequence[str] | None,
    languages: Sequence[str],
) -> list[Any]:
    """Counted votes per pair, as :func:`read_cells`, on battles whose language is one of
    ``languages``: read from the votes (the cache has no language), a scan of them."""
    wins_a = func.sum((votes.c.verdict == "a").cast(Integer))
    wins_b = func.sum((votes.c.verdict == "b").cast(Integer))
    ties = func.sum(votes.c.verdict.in_(("tie", "both_bad")).cast(Integer))
    query = (
        select(votes.c.model_a, votes.c.model_b, wins_a, wins_b, ties)
        .join(battles, battles.c.id == votes.c.battle_id)
        .where(
            votes.c.counted.is_(True),
            votes.c.source.in_(list(sources)),
            battles.c.language.in_(list(languages)),
        )
        .group_by(votes.c.model_a, votes.c.model_b)
    )
    if categories:
        query = query.where(votes.c.category.in_(list(categories)))
    return [tuple(r) for r in conn.execute(query)]


class CellCache:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: dict[tuple[tuple[str, ...], tuple[str, ...]], _Cells] = {}

    def cells(
        self, conn: Connection, sources: Sequence[str], categories: Sequence[str] | None
    ) -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray]:
        """(models, a, b, counts[:, wins_a/wins_b/ties]) for the given filter."""
        key = (tuple(sorted(sources)), tuple(sorted(categories or ())))
        with self._lock:
            entry = self._entries.get(key)
            vote_mark, audit_mark = _marks(conn)
            stale = (
                entry is None
                or entry.audit_mark != audit_mark
                or vote_mark < entry.vote_mark
                or vote_mark - entry.vote_mark > FULL_RELOAD_AFTER
            )
            if stale:
                entry = self._reload(conn, sources, categories)
                self._entries[key] = entry
            elif entry is not None and vote_mark > entry.vote_mark:
                self._catch_up(conn, entry, sources, categories, vote_mark)
            assert entry is not None
            return (
                list(entry.models),
                np.array(entry.a, dtype=np.int64),
                np.array(entry.b, dtype=np.int64),
                entry.counts.copy(),
            )

    def _reload(
        self, conn: Connection, sources: Sequence[str], categories: Sequence[str] | None
    ) -> _Cells:
        while True:  # marks read on both sides of the cells: equal means no vote in between
            before = _marks(conn)
            rows = read_cells(conn, sources, categories)
            if _marks(conn) == before:
                break
        entry = _Cells(*before)
        for a, b, wa, wb, t in rows:
            entry.add(a, b, (wa, wb, t))
        return entry

    def _catch_up(
        self,
        conn: Connection,
        entry: _Cells,
        sources: Sequence[str],
        categories: Sequence[str] | None,
        vote_mark: int,
    ) -> None:
        query = select(votes.c.model_a, votes.c.model_b, votes.c.verdict).where(
            votes.c.id > entry.vote_mark,
            votes.c.id <= vote_mark,
            votes.c.counted.is_(True),
            votes.c.source.in_(list(sources)),
        )
        if categories:
            query = query.where(votes.c.category.in_(list(categories)))
        for model_a, model_b, verdict in conn.execute(query):
            values = [0.0, 0.0, 0.0]
            values[_OUTCOME_COLUMN[verdict]] = 1.0
            entry.add(model_a, model_b, values)
        entry.vote_mark = vote_mark

    def pair_cells(
        self, conn: Connection, sources: Sequence[str], categories: Sequence[str] | None
    ) -> PairCells:
        """The cells as :class:`PairCells`, models sorted by name like a fresh read."""
        names, a, b, counts = self.cells(conn, sources, categories)
        order = sorted(range(len(names)), key=names.__getitem__)
        rank = np.empty(len(names), dtype=np.int64)
        rank[order] = np.arange(len(names))
        return PairCells(
            models=[names[i] for i in order],
            a=rank[a] if len(a) else a,
            b=rank[b] if len(b) else b,
            wins_a=counts[:, 0],
            wins_b=counts[:, 1],
            ties=counts[:, 2],
        )

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
