"""The ``pair_counts`` table: counted votes aggregated per (source, category, model_a,
model_b), kept current in each vote's own transaction and rebuildable from the vote log."""

from __future__ import annotations

import functools
from collections import defaultdict
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection

from modelarena.battles.records import Verdict
from modelarena.store.rows import OUTCOME
from modelarena.store.schema import pair_counts, votes
from modelarena.store.voter_log import write_audit

# (source, category, model_a, model_b) -> [wins_a, wins_b, ties, both_bad] to add
Increments = dict[tuple[str, str, str, str], list[int]]


@functools.cache
def _upsert(dialect: str) -> Any:
    # built once per dialect: constructing an upsert costs more than running it
    ins = pg_insert if dialect == "postgresql" else sqlite_insert
    stmt = ins(pair_counts)
    return stmt.on_conflict_do_update(
        index_elements=["source", "category", "model_a", "model_b"],
        set_={
            "wins_a": pair_counts.c.wins_a + stmt.excluded.wins_a,
            "wins_b": pair_counts.c.wins_b + stmt.excluded.wins_b,
            "ties": pair_counts.c.ties + stmt.excluded.ties,
            "both_bad": pair_counts.c.both_bad + stmt.excluded.both_bad,
        },
    )


def bump(conn: Connection, increments: Increments) -> None:
    """Add the increments to their cells, creating cells that do not exist yet."""
    if not increments:
        return
    rows = [
        {
            "source": s,
            "category": c,
            "model_a": a,
            "model_b": b,
            "wins_a": v[0],
            "wins_b": v[1],
            "ties": v[2],
            "both_bad": v[3],
        }
        for (s, c, a, b), v in increments.items()
    ]
    stmt = _upsert(conn.dialect.name)
    for start in range(0, len(rows), 500):
        conn.execute(stmt, rows[start : start + 500])


def rebuild(conn: Connection) -> int:
    """Recompute every cell from the counted votes; returns how many votes were counted.

    Written to the audit log, which tells every process's in-memory copy to reload."""
    conn.execute(delete(pair_counts))
    query = (
        select(
            votes.c.source,
            votes.c.category,
            votes.c.model_a,
            votes.c.model_b,
            votes.c.verdict,
            func.count(),
        )
        .where(votes.c.counted.is_(True))
        .group_by(
            votes.c.source,
            votes.c.category,
            votes.c.model_a,
            votes.c.model_b,
            votes.c.verdict,
        )
    )
    inc: Increments = defaultdict(lambda: [0, 0, 0, 0])
    total = 0
    for s, c, a, b, verdict, count in conn.execute(query):
        inc[(s, c, a, b)][OUTCOME[Verdict(verdict)]] += int(count)
        total += int(count)
    bump(conn, dict(inc))
    write_audit(
        conn,
        actor="system",
        action="rebuild_pair_counts",
        target=None,
        detail=f"{total} counted votes",
    )
    return total
