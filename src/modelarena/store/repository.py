"""The store: every read and write of battles and votes goes through this one class."""

from __future__ import annotations

import contextlib
import hashlib
import secrets
import threading
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np
from sqlalchemy import and_, delete, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection, Engine, Row
from sqlalchemy.exc import IntegrityError, OperationalError

from modelarena.backends.base import AnswerStats
from modelarena.battles.records import (
    Answer,
    Battle,
    BattleStatus,
    Verdict,
    VoteReason,
    VoteRecord,
)
from modelarena.battles.style import StyleCounts
from modelarena.store import migrate
from modelarena.store.cells import CellCache, read_cells
from modelarena.store.engine import StoreError, make_engine
from modelarena.store.schema import answers, audit_log, battles, pair_counts, voters, votes

HUMAN = "human"
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


def new_battle_id() -> str:
    # Random, so an id says nothing about the models or the order of battles.
    return secrets.token_hex(12)


def prompt_hash(prompt: str) -> str:
    folded = " ".join(prompt.lower().split())
    return hashlib.sha256(folded.encode()).hexdigest()[:32]


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class VoteArrays:
    """Counted votes as arrays for the ratings layer. Outcome codes: 0 a, 1 b, 2 tie, 3 both bad."""

    models: list[str]
    model_a: np.ndarray
    model_b: np.ndarray
    outcome: np.ndarray
    pair_probability: np.ndarray  # nan where unknown
    style_a: np.ndarray  # (N, 4): tokens, headers, lists, bold
    style_b: np.ndarray
    day: np.ndarray  # days since epoch, int64


@dataclass(frozen=True)
class PairCells:
    """Aggregated counts per ordered (model_a, model_b) cell."""

    models: list[str]
    a: np.ndarray
    b: np.ndarray
    wins_a: np.ndarray
    wins_b: np.ndarray
    ties: np.ndarray  # ties and both-bad together


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


_OUTCOME = {Verdict.A: 0, Verdict.B: 1, Verdict.TIE: 2, Verdict.BOTH_BAD: 3}


class Store:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._cells = CellCache()
        self._upserts: dict[str, Any] = {}
        # SQLite takes one writer at a time; threads that queue on its file lock sleep in
        # its busy handler (up to 100 ms a nap). Queue them on a lock here instead.
        self._write_lock: contextlib.AbstractContextManager[Any] = (
            threading.Lock() if engine.dialect.name == "sqlite" else contextlib.nullcontext()
        )

    @contextlib.contextmanager
    def _begin(self) -> Iterator[Connection]:
        """A write transaction (serialised within this process on SQLite)."""
        with self._write_lock, self.engine.begin() as conn:
            yield conn

    @classmethod
    def open(cls, url: str, *, upgrade: bool = True) -> Store:
        engine = make_engine(url)
        try:
            if upgrade:
                migrate.upgrade(engine)
        except OperationalError as exc:
            raise StoreError(f"cannot open the database {engine.url!r}: {exc.orig}") from exc
        return cls(engine)

    def close(self) -> None:
        self.engine.dispose()

    # ----------------------------------------------------------------- upserts
    def _insert(self, conn: Connection) -> Any:
        return pg_insert if conn.dialect.name == "postgresql" else sqlite_insert

    def _bump_pair_counts(
        self, conn: Connection, increments: dict[tuple[str, str, str, str], list[int]]
    ) -> None:
        if not increments:
            return
        ins = self._insert(conn)
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
        stmt = self._upserts.get(conn.dialect.name)
        if stmt is None:  # built once: constructing an upsert costs more than running it
            stmt = ins(pair_counts)
            stmt = stmt.on_conflict_do_update(
                index_elements=["source", "category", "model_a", "model_b"],
                set_={
                    "wins_a": pair_counts.c.wins_a + stmt.excluded.wins_a,
                    "wins_b": pair_counts.c.wins_b + stmt.excluded.wins_b,
                    "ties": pair_counts.c.ties + stmt.excluded.ties,
                    "both_bad": pair_counts.c.both_bad + stmt.excluded.both_bad,
                },
            )
            self._upserts[conn.dialect.name] = stmt
        for start in range(0, len(rows), 500):
            conn.execute(stmt, rows[start : start + 500])

    # ----------------------------------------------------------------- battles
    def create_battle(
        self,
        *,
        category: str,
        model_a: str,
        model_b: str,
        pair_probability: float | None = None,
        session_id: str | None = None,
        source: str = "arena",
        prompt: str | None = None,
    ) -> Battle:
        battle = Battle(
            id=new_battle_id(),
            created_at=_now(),
            category=category,
            model_a=model_a,
            model_b=model_b,
            status=BattleStatus.PENDING,
            source=source,
            pair_probability=pair_probability,
            session_id=session_id,
        )
        with self._begin() as conn:
            conn.execute(
                insert(battles).values(
                    id=battle.id,
                    created_at=battle.created_at,
                    category=category,
                    model_a=model_a,
                    model_b=model_b,
                    pair_probability=pair_probability,
                    status=battle.status.value,
                    anonymous=True,
                    session_id=session_id,
                    source=source,
                    prompt_hash=prompt_hash(prompt) if prompt else None,
                )
            )
        return battle

    def save_answers(
        self,
        battle_id: str,
        new_answers: Sequence[Answer],
        *,
        identity_leak: str | None = None,
    ) -> Battle:
        """Store a turn's answers and settle the battle's status in one transaction."""
        with self._begin() as conn:
            row = self._battle_row(conn, battle_id, lock=True)
            failed = [a for a in new_answers if a.error]
            for a in new_answers:
                conn.execute(insert(answers).values(**_answer_values(battle_id, a)))
            values: dict[str, Any] = {}
            if failed:
                values.update(
                    status=BattleStatus.FAILED.value,
                    failure_reason=failed[0].error,
                    failure_message="a model failed to answer",
                )
            elif row.status == BattleStatus.PENDING.value or row.status == "complete":
                values["status"] = BattleStatus.COMPLETE.value
            if identity_leak and not row.identity_leak:
                values["identity_leak"] = identity_leak
            if values:
                conn.execute(update(battles).where(battles.c.id == battle_id).values(**values))
        return self.get_battle(battle_id)

    def mark_pending(self, battle_id: str) -> None:
        """A follow-up turn is being generated: no vote until it is complete."""
        with self._begin() as conn:
            self._battle_row(conn, battle_id, lock=True)
            conn.execute(
                update(battles)
                .where(battles.c.id == battle_id)
                .values(status=BattleStatus.PENDING.value)
            )

    def fail_battle(self, battle_id: str, reason: str, message: str) -> None:
        with self._begin() as conn:
            conn.execute(
                update(battles)
                .where(battles.c.id == battle_id)
                .values(
                    status=BattleStatus.FAILED.value, failure_reason=reason, failure_message=message
                )
            )

    def _battle_row(self, conn: Connection, battle_id: str, *, lock: bool = False) -> Row[Any]:
        query = select(battles).where(battles.c.id == battle_id)
        if lock and conn.dialect.name == "postgresql":
            query = query.with_for_update()
        row = conn.execute(query).first()
        if row is None:
            raise BattleNotFound(battle_id)
        return row

    def get_battle(self, battle_id: str) -> Battle:
        with self.engine.connect() as conn:
            row = self._battle_row(conn, battle_id)
            answer_rows = conn.execute(
                select(answers)
                .where(answers.c.battle_id == battle_id)
                .order_by(answers.c.turn, answers.c.side)
            ).all()
        return _battle_from_row(row, answer_rows)

    def reveal(self, battle_id: str) -> Battle:
        with self._begin() as conn:
            row = self._battle_row(conn, battle_id, lock=True)
            if row.anonymous:
                conn.execute(
                    update(battles)
                    .where(battles.c.id == battle_id)
                    .values(anonymous=False, revealed_at=_now())
                )
        return self.get_battle(battle_id)

    def recent_battles(
        self, *, model: str | None = None, limit: int = 20, with_votes: bool = True
    ) -> list[Battle]:
        query = select(battles.c.id).order_by(battles.c.created_at.desc()).limit(limit)
        if model is not None:
            query = query.where((battles.c.model_a == model) | (battles.c.model_b == model))
        if with_votes:
            query = query.where(
                battles.c.id.in_(select(votes.c.battle_id).where(votes.c.counted.is_(True)))
            )
        with self.engine.connect() as conn:
            ids = [r.id for r in conn.execute(query)]
        return [self.get_battle(i) for i in ids]

    def count_battles_for_prompt(self, prompt: str) -> int:
        with self.engine.connect() as conn:
            return int(
                conn.execute(
                    select(func.count())
                    .select_from(votes.join(battles, votes.c.battle_id == battles.c.id))
                    .where(battles.c.prompt_hash == prompt_hash(prompt), votes.c.counted.is_(True))
                ).scalar_one()
            )

    # ------------------------------------------------------------------- votes
    def record_vote(
        self,
        battle_id: str,
        verdict: Verdict,
        *,
        voter: str | None,
        source: str = HUMAN,
        ip_hash: str | None = None,
        not_counted_reason: str | None = None,
        detail: str | None = None,
        reveal: bool = True,
        owner: str | None = None,
        prompt_cap: int | None = None,
    ) -> VoteRecord:
        """Store one vote, counted or not, and update the pair counts: one transaction.

        Raises :class:`VoteRejected` (nothing stored) for a second vote on the battle from
        the same source, a vote before both answers are complete, or (``owner`` given) a
        vote from someone other than the battle's owner. ``prompt_cap``: counted votes
        beyond this many for the same prompt are stored but not counted.
        """
        now = _now()
        try:
            with self._begin() as conn:
                row = self._battle_row(conn, battle_id, lock=True)
                if owner is not None and row.session_id != owner:
                    raise VoteRejected(
                        "not_your_battle", "only the person who started this battle can vote"
                    )
                if row.status == BattleStatus.PENDING.value:
                    raise VoteRejected("incomplete", "the answers are not complete yet")
                # a second vote is refused by the unique (battle, source) constraint below
                reason = not_counted_reason
                if reason is None and row.status == BattleStatus.FAILED.value:
                    reason = VoteReason.BATTLE_FAILED.value
                if reason is None and source == HUMAN:
                    if not row.anonymous:
                        reason = VoteReason.NOT_ANONYMOUS.value
                    elif row.identity_leak:
                        reason = VoteReason.IDENTITY_LEAK.value
                if reason is None and voter is not None:
                    reason = self._voter_reason(conn, voter)
                if (
                    reason is None
                    and prompt_cap is not None
                    and prompt_cap > 0
                    and row.prompt_hash is not None
                    and self._counted_for_prompt(conn, row.prompt_hash, prompt_cap) >= prompt_cap
                ):
                    # one popular prompt must not decide the board
                    reason = VoteReason.PROMPT_CAP.value
                style = self._last_turn_style(conn, battle_id)
                result = conn.execute(
                    insert(votes).values(
                        battle_id=battle_id,
                        created_at=now,
                        voter=voter,
                        ip_hash=ip_hash,
                        source=source,
                        verdict=verdict.value,
                        counted=reason is None,
                        reason=reason,
                        model_a=row.model_a,
                        model_b=row.model_b,
                        category=row.category,
                        pair_probability=row.pair_probability,
                        detail=detail,
                        **style,
                    )
                )
                key = result.inserted_primary_key
                assert key is not None
                vote_id = int(key[0])
                if reveal and source == HUMAN and row.anonymous:
                    conn.execute(
                        update(battles)
                        .where(battles.c.id == battle_id)
                        .values(anonymous=False, revealed_at=now)
                    )
                if reason is None:
                    # Last before the commit: every vote on a pair updates the same row, so
                    # its lock is held for as short a time as possible.
                    inc = [0, 0, 0, 0]
                    inc[_OUTCOME[verdict]] = 1
                    self._bump_pair_counts(
                        conn, {(source, row.category, row.model_a, row.model_b): inc}
                    )
        except IntegrityError as exc:  # a concurrent second vote lost the race
            raise VoteRejected("duplicate", "this battle already has a vote") from exc
        return VoteRecord(vote_id, battle_id, verdict, reason is None, reason, voter, source, now)

    def _voter_reason(self, conn: Connection, voter: str) -> str | None:
        """Why this voter's new votes do not count: banned, or flagged and not cleared."""
        row = conn.execute(
            select(voters.c.banned, voters.c.flag_reason).where(voters.c.id == voter)
        ).first()
        if row is None:
            return None
        if row.banned:
            return VoteReason.BANNED_VOTER.value
        if row.flag_reason and row.flag_reason not in CLEARED_FLAGS:
            return VoteReason.FLAGGED_VOTER.value
        return None

    def _counted_for_prompt(self, conn: Connection, hashed: str, cap: int) -> int:
        """Counted votes on battles with this prompt, counting no further than ``cap``.

        Written as IN (battles with the hash) so both engines walk the prompt-hash index
        then the votes' battle index; a join let SQLite scan the votes instead."""
        same_prompt = select(battles.c.id).where(battles.c.prompt_hash == hashed)
        hits = (
            select(votes.c.id)
            .where(votes.c.battle_id.in_(same_prompt), votes.c.counted.is_(True))
            .limit(cap)
            .subquery()
        )
        return int(conn.execute(select(func.count()).select_from(hits)).scalar_one())

    def _last_turn_style(self, conn: Connection, battle_id: str) -> dict[str, int | None]:
        rows = conn.execute(
            select(answers)
            .where(answers.c.battle_id == battle_id)
            .order_by(answers.c.turn.desc())
            .limit(2)
        ).all()
        out: dict[str, int | None] = {}
        for r in rows:
            s = r.side
            out[f"{s}_tokens"] = r.style_tokens
            out[f"{s}_headers"] = r.style_headers
            out[f"{s}_lists"] = r.style_lists
            out[f"{s}_bold"] = r.style_bold
        return out

    def voted_battle_ids(self, source: str, *, counted_only: bool = True) -> list[str]:
        """Battles with a vote from ``source``, in the order the votes came."""
        query = select(votes.c.battle_id).where(votes.c.source == source).order_by(votes.c.id)
        if counted_only:
            query = query.where(votes.c.counted.is_(True))
        with self.engine.connect() as conn:
            return [r[0] for r in conn.execute(query)]

    def votes_for_battle(self, battle_id: str) -> list[VoteRecord]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(votes).where(votes.c.battle_id == battle_id).order_by(votes.c.id)
            ).all()
        return [_vote_from_row(r) for r in rows]

    # ----------------------------------------------------------------- voters
    def _is_banned(self, conn: Connection, voter: str) -> bool:
        row = conn.execute(select(voters.c.banned).where(voters.c.id == voter)).first()
        return bool(row and row.banned)

    def set_voter_status(
        self,
        voter: str,
        *,
        banned: bool | None = None,
        flag_reason: str | None = None,
        flag_detail: str | None = None,
        actor: str = "system",
    ) -> None:
        with self._begin() as conn:
            existing = conn.execute(select(voters).where(voters.c.id == voter)).first()
            values: dict[str, Any] = {"updated_at": _now()}
            if banned is not None:
                values["banned"] = banned
            if flag_reason is not None:
                values["flag_reason"] = flag_reason or None
                values["flag_detail"] = flag_detail
            if existing is None:
                values.setdefault("banned", False)
                conn.execute(insert(voters).values(id=voter, **values))
            else:
                conn.execute(update(voters).where(voters.c.id == voter).values(**values))
            action = "ban" if banned else "unban" if banned is False else "flag"
            conn.execute(
                insert(audit_log).values(
                    created_at=_now(),
                    actor=actor,
                    action=action,
                    target=voter,
                    detail=flag_reason,
                )
            )

    def voters(self, *, flagged_or_banned: bool = True) -> list[dict[str, Any]]:
        query = select(voters)
        if flagged_or_banned:
            query = query.where(voters.c.banned.is_(True) | voters.c.flag_reason.is_not(None))
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(query)]

    # ---------------------------------------------------------------- ratings
    def pair_cells(
        self, *, sources: Sequence[str] = (HUMAN,), categories: Sequence[str] | None = None
    ) -> PairCells:
        """Aggregated counted votes from the cache: the cost does not grow with votes."""
        with self.engine.connect() as conn:
            if conn.dialect.name == "sqlite":
                names, a, b, counts = self._cells.cells(conn, sources, categories)
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
            rows = read_cells(conn, sources, categories)
        names = sorted({r[0] for r in rows} | {r[1] for r in rows})
        index = {n: i for i, n in enumerate(names)}
        return PairCells(
            models=names,
            a=np.array([index[r[0]] for r in rows], dtype=np.int64),
            b=np.array([index[r[1]] for r in rows], dtype=np.int64),
            wins_a=np.array([r[2] for r in rows], dtype=np.float64),
            wins_b=np.array([r[3] for r in rows], dtype=np.float64),
            ties=np.array([r[4] for r in rows], dtype=np.float64),
        )

    def vote_arrays(
        self,
        *,
        sources: Sequence[str] = (HUMAN,),
        categories: Sequence[str] | None = None,
        counted_only: bool = True,
    ) -> VoteArrays:
        """Every counted vote, as arrays (for style control, weighting and history)."""
        cols = [
            votes.c.model_a,
            votes.c.model_b,
            votes.c.verdict,
            votes.c.pair_probability,
            votes.c.a_tokens,
            votes.c.a_headers,
            votes.c.a_lists,
            votes.c.a_bold,
            votes.c.b_tokens,
            votes.c.b_headers,
            votes.c.b_lists,
            votes.c.b_bold,
            votes.c.created_at,
        ]
        query = select(*cols).where(votes.c.source.in_(list(sources)))
        if counted_only:
            query = query.where(votes.c.counted.is_(True))
        if categories:
            query = query.where(votes.c.category.in_(list(categories)))
        query = query.order_by(votes.c.id)
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        names = sorted({r[0] for r in rows} | {r[1] for r in rows})
        index = {n: i for i, n in enumerate(names)}
        n = len(rows)
        outcome_code = {"a": 0, "b": 1, "tie": 2, "both_bad": 3}
        style = np.array(
            [[x if x is not None else 0 for x in r[4:12]] for r in rows], dtype=np.float64
        ).reshape(n, 8)
        epoch = datetime(1970, 1, 1, tzinfo=UTC)
        return VoteArrays(
            models=names,
            model_a=np.array([index[r[0]] for r in rows], dtype=np.int64),
            model_b=np.array([index[r[1]] for r in rows], dtype=np.int64),
            outcome=np.array([outcome_code[r[2]] for r in rows], dtype=np.int64),
            pair_probability=np.array(
                [r[3] if r[3] is not None else np.nan for r in rows], dtype=np.float64
            ),
            style_a=style[:, :4],
            style_b=style[:, 4:],
            day=np.array([((_aware(r[12]) - epoch).days) for r in rows], dtype=np.int64),
        )

    def sources(self) -> list[str]:
        with self.engine.connect() as conn:
            return sorted(r[0] for r in conn.execute(select(votes.c.source).distinct()))

    def vote_totals(self) -> dict[str, int]:
        """Counted human votes per model (for pairing boosts)."""
        cells = self.pair_cells()
        totals: dict[str, int] = defaultdict(int)
        n = cells.wins_a + cells.wins_b + cells.ties
        for i, j, c in zip(cells.a, cells.b, n, strict=True):
            totals[cells.models[i]] += int(c)
            totals[cells.models[j]] += int(c)
        return dict(totals)

    def filtered_vote_summary(self) -> dict[str, int]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(votes.c.reason, func.count()).group_by(votes.c.reason)).all()
        return {(r[0] or "counted"): int(r[1]) for r in rows}

    def rebuild_pair_counts(self) -> int:
        """Recompute the pair-count cache from the vote log. Returns the counted votes."""
        with self._begin() as conn:
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
            inc: dict[tuple[str, str, str, str], list[int]] = defaultdict(lambda: [0, 0, 0, 0])
            total = 0
            for s, c, a, b, verdict, count in conn.execute(query):
                inc[(s, c, a, b)][_OUTCOME[Verdict(verdict)]] += int(count)
                total += int(count)
            self._bump_pair_counts(conn, dict(inc))
            conn.execute(
                insert(audit_log).values(
                    created_at=_now(),
                    actor="system",
                    action="rebuild_pair_counts",
                    target=None,
                    detail=f"{total} counted votes",
                )
            )
        return total

    def set_votes_counted(
        self, *, voter: str, counted: bool, reason: str | None, actor: str = "system"
    ) -> int:
        """Change whether a voter's votes count (ban, flag, unban), then rebuild the cache."""
        with self._begin() as conn:
            cond = votes.c.voter == voter
            if counted:
                cond = and_(cond, votes.c.reason == reason)
                result = conn.execute(update(votes).where(cond).values(counted=True, reason=None))
            else:
                cond = and_(cond, votes.c.counted.is_(True))
                result = conn.execute(
                    update(votes).where(cond).values(counted=False, reason=reason)
                )
            conn.execute(
                insert(audit_log).values(
                    created_at=_now(),
                    actor=actor,
                    action="recount" if counted else "uncount",
                    target=voter,
                    detail=reason,
                )
            )
        self.rebuild_pair_counts()
        return int(result.rowcount or 0)

    # ----------------------------------------------------------------- import
    def import_battles(
        self, rows: Iterable[ImportedBattle], *, source_label: str = "import"
    ) -> int:
        """Store imported votes: all of them in one transaction, or none."""
        count = 0
        inc: dict[tuple[str, str, str, str], list[int]] = defaultdict(lambda: [0, 0, 0, 0])
        now = _now()
        with self._begin() as conn:
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
                created = item.created_at or now
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
                            _answer_values(
                                bid,
                                Answer(
                                    side=side, turn=0, prompt=item.prompt, content=text, style=st
                                ),
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
                        _OUTCOME[item.verdict]
                    ] += 1
                count += 1
                if len(vote_rows) >= 5000:
                    flush()
            flush()
            self._bump_pair_counts(conn, dict(inc))
        return count

    def export_rows(self, *, counted_only: bool = False) -> Iterable[dict[str, Any]]:
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
            .outerjoin(
                aa, and_(aa.c.battle_id == votes.c.battle_id, aa.c.turn == 0, aa.c.side == "a")
            )
            .outerjoin(
                ab, and_(ab.c.battle_id == votes.c.battle_id, ab.c.turn == 0, ab.c.side == "b")
            )
            .order_by(votes.c.id)
        )
        if counted_only:
            query = query.where(votes.c.counted.is_(True))
        with self.engine.connect() as conn:
            result = conn.execution_options(yield_per=5000).execute(query)
            for row in result:
                yield dict(row._mapping)


def _aware(value: datetime) -> datetime:
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


def _answer_values(battle_id: str, a: Answer) -> dict[str, Any]:
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


def _battle_from_row(row: Row[Any], answer_rows: Sequence[Row[Any]]) -> Battle:
    return Battle(
        id=row.id,
        created_at=_aware(row.created_at),
        category=row.category,
        model_a=row.model_a,
        model_b=row.model_b,
        status=BattleStatus(row.status),
        source=row.source,
        pair_probability=row.pair_probability,
        failure_reason=row.failure_reason,
        failure_message=row.failure_message,
        anonymous=bool(row.anonymous),
        revealed_at=_aware(row.revealed_at) if row.revealed_at else None,
        identity_leak=row.identity_leak,
        session_id=row.session_id,
        answers=[
            Answer(
                side=r.side,
                turn=r.turn,
                prompt=r.prompt,
                content=r.content,
                reasoning=r.reasoning,
                error=r.error,
                stats=AnswerStats(
                    prompt_tokens=r.prompt_tokens,
                    completion_tokens=r.completion_tokens,
                    reasoning_tokens=r.reasoning_tokens,
                    time_to_first_token_s=r.time_to_first_token_s,
                    total_time_s=r.total_time_s or 0.0,
                    finish_reason=r.finish_reason,
                ),
                style=StyleCounts(
                    r.style_tokens or 0, r.style_headers or 0, r.style_lists or 0, r.style_bold or 0
                )
                if r.style_tokens is not None
                else None,
            )
            for r in answer_rows
        ],
    )


def _vote_from_row(r: Row[Any]) -> VoteRecord:
    return VoteRecord(
        id=r.id,
        battle_id=r.battle_id,
        verdict=Verdict(r.verdict),
        counted=bool(r.counted),
        reason=r.reason,
        voter=r.voter,
        source=r.source,
        created_at=_aware(r.created_at),
    )
