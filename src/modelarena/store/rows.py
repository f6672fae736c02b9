"""Between records and rows: ids, prompt hashes, and the mapping of battle, answer and vote
rows to the nouns of :mod:`modelarena.battles.records`."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.engine import Row

from modelarena.backends.base import AnswerStats
from modelarena.battles.records import Answer, Battle, BattleStatus, Verdict, VoteRecord
from modelarena.battles.style import StyleCounts
from modelarena.battles.textfold import prompt_key

HUMAN = "human"  # the vote source of people; judges vote as "judge:<model>"

# the pair-count column each verdict adds to: wins_a, wins_b, ties, both_bad
OUTCOME = {Verdict.A: 0, Verdict.B: 1, Verdict.TIE: 2, Verdict.BOTH_BAD: 3}


def new_battle_id() -> str:
    # Random, so an id says nothing about the models or the order of battles.
    return secrets.token_hex(12)


def prompt_hash(prompt: str) -> str:
    """The per-prompt cap's key of a battle (``battles.prompt_hash``): see
    :func:`modelarena.battles.textfold.prompt_key`."""
    return prompt_key(prompt)


def now() -> datetime:
    return datetime.now(UTC)


def aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def storable_text(text: str) -> str:
    """Text any database accepts: NUL and lone surrogates (which models do emit) become
    U+FFFD rather than failing the write and losing the answer."""
    if "\x00" in text:
        text = text.replace("\x00", "\ufffd")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = "".join("\ufffd" if 0xD800 <= ord(ch) <= 0xDFFF else ch for ch in text)
    return text


def answer_values(battle_id: str, a: Answer) -> dict[str, Any]:
    st = a.style
    return dict(
        battle_id=battle_id,
        turn=a.turn,
        side=a.side,
        prompt=storable_text(a.prompt),
        content=storable_text(a.content),
        reasoning=storable_text(a.reasoning),
        error=a.error,
        prompt_tokens=a.stats.prompt_tokens,
        completion_tokens=a.stats.completion_tokens,
        reasoning_tokens=a.stats.reasoning_tokens,
        time_to_first_token_s=a.stats.time_to_first_token_s,
        total_time_s=a.stats.total_time_s,
        finish_reason=a.stats.finish_reason,
        style_tokens=st.tokens if st else None,
        style_headers=st.headers if st else None,
        style_lists=st.lists if st else None,
        style_bold=st.bold if st else None,
    )


def battle_from_row(row: Row[Any], answer_rows: Sequence[Row[Any]]) -> Battle:
    return battle_with_answers(row, [answer_from_row(r) for r in answer_rows])


def battle_with_answers(row: Row[Any], battle_answers: list[Answer]) -> Battle:
    return Battle(
        id=row.id,
        created_at=aware(row.created_at),
        category=row.category,
        model_a=row.model_a,
        model_b=row.model_b,
        status=BattleStatus(row.status),
        source=row.source,
        pair_probability=row.pair_probability,
        failure_reason=row.failure_reason,
        failure_message=row.failure_message,
        anonymous=bool(row.anonymous),
        revealed_at=aware(row.revealed_at) if row.revealed_at else None,
        identity_leak=row.identity_leak,
        session_id=row.session_id,
        turn_started_at=aware(row.turn_started_at) if row.turn_started_at else None,
        answers=battle_answers,
    )


def answer_from_row(row: Row[Any], prefix: str = "") -> Answer:
    """An answer from a row of ``answers``, or from a joined row whose answer columns are
    labelled ``prefix`` + column name."""
    m = row._mapping
    style_tokens = m[prefix + "style_tokens"]
    return Answer(
        side=m[prefix + "side"],
        turn=m[prefix + "turn"],
        prompt=m[prefix + "prompt"],
        content=m[prefix + "content"],
        reasoning=m[prefix + "reasoning"],
        error=m[prefix + "error"],
        stats=AnswerStats(
            prompt_tokens=m[prefix + "prompt_tokens"],
            completion_tokens=m[prefix + "completion_tokens"],
            reasoning_tokens=m[prefix + "reasoning_tokens"],
            time_to_first_token_s=m[prefix + "time_to_first_token_s"],
            total_time_s=m[prefix + "total_time_s"] or 0.0,
            finish_reason=m[prefix + "finish_reason"],
        ),
        style=StyleCounts(
            style_tokens,
            m[prefix + "style_headers"] or 0,
            m[prefix + "style_lists"] or 0,
            m[prefix + "style_bold"] or 0,
        )
        if style_tokens is not None
        else None,
    )


def vote_from_row(r: Row[Any]) -> VoteRecord:
    return VoteRecord(
        id=r.id,
        battle_id=r.battle_id,
        verdict=Verdict(r.verdict),
        counted=bool(r.counted),
        reason=r.reason,
        voter=r.voter,
        source=r.source,
        created_at=aware(r.created_at),
    )
