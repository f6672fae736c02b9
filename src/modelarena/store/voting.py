"""Casting a vote: the rules (who may vote, and whether the vote counts), shared by both
engines, and SQLite's way of storing it: one write transaction with the battle read, the
vote row, the reveal and the pair-count bump. PostgreSQL stores votes a batch at a time
(:mod:`.voting_postgres`) under the same rules.

Every statement here is built once, at import, with bound parameters: building a SQLAlchemy
statement per call cost more than running it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, exists, func, insert, select, update
from sqlalchemy.engine import Connection, Row

from modelarena.battles.records import Answer, BattleStatus, Verdict, VoteReason
from modelarena.store import pair_count_cache
from modelarena.store.rows import HUMAN, OUTCOME, answer_from_row
from modelarena.store.schema import answers, battles, voters, votes

# flag reasons that mean "reviewed and cleared": the voter's new votes count again
CLEARED_FLAGS = ("cleared", "banned_by_admin")


class BattleNotFound(LookupError):
    def __init__(self, battle_id: str) -> None:
        super().__init__(f"no battle with id {battle_id!r}")


class VoteRejected(ValueError):
    """A vote that cannot be stored at all (it leaves no trace). ``code`` is stable."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class TurnRefused(ValueError):
    """A follow-up turn that may not start. ``code`` is stable: ``turn_in_progress``,
    ``battle_failed``, ``battle_voted``, ``not_your_battle``."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Ballot:
    """One vote to cast, and the rules it is cast under."""

    battle_id: str
    verdict: Verdict
    voter: str | None
    source: str = HUMAN
    ip_hash: str | None = None
    not_counted_reason: str | None = None
    detail: str | None = None
    reveal: bool = True
    owner: str | None = None  # refuse unless the battle belongs to this session
    prompt_cap: int | None = None  # counted votes per prompt beyond which votes do not count
    refuse_failed: bool = False  # refuse (rather than store uncounted) on a failed battle


@dataclass(frozen=True)
class Cast:
    """What a cast vote wrote, with the battle it was cast on (as read in the transaction)."""

    vote_id: int
    reason: str | None
    battle: Row[Any]
    answers: list[Answer]


def _voter_column(column: Any, label: str) -> Any:
    return select(column).where(voters.c.id == bindparam("voter")).scalar_subquery().label(label)


_SAME_PROMPT = battles.alias("same_prompt")
# Counted votes on battles with this battle's prompt, counting no further than the cap.
# Written as IN (battles with the hash) so both engines walk the prompt-hash index, then
# the votes' battle index; a join let SQLite scan the votes instead.
_COUNTED_FOR_PROMPT = (
    select(func.count())
    .select_from(
        select(votes.c.id)
        .where(
            votes.c.battle_id.in_(
                select(_SAME_PROMPT.c.id)
                .where(_SAME_PROMPT.c.prompt_hash == battles.c.prompt_hash)
                .correlate(battles)
            ),
            # not a plain column test: SQLite would walk the "counted" index (every
            # counted vote) rather than the battles with this prompt
            func.coalesce(votes.c.counted, False).is_(True),
        )
        .limit(bindparam("cap"))
        .subquery()
    )
    .scalar_subquery()
    .label("counted_for_prompt")
)

# The battle, with what the rules need to know about the voter and the prompt, and its
# answers (one row per answer; the battle's columns repeat), in one round trip.
ANSWER_PREFIX = "answer_"
BATTLE = (
    select(
        battles,
        _voter_column(voters.c.banned, "voter_banned"),
        _voter_column(voters.c.flag_reason, "voter_flag"),
        _COUNTED_FOR_PROMPT,
        *[c.label(ANSWER_PREFIX + c.name) for c in answers.c if c.name not in ("id", "battle_id")],
    )
    .select_from(battles.outerjoin(answers, answers.c.battle_id == battles.c.id))
    .where(battles.c.id == bindparam("battle_id"))
    .order_by(answers.c.turn, answers.c.side)
)
_INSERT_VOTE = insert(votes)

_REVEAL = (
    update(battles)
    .where(battles.c.id == bindparam("revealed_id"))
    .values(anonymous=False, revealed_at=bindparam("stamp"))
)


# SQLite: the vote's first statement is a write, so its transaction holds the database's
# write lock from the start and the battle it reads next cannot change before the vote is
# stored (pysqlite begins a transaction only at the first write; a read before it would run
# outside). Within one process the store's lock serialises writers anyway; this covers a
# second process (the CLI or the judge) on the same file.
_HOLD_BATTLE = (
    update(battles).where(battles.c.id == bindparam("battle_id")).values(status=battles.c.status)
)

# A follow-up turn takes the battle from complete to pending in one statement, only while
# no person has voted on it: a vote and a follow-up sent at once can never both be accepted.
# On PostgreSQL the vote's guarded write (voting_postgres) locks the battle and stores
# nothing if its status changed; this update waits for that lock and then sees the battle
# revealed (the vote's own change, so it needs no second look at the votes).
_HUMAN_VOTE = exists().where(votes.c.battle_id == battles.c.id, votes.c.source == HUMAN)
_CLAIM_TURN = (
    update(battles)
    .where(
        battles.c.id == bindparam("claimed_id"),
        battles.c.status == BattleStatus.COMPLETE.value,
        battles.c.anonymous.is_(True),
        ~_HUMAN_VOTE,
    )
    .values(status=BattleStatus.PENDING.value, turn_started_at=bindparam("stamp"))
)
_CLAIM_STATE = select(
    battles.c.status, battles.c.anonymous, battles.c.session_id, _HUMAN_VOTE.label("voted")
).where(battles.c.id == bindparam("claimed_id"))


def claim_turn(conn: Connection, battle_id: str, owner: str | None, stamp: datetime) -> None:
    """Start a follow-up turn on ``battle_id`` (inside the caller's write transaction): the
    battle becomes pending, so no vote is taken until the turn's answers are stored.

    Raises :class:`BattleNotFound` or :class:`TurnRefused`."""
    if owner is not None:
        state = conn.execute(_CLAIM_STATE, {"claimed_id": battle_id}).first()
        if state is None:
            raise BattleNotFound(battle_id)
        if state.session_id != owner:  # never changes, so checking first is safe
            raise TurnRefused(
                "not_your_battle",
                "only the person who started this battle can continue it or vote on it",
            )
    if conn.execute(_CLAIM_TURN, {"claimed_id": battle_id, "stamp": stamp}).rowcount == 1:
        return
    state = conn.execute(_CLAIM_STATE, {"claimed_id": battle_id}).first()
    if state is None:
        raise BattleNotFound(battle_id)
    if state.status == BattleStatus.FAILED.value:
        raise TurnRefused("battle_failed", "this battle failed; start a new one")
    if state.voted or not state.anonymous:
        raise TurnRefused("battle_voted", "this battle is over; start a new one")
    raise TurnRefused("turn_in_progress", "wait until both answers are complete")


LOST = "lost"  # the failure reason of a turn whose process died while generating it
_LOST_TURN = (
    update(battles)
    .where(
        battles.c.status == BattleStatus.PENDING.value,
        func.coalesce(battles.c.turn_started_at, battles.c.created_at) < bindparam("cutoff"),
    )
    .values(
        status=BattleStatus.FAILED.value,
        failure_reason=LOST,
        failure_message="the turn was never finished (its server process stopped)",
    )
)


def fail_lost_turns(conn: Connection, cutoff: datetime, battle_id: str | None) -> int:
    """Mark failed the turns still pending that began before ``cutoff`` (of one battle, or
    of all); return how many. Answers stored later for such a turn leave it failed."""
    query = _LOST_TURN if battle_id is None else _LOST_TURN.where(battles.c.id == battle_id)
    return int(conn.execute(query, {"cutoff": cutoff}).rowcount or 0)


def read_battle(conn: Connection, ballot: Ballot) -> tuple[Row[Any] | None, list[Answer]]:
    """The battle row (None if there is none) and its answers, in turn and side order."""
    cap = ballot.prompt_cap if ballot.prompt_cap and ballot.prompt_cap > 0 else 0
    rows = conn.execute(
        BATTLE, {"battle_id": ballot.battle_id, "voter": ballot.voter, "cap": cap}
    ).all()
    if not rows:
        return None, []
    found = [answer_from_row(r, ANSWER_PREFIX) for r in rows if r.answer_turn is not None]
    return rows[0], found


def cast(conn: Connection, ballot: Ballot, stamp: datetime) -> Cast:
    """Store ``ballot`` on ``conn`` (inside the caller's write transaction; SQLite, where
    writers are serialised, so the battle read needs no lock).

    Raises :class:`BattleNotFound`, or :class:`VoteRejected` when nothing may be stored. A
    second vote from the same source is refused by the database's unique constraint (an
    ``IntegrityError`` the caller turns into a rejection)."""
    conn.execute(_HOLD_BATTLE, {"battle_id": ballot.battle_id})
    row, battle_answers = read_battle(conn, ballot)
    check_allowed(ballot, row)
    assert row is not None
    reason = not_counted_reason(ballot, row)
    result = conn.execute(_INSERT_VOTE, vote_values(ballot, row, battle_answers, reason, stamp))
    key = result.inserted_primary_key
    assert key is not None
    if reveals(ballot, row):
        conn.execute(_REVEAL, {"revealed_id": ballot.battle_id, "stamp": stamp})
    if reason is None:
        # Last before the commit: every vote on a pair updates the same row, so its lock is
        # held for as short a time as possible.
        pair_count_cache.bump(conn, {cell(ballot, row): increment(ballot.verdict)})
    return Cast(int(key[0]), reason, row, battle_answers)


def check_allowed(ballot: Ballot, row: Row[Any] | None) -> None:
    """Raise when nothing may be stored for this ballot on this battle."""
    if row is None:
        raise BattleNotFound(ballot.battle_id)
    if ballot.owner is not None and row.session_id != ballot.owner:
        raise VoteRejected("not_your_battle", "only the person who started this battle can vote")
    if row.status == BattleStatus.PENDING.value:
        raise VoteRejected("incomplete", "the answers are not complete yet")
    if ballot.refuse_failed and row.status == BattleStatus.FAILED.value:
        raise VoteRejected(
            "battle_failed", "this battle failed, so it cannot be voted on; start a new one"
        )


def not_counted_reason(ballot: Ballot, row: Row[Any], *, counted_earlier: int = 0) -> str | None:
    """Why this vote will be stored but not counted, or None when it counts.

    ``counted_earlier``: votes on the same prompt counted in the same batch, not yet in
    the row's ``counted_for_prompt``."""
    if ballot.not_counted_reason is not None:
        return ballot.not_counted_reason
    if row.status == BattleStatus.FAILED.value:
        return VoteReason.BATTLE_FAILED.value
    if ballot.source == HUMAN:
        if not row.anonymous:
            return VoteReason.NOT_ANONYMOUS.value
        if row.identity_leak:
            return VoteReason.IDENTITY_LEAK.value
    if ballot.voter is not None:
        if row.voter_banned:
            return VoteReason.BANNED_VOTER.value
        if row.voter_flag and row.voter_flag not in CLEARED_FLAGS:
            return VoteReason.FLAGGED_VOTER.value
    cap = ballot.prompt_cap
    if (
        cap
        and cap > 0
        and row.prompt_hash is not None
        and row.counted_for_prompt + counted_earlier >= cap
    ):
        return VoteReason.PROMPT_CAP.value  # one popular prompt must not decide the board
    return None


def reveals(ballot: Ballot, row: Row[Any]) -> bool:
    """Whether this vote ends the battle's anonymity."""
    return ballot.reveal and ballot.source == HUMAN and bool(row.anonymous)


def cell(ballot: Ballot, row: Row[Any]) -> tuple[str, str, str, str]:
    return (ballot.source, row.category, row.model_a, row.model_b)


def increment(verdict: Verdict) -> list[int]:
    inc = [0, 0, 0, 0]
    inc[OUTCOME[verdict]] = 1
    return inc


def vote_values(
    ballot: Ballot,
    row: Row[Any],
    battle_answers: Sequence[Answer],
    reason: str | None,
    stamp: datetime,
) -> dict[str, Any]:
    """The columns of the vote row."""
    return {
        "battle_id": ballot.battle_id,
        "created_at": stamp,
        "voter": ballot.voter,
        "ip_hash": ballot.ip_hash,
        "source": ballot.source,
        "verdict": ballot.verdict.value,
        "counted": reason is None,
        "reason": reason,
        "model_a": row.model_a,
        "model_b": row.model_b,
        "category": row.category,
        "pair_probability": row.pair_probability,
        "detail": ballot.detail,
        **_last_turn_style(battle_answers),
    }


def _last_turn_style(battle_answers: Sequence[Answer]) -> dict[str, int | None]:
    """The style columns of the vote: the last turn's answers, per side."""
    out: dict[str, int | None] = {
        f"{s}_{f}": None for s in "ab" for f in ("tokens", "headers", "lists", "bold")
    }
    if not battle_answers:
        return out
    last = max(a.turn for a in battle_answers)
    for a in battle_answers:
        if a.turn == last and a.style is not None:
            s = a.side
            out[f"{s}_tokens"] = a.style.tokens
            out[f"{s}_headers"] = a.style.headers
            out[f"{s}_lists"] = a.style.lists
            out[f"{s}_bold"] = a.style.bold
    return out
