"""Casting a vote on PostgreSQL in two round trips, none of them inside an open transaction.

The general path (:func:`modelarena.store.voting.cast`) opens a transaction, locks the
battle and sends five statements. Under load every vote on a pair of models then waited for
the pair's ``pair_counts`` row while other sessions sat in ``ClientRead`` between
statements, holding that row's lock. Here the battle and its answers are read without a
transaction, the same rules decide, and one statement writes everything: it locks the
battle only if it is still as it was read, inserts the vote, ends the anonymity and bumps
the pair count, then commits. If the battle changed in between (another turn, a reveal),
nothing is written and the vote is read and decided again.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection

from modelarena.store.voting import (
    Ballot,
    Cast,
    VoteRejected,
    check_allowed,
    increment,
    not_counted_reason,
    read_battle,
    reveals,
    vote_values,
)

ATTEMPTS = 5  # reads and writes, should the battle keep changing in between

_WRITE = text(
    """
WITH target AS (
    SELECT id FROM battles
    WHERE id = CAST(:battle_id AS VARCHAR)
      AND status = CAST(:seen_status AS VARCHAR)
      AND anonymous = CAST(:seen_anonymous AS BOOLEAN)
      AND identity_leak IS NOT DISTINCT FROM CAST(:seen_identity_leak AS VARCHAR)
      AND (SELECT count(*) FROM answers WHERE battle_id = CAST(:battle_id AS VARCHAR))
          = CAST(:seen_answers AS INTEGER)
    FOR UPDATE
), vote AS (
    INSERT INTO votes (
        battle_id, created_at, voter, ip_hash, source, verdict, counted, reason,
        model_a, model_b, category, pair_probability, detail,
        a_tokens, b_tokens, a_headers, b_headers, a_lists, b_lists, a_bold, b_bold
    )
    SELECT
        id, CAST(:created_at AS TIMESTAMPTZ), CAST(:voter AS VARCHAR),
        CAST(:ip_hash AS VARCHAR), CAST(:source AS VARCHAR), CAST(:verdict AS VARCHAR),
        CAST(:counted AS BOOLEAN), CAST(:reason AS VARCHAR), CAST(:model_a AS VARCHAR),
        CAST(:model_b AS VARCHAR), CAST(:category AS VARCHAR),
        CAST(:pair_probability AS DOUBLE PRECISION), CAST(:detail AS TEXT),
        CAST(:a_tokens AS INTEGER), CAST(:b_tokens AS INTEGER),
        CAST(:a_headers AS INTEGER), CAST(:b_headers AS INTEGER),
        CAST(:a_lists AS INTEGER), CAST(:b_lists AS INTEGER),
        CAST(:a_bold AS INTEGER), CAST(:b_bold AS INTEGER)
    FROM target
    ON CONFLICT (battle_id, source) DO NOTHING
    RETURNING id
), revealed AS (
    UPDATE battles SET anonymous = false, revealed_at = CAST(:created_at AS TIMESTAMPTZ)
    WHERE CAST(:reveal AS BOOLEAN) AND id = CAST(:battle_id AS VARCHAR)
      AND EXISTS (SELECT 1 FROM vote)
), bumped AS (
    INSERT INTO pair_counts (source, category, model_a, model_b, wins_a, wins_b, ties, both_bad)
    SELECT
        CAST(:source AS VARCHAR), CAST(:category AS VARCHAR), CAST(:model_a AS VARCHAR),
        CAST(:model_b AS VARCHAR), CAST(:wins_a AS INTEGER), CAST(:wins_b AS INTEGER),
        CAST(:ties AS INTEGER), CAST(:both_bad AS INTEGER)
    FROM vote WHERE CAST(:counted AS BOOLEAN)
    ON CONFLICT (source, category, model_a, model_b) DO UPDATE SET
        wins_a = pair_counts.wins_a + excluded.wins_a,
        wins_b = pair_counts.wins_b + excluded.wins_b,
        ties = pair_counts.ties + excluded.ties,
        both_bad = pair_counts.both_bad + excluded.both_bad
)
SELECT (SELECT id FROM vote) AS vote_id, EXISTS (SELECT 1 FROM target) AS unchanged
"""
)


def cast(conn: Connection, ballot: Ballot, stamp: datetime) -> Cast:
    """Store ``ballot`` on ``conn``, which must be in autocommit mode.

    Raises :class:`~modelarena.store.voting.BattleNotFound` or
    :class:`~modelarena.store.voting.VoteRejected` as the general path does."""
    for _ in range(ATTEMPTS):
        row, battle_answers = read_battle(conn, ballot)
        check_allowed(ballot, row)
        assert row is not None
        reason = not_counted_reason(ballot, row)
        wins_a, wins_b, ties, both_bad = increment(ballot.verdict)
        params: dict[str, Any] = {
            **vote_values(ballot, row, battle_answers, reason, stamp),
            "seen_status": row.status,
            "seen_anonymous": bool(row.anonymous),
            "seen_identity_leak": row.identity_leak,
            "seen_answers": len(battle_answers),
            "reveal": reveals(ballot, row),
            "wins_a": wins_a,
            "wins_b": wins_b,
            "ties": ties,
            "both_bad": both_bad,
        }
        written = conn.execute(_WRITE, params).one()
        if written.vote_id is not None:
            return Cast(int(written.vote_id), reason, row, battle_answers)
        if written.unchanged:
            raise VoteRejected("duplicate", "this battle already has a vote")
    raise VoteRejected("busy", "the battle kept changing while the vote was cast; try again")
