"""Casting votes on PostgreSQL a batch at a time: one read and one write for the whole batch,
neither inside an open transaction.

A transaction per vote (as SQLite's :func:`modelarena.store.voting.cast`) would lock the
battle and send five statements per vote: under load, sessions sat in ``ClientRead``
between statements while holding the pair's ``pair_counts`` row, and each round trip cost
the server more CPU than the rules themselves. Here the battles and their answers are read
without a lock, the same rules decide each vote, and one statement writes them all: it locks
each battle only if it is still as it was read, inserts the votes, ends their anonymity and
adds them to the pair counts, then commits. A vote whose battle changed in between (another
turn, a reveal) is not written, and is read and decided again.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection, Row
from sqlalchemy.exc import DBAPIError

from modelarena.battles.records import Answer
from modelarena.store.rows import answer_from_row
from modelarena.store.schema import answers, battles
from modelarena.store.voting import (
    ANSWER_PREFIX,
    Ballot,
    BattleNotFound,
    Cast,
    VoteRejected,
    check_allowed,
    increment,
    not_counted_reason,
    reveals,
    vote_values,
)

ATTEMPTS = 5  # reads and writes, should a battle keep changing in between
_DEADLOCK = "40P01"

_BATTLE_COLUMNS = ", ".join(f"b.{c.name}" for c in battles.c)
_ANSWER_COLUMNS = ", ".join(
    f"a.{c.name} AS {ANSWER_PREFIX}{c.name}" for c in answers.c if c.name not in ("id", "battle_id")
)

# The same columns as :data:`modelarena.store.voting.BATTLE`, for many battles at once.
_READ = text(
    f"""
SELECT req.n AS request, {_BATTLE_COLUMNS},
    v.banned AS voter_banned, v.flag_reason AS voter_flag,
    (SELECT count(*) FROM (
        SELECT 1 FROM votes
        WHERE coalesce(votes.counted, false)
          AND votes.battle_id IN (SELECT sp.id FROM battles sp WHERE sp.prompt_hash = b.prompt_hash)
        LIMIT CAST(:cap AS INTEGER)
    ) AS capped) AS counted_for_prompt,
    {_ANSWER_COLUMNS}
FROM unnest(CAST(:battle_ids AS VARCHAR[]), CAST(:voters AS VARCHAR[]))
    WITH ORDINALITY AS req(battle_id, voter, n)
JOIN battles b ON b.id = req.battle_id
LEFT JOIN voters v ON v.id = req.voter
LEFT JOIN answers a ON a.battle_id = b.id
ORDER BY req.n, a.turn, a.side
"""
)

# (name, PostgreSQL type) of every value the write takes per vote
_VOTE_COLUMNS = [
    ("battle_id", "VARCHAR"),
    ("created_at", "TIMESTAMPTZ"),
    ("voter", "VARCHAR"),
    ("ip_hash", "VARCHAR"),
    ("source", "VARCHAR"),
    ("verdict", "VARCHAR"),
    ("counted", "BOOLEAN"),
    ("reason", "VARCHAR"),
    ("model_a", "VARCHAR"),
    ("model_b", "VARCHAR"),
    ("category", "VARCHAR"),
    ("pair_probability", "DOUBLE PRECISION"),
    ("detail", "TEXT"),
    *[(f"{s}_{f}", "INTEGER") for s in "ab" for f in ("tokens", "headers", "lists", "bold")],
]
_GUARD_COLUMNS = [
    ("seen_status", "VARCHAR"),
    ("seen_anonymous", "BOOLEAN"),
    ("seen_identity_leak", "VARCHAR"),
    ("seen_answers", "INTEGER"),
    ("reveal", "BOOLEAN"),
    ("wins_a", "INTEGER"),
    ("wins_b", "INTEGER"),
    ("ties", "INTEGER"),
    ("both_bad", "INTEGER"),
]
_COLUMNS = _VOTE_COLUMNS + _GUARD_COLUMNS
_VOTE_NAMES = ", ".join(name for name, _ in _VOTE_COLUMNS)

_WRITE = text(
    f"""
WITH req AS (
    SELECT * FROM unnest({", ".join(f"CAST(:{n} AS {t}[])" for n, t in _COLUMNS)})
        AS r({", ".join(n for n, _ in _COLUMNS)})
), target AS (
    SELECT r.* FROM req r JOIN battles b ON b.id = r.battle_id
    WHERE b.status = r.seen_status
      AND b.anonymous = r.seen_anonymous
      AND b.identity_leak IS NOT DISTINCT FROM r.seen_identity_leak
      AND (SELECT count(*) FROM answers a WHERE a.battle_id = r.battle_id) = r.seen_answers
    ORDER BY r.battle_id
    FOR UPDATE OF b
), vote AS (
    INSERT INTO votes ({_VOTE_NAMES})
    SELECT {_VOTE_NAMES} FROM target ORDER BY battle_id
    ON CONFLICT (battle_id, source) DO NOTHING
    RETURNING id, battle_id
), revealed AS (
    UPDATE battles SET anonymous = false, revealed_at = t.created_at
    FROM target t JOIN vote v ON v.battle_id = t.battle_id
    WHERE battles.id = t.battle_id AND t.reveal
), bumped AS (
    INSERT INTO pair_counts (source, category, model_a, model_b, wins_a, wins_b, ties, both_bad)
    SELECT t.source, t.category, t.model_a, t.model_b,
        sum(t.wins_a), sum(t.wins_b), sum(t.ties), sum(t.both_bad)
    FROM target t JOIN vote v ON v.battle_id = t.battle_id
    WHERE t.counted
    GROUP BY t.source, t.category, t.model_a, t.model_b
    ORDER BY t.source, t.category, t.model_a, t.model_b
    ON CONFLICT (source, category, model_a, model_b) DO UPDATE SET
        wins_a = pair_counts.wins_a + excluded.wins_a,
        wins_b = pair_counts.wins_b + excluded.wins_b,
        ties = pair_counts.ties + excluded.ties,
        both_bad = pair_counts.both_bad + excluded.both_bad
)
SELECT r.battle_id, v.id AS vote_id, t.battle_id IS NOT NULL AS unchanged
FROM req r
LEFT JOIN target t ON t.battle_id = r.battle_id
LEFT JOIN vote v ON v.battle_id = r.battle_id
"""
)

Outcome = Cast | BattleNotFound | VoteRejected


def cast_many(conn: Connection, ballots: Sequence[tuple[Ballot, datetime]]) -> list[Outcome]:
    """Store each (ballot, time) on ``conn``, which must be in autocommit mode; return, in
    order, what each became: a :class:`Cast`, or the refusal the general path would raise."""
    results: list[Outcome | None] = [None] * len(ballots)
    answers_seen: dict[int, int] = {}  # answers each ballot's battle had when first read
    todo = list(range(len(ballots)))
    for _ in range(ATTEMPTS):
        if not todo:
            break
        # one vote per battle in a statement; a second one waits for the next round
        batch: list[int] = []
        later: list[int] = []
        seen: set[str] = set()
        for i in todo:
            battle_id = ballots[i][0].battle_id
            (later if battle_id in seen else batch).append(i)
            seen.add(battle_id)
        todo = later
        for cap, group in _by_prompt_cap(ballots, batch).items():
            todo += _round(conn, ballots, group, cap, results, answers_seen)
    for i in todo:
        results[i] = VoteRejected(
            "busy", "the battle kept changing while the vote was cast; try again"
        )
    done = [r for r in results if r is not None]
    assert len(done) == len(ballots)
    return done


def _by_prompt_cap(
    ballots: Sequence[tuple[Ballot, datetime]], indices: list[int]
) -> dict[int, list[int]]:
    groups: dict[int, list[int]] = {}
    for i in indices:
        cap = ballots[i][0].prompt_cap
        groups.setdefault(cap if cap and cap > 0 else 0, []).append(i)
    return groups


def _round(
    conn: Connection,
    ballots: Sequence[tuple[Ballot, datetime]],
    group: list[int],
    cap: int,
    results: list[Outcome | None],
    answers_seen: dict[int, int],
) -> list[int]:
    """Read, decide and write the ballots ``group``; return those to try again."""
    reads = _read(conn, [ballots[i][0] for i in group], cap)
    decided: list[tuple[int, Row[Any], list[Answer], str | None]] = []
    counted_per_prompt: dict[str, int] = {}  # decided to count in this batch, per prompt
    for i, (row, found) in zip(group, reads, strict=True):
        ballot = ballots[i][0]
        if answers_seen.setdefault(i, len(found)) != len(found):
            # A follow-up turn was answered while this vote was cast: the voter has not
            # read it, so the vote is not taken (as it would not be during the turn).
            results[i] = VoteRejected(
                "incomplete", "the battle has new answers; read them and vote again"
            )
            continue
        try:
            check_allowed(ballot, row)
        except (BattleNotFound, VoteRejected) as refusal:
            results[i] = refusal
            continue
        assert row is not None
        earlier = counted_per_prompt.get(row.prompt_hash, 0) if row.prompt_hash else 0
        reason = not_counted_reason(ballot, row, counted_earlier=earlier)
        if reason is None and row.prompt_hash:
            counted_per_prompt[row.prompt_hash] = earlier + 1
        decided.append((i, row, found, reason))
    if not decided:
        return []
    columns: dict[str, list[Any]] = {name: [] for name, _ in _COLUMNS}
    for i, row, found, reason in decided:
        ballot, stamp = ballots[i]
        wins_a, wins_b, ties, both_bad = increment(ballot.verdict)
        values = {
            **vote_values(ballot, row, found, reason, stamp),
            "seen_status": row.status,
            "seen_anonymous": bool(row.anonymous),
            "seen_identity_leak": row.identity_leak,
            "seen_answers": len(found),
            "reveal": reveals(ballot, row),
            "wins_a": wins_a,
            "wins_b": wins_b,
            "ties": ties,
            "both_bad": both_bad,
        }
        for name, _ in _COLUMNS:
            columns[name].append(values[name])
    written = {r.battle_id: r for r in _write(conn, columns)}
    again: list[int] = []
    for i, row, found, reason in decided:
        ballot = ballots[i][0]
        outcome = written[ballot.battle_id]
        if outcome.vote_id is not None:
            results[i] = Cast(int(outcome.vote_id), reason, row, found)
        elif outcome.unchanged:
            results[i] = VoteRejected("duplicate", "this battle already has a vote")
        else:
            again.append(i)  # the battle changed since it was read
    return again


def _read(
    conn: Connection, ballots: list[Ballot], cap: int
) -> list[tuple[Row[Any] | None, list[Answer]]]:
    rows = conn.execute(
        _READ,
        {
            "battle_ids": [b.battle_id for b in ballots],
            "voters": [b.voter for b in ballots],
            "cap": cap,
        },
    ).all()
    found: list[tuple[Row[Any] | None, list[Answer]]] = [(None, []) for _ in ballots]
    for r in rows:
        k = int(r.request) - 1
        if found[k][0] is None:
            found[k] = (r, [])
        if r.answer_turn is not None:
            found[k][1].append(answer_from_row(r, ANSWER_PREFIX))
    return found


def _write(conn: Connection, columns: dict[str, list[Any]]) -> Sequence[Row[Any]]:
    for attempt in range(ATTEMPTS):
        try:
            return conn.execute(_WRITE, columns).all()
        except DBAPIError as exc:
            # Two batches that lock the same rows in different orders: PostgreSQL cancels
            # one statement whole (nothing of it is stored), so running it again is safe.
            if getattr(exc.orig, "sqlstate", None) != _DEADLOCK or attempt == ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")
