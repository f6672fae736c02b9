"""Votes in bulk: importing a published log in one transaction, and the export query."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, func, insert, select
from sqlalchemy.engine import Connection

from modelarena.battles.records import Answer, BattleStatus, Verdict, VoteReason
from modelarena.battles.style import StyleCounts
from modelarena.store import pair_count_cache
from modelarena.store.rows import HUMAN, OUTCOME, answer_values, new_battle_id, now, prompt_hash
from modelarena.store.schema import answers, battles, votes


@dataclass
class ImportedBattle:
    """One row of a published vote log, ready to store."""

    model_a: str
    model_b: str
    verdict: Verdict
    category: str = "chat"
    prompt: str = ""
    answer_a: str = ""
    answer_b: str = ""
    anonymous: bool = True
    voter: str | None = None
    created_at: datetime | None = None
    external_id: str | None = None
    style_a: StyleCounts | None = None
    style_b: StyleCounts | None = None
    source: str = HUMAN  # "human" or "judge:<model>" (our own exports carry judge votes)
    not_counted_reason: str | None = None  # keep an exported vote's reason on re-import
    extra: dict[str, Any] = field(default_factory=dict)


def insert_imported(conn: Connection, rows: Iterable[ImportedBattle], source_label: str) -> int:
    """Insert every row (a battle, its first-turn answers and its vote) and bump the pair
    counts, on ``conn``: the caller's transaction makes it all or nothing."""
    count = 0
    inc: dict[tuple[str, str, str, str], list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    stamp = now()
    battle_rows: list[dict[str, Any]] = []
    answer_rows: list[dict[str, Any]] = []
    vote_rows: list[dict[str, Any]] = []

    def flush() -> None:
        if battle_rows:
            conn.execute(insert(battles), battle_rows)
        if answer_rows:
            conn.execute(insert(answers), answer_rows)
        if vote_rows:
            conn.execute(insert(votes), vote_rows)
        battle_rows.clear()
        answer_rows.clear()
        vote_rows.clear()

    for item in rows:
        bid = new_battle_id()
        created = item.created_at or stamp
        battle_rows.append(
            dict(
                id=bid,
                created_at=created,
                category=item.category,
                model_a=item.model_a,
                model_b=item.model_b,
                pair_probability=None,
                status=BattleStatus.COMPLETE.value,
                anonymous=item.anonymous,
                session_id=None,
                source=source_label,
                external_id=item.external_id,
                prompt_hash=prompt_hash(item.prompt) if item.prompt else None,
                revealed_at=None,
                identity_leak=None,
                failure_reason=None,
                failure_message=None,
            )
        )
        for side, text, st in (
            ("a", item.answer_a, item.style_a),
            ("b", item.answer_b, item.style_b),
        ):
            if text or st:
                answer_rows.append(
                    answer_values(
                        bid,
                        Answer(side=side, turn=0, prompt=item.prompt, content=text, style=st),
                    )
                )
        reason = item.not_counted_reason or (
            None if item.anonymous else VoteReason.IMPORTED_NON_ANONYMOUS.value
        )
        sa, sb = item.style_a, item.style_b
        vote_rows.append(
            dict(
                battle_id=bid,
                created_at=created,
                voter=item.voter,
                ip_hash=None,
                source=item.source,
                verdict=item.verdict.value,
                counted=reason is None,
                reason=reason,
                model_a=item.model_a,
                model_b=item.model_b,
                category=item.category,
                pair_probability=None,
                a_tokens=sa.tokens if sa else None,
                b_tokens=sb.tokens if sb else None,
                a_headers=sa.headers if sa else None,
                b_headers=sb.headers if sb else None,
                a_lists=sa.lists if sa else None,
                b_lists=sb.lists if sb else None,
                a_bold=sa.bold if sa else None,
                b_bold=sb.bold if sb else None,
                detail=None,
            )
        )
        if reason is None:
            inc[(item.source, item.category, item.model_a, item.model_b)][
                OUTCOME[item.verdict]
            ] += 1
        count += 1
        if len(vote_rows) >= 5000:
            flush()
    flush()
    pair_count_cache.bump(conn, dict(inc))
    return count


def export_query(*, counted_only: bool) -> Select[Any]:
    """Votes with their battle's first-turn prompt and answers, oldest first."""
    aa, ab = answers.alias("aa"), answers.alias("ab")
    query = (
        select(
            votes,
            battles.c.external_id,
            battles.c.anonymous,
            func.coalesce(aa.c.prompt, ab.c.prompt, "").label("prompt"),
            func.coalesce(aa.c.content, "").label("answer_a"),
            func.coalesce(ab.c.content, "").label("answer_b"),
        )
        .join(battles, votes.c.battle_id == battles.c.id)
        .outerjoin(aa, and_(aa.c.battle_id == votes.c.battle_id, aa.c.turn == 0, aa.c.side == "a"))
        .outerjoin(ab, and_(ab.c.battle_id == votes.c.battle_id, ab.c.turn == 0, ab.c.side == "b"))
        .order_by(votes.c.id)
    )
    if counted_only:
        query = query.where(votes.c.counted.is_(True))
    return query
