"""The store: every read and write of battles and votes goes through this one class."""

from __future__ import annotations

import contextlib
import importlib.util
import threading
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.engine import Connection, Engine, Row
from sqlalchemy.exc import IntegrityError, OperationalError

from modelarena.battles.language import detect_language
from modelarena.battles.records import (
    Answer,
    Battle,
    BattleStatus,
    Verdict,
    VoteRecord,
)
from modelarena.store import migrate, pair_count_cache, voter_log, voting
from modelarena.store.arrays import VoteArrays, vote_arrays_from_rows, vote_arrays_query
from modelarena.store.audit_results import AuditResults
from modelarena.store.bulk import ImportedBattle, ImportWriter, export_query, insert_imported
from modelarena.store.bulk_sql import bulk_pragmas, foreign_keys_off, rollback_journal
from modelarena.store.campaign_votes import CampaignVotes
from modelarena.store.campaigns import Campaigns
from modelarena.store.cells import (
    CellCache,
    PairCells,
    cells_from_rows,
    language_cells,
    read_cells,
)
from modelarena.store.design_checks import DesignChecks
from modelarena.store.engine import StoreError, make_engine
from modelarena.store.landscape_snapshots import LandscapeSnapshots
from modelarena.store.rows import (
    HUMAN,
    answer_values,
    battle_from_row,
    battle_with_answers,
    new_battle_id,
    now,
    prompt_hash,
    vote_from_row,
)
from modelarena.store.schema import answers, battles, votes
from modelarena.store.tournaments import Tournaments
from modelarena.store.vote_queue import AsyncVoteQueue, VoteQueue
from modelarena.store.voting import Ballot, BattleNotFound, VoteRejected


class Store:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.voter_log = voter_log.VoterLog(engine)  # what the integrity tools read
        self.audit_results = AuditResults(engine)  # audit runs, transcripts, metrics
        self.landscape = LandscapeSnapshots(engine)  # published leaderboards, dated
        self.tournaments = Tournaments(engine)  # four-model sessions and their matches
        self.design_checks = DesignChecks(engine)  # design answers checked in a browser
        self.campaigns = Campaigns(engine)  # prompt sets, invites, battles served
        self.campaign_votes = CampaignVotes(engine)  # votes on them, invite limits
        self._cells = CellCache()
        # SQLite takes one writer at a time; threads that queue on its file lock sleep in
        # its busy handler (up to 100 ms a nap). Queue them on a lock here instead.
        self._write_lock: contextlib.AbstractContextManager[Any] = (
            threading.Lock() if engine.dialect.name == "sqlite" else contextlib.nullcontext()
        )
        # PostgreSQL: concurrent votes are written a batch at a time (group commit)
        postgres = engine.dialect.name == "postgresql"
        url = engine.url.render_as_string(hide_password=False)
        self._vote_queue = VoteQueue(url) if postgres else None
        # the event-loop path needs an async driver, psycopg 3 (not psycopg2), and greenlet
        # for SQLAlchemy's asyncio (both in the postgres extra)
        async_ok = engine.dialect.driver == "psycopg" and importlib.util.find_spec("greenlet")
        self._async_vote_queue = AsyncVoteQueue(url) if postgres and async_ok else None

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
        if self._vote_queue is not None:
            self._vote_queue.close()
        self.engine.dispose()

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
            created_at=now(),
            category=category,
            model_a=model_a,
            model_b=model_b,
            status=BattleStatus.PENDING,
            source=source,
            pair_probability=pair_probability,
            session_id=session_id,
        )
        # derived from the prompt before the write lock is taken (the language detector
        # loads its model on first use)
        key = prompt_hash(prompt) if prompt else None
        language = detect_language(prompt) if prompt else None
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
                    prompt_hash=key,
                    language=language,
                    turn_started_at=battle.created_at,
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
                conn.execute(insert(answers).values(**answer_values(battle_id, a)))
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

    def claim_turn(self, battle_id: str, *, owner: str | None = None) -> Battle:
        """Start a follow-up turn: the battle becomes pending (no vote is taken until its
        answers are stored), atomically, and only while no person has voted on it.

        Raises :class:`BattleNotFound`, or :class:`~modelarena.store.voting.TurnRefused`
        (``turn_in_progress``, ``battle_failed``, ``battle_voted``, ``not_your_battle``)."""
        with self._begin() as conn:
            voting.claim_turn(conn, battle_id, owner, now())
        return self.get_battle(battle_id)

    def fail_lost_turns(self, older_than_s: float, *, battle_id: str | None = None) -> int:
        """Mark failed (reason ``lost``) every turn still pending that began more than
        ``older_than_s`` ago (of one battle, or of all): its process died while generating
        it. Returns how many battles changed."""
        cutoff = now() - timedelta(seconds=older_than_s)
        with self._begin() as conn:
            return voting.fail_lost_turns(conn, cutoff, battle_id)

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
        return battle_from_row(row, answer_rows)

    def reveal(self, battle_id: str) -> Battle:
        with self._begin() as conn:
            row = self._battle_row(conn, battle_id, lock=True)
            if row.anonymous:
                conn.execute(
                    update(battles)
                    .where(battles.c.id == battle_id)
                    .values(anonymous=False, revealed_at=now())
                )
        return self.get_battle(battle_id)

    def recent_battles(
        self, *, model: str | None = None, limit: int = 20, with_votes: bool = True
    ) -> list[Battle]:
        query = select(battles.c.id).order_by(battles.c.created_at.desc()).limit(limit)
        if model is not None:
            query = query.where((battles.c.model_a == model) | (battles.c.model_b == model))
        if with_votes:
            # walk the newest battles and look each one's votes up by battle id (coalesce
            # keeps SQLite from choosing the index on counted instead: with it, the query
            # read every counted vote, 3 s at 200k votes)
            counted = select(votes.c.id).where(
                votes.c.battle_id == battles.c.id,
                func.coalesce(votes.c.counted, False).is_(True),
            )
            query = query.where(counted.exists())
        with self.engine.connect() as conn:
            ids = [r.id for r in conn.execute(query)]
        return [self.get_battle(i) for i in ids]

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
        ballot = Ballot(
            battle_id,
            verdict,
            voter,
            source=source,
            ip_hash=ip_hash,
            not_counted_reason=not_counted_reason,
            detail=detail,
            reveal=reveal,
            owner=owner,
            prompt_cap=prompt_cap,
        )
        return self.cast_vote(ballot)[1]

    def cast_vote(self, ballot: Ballot) -> tuple[Battle, VoteRecord]:
        """Store one vote (see :meth:`record_vote`) and return it with its battle, read in
        the same transaction, so that showing the reveal costs no further query."""
        stamp = now()
        try:
            if self._vote_queue is not None:
                cast = self._vote_queue.cast(ballot, stamp)
            else:
                with self._begin() as conn:
                    cast = voting.cast(conn, ballot, stamp)
        except IntegrityError as exc:  # a concurrent second vote lost the race
            raise VoteRejected("duplicate", "this battle already has a vote") from exc
        return _cast_result(ballot, cast, stamp)

    @property
    def batches_votes(self) -> bool:
        """Whether votes go through the group-commit queue (PostgreSQL), so that
        :meth:`cast_vote_async` can wait for them without a thread."""
        return self._async_vote_queue is not None

    async def cast_vote_async(self, ballot: Ballot) -> tuple[Battle, VoteRecord]:
        """:meth:`cast_vote` for the event loop, when :attr:`batches_votes`: the writer
        thread stores the vote and nothing else waits on a thread."""
        if self._async_vote_queue is None:
            raise RuntimeError("cast_vote_async needs PostgreSQL; use cast_vote")
        stamp = now()
        cast = await self._async_vote_queue.cast(ballot, stamp)
        return _cast_result(ballot, cast, stamp)

    async def aclose(self) -> None:
        """Close what :meth:`cast_vote_async` opened on the running event loop."""
        if self._async_vote_queue is not None:
            await self._async_vote_queue.aclose()

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
        return [vote_from_row(r) for r in rows]

    # ----------------------------------------------------------------- voters
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
            voter_log.set_voter_status(
                conn,
                voter,
                banned=banned,
                flag_reason=flag_reason,
                flag_detail=flag_detail,
                actor=actor,
            )

    # ---------------------------------------------------------------- ratings
    def pair_cells(
        self,
        *,
        sources: Sequence[str] = (HUMAN,),
        categories: Sequence[str] | None = None,
        languages: Sequence[str] = (),
    ) -> PairCells:
        """Aggregated counted votes from the cache: the cost does not grow with votes. Cut by
        the battles' languages (which the cache does not hold), from the votes instead."""
        with self.engine.connect() as conn:
            if languages:
                return cells_from_rows(language_cells(conn, sources, categories, languages))
            if conn.dialect.name == "sqlite":
                return self._cells.pair_cells(conn, sources, categories)
            return cells_from_rows(read_cells(conn, sources, categories))

    def vote_arrays(
        self,
        *,
        sources: Sequence[str] = (HUMAN,),
        categories: Sequence[str] | None = None,
        counted_only: bool = True,
    ) -> VoteArrays:
        """Every counted vote, as arrays (for style control, weighting and history)."""
        query = vote_arrays_query(sources, categories, counted_only=counted_only)
        rows: list[Any] = []
        with self.engine.connect() as conn:
            # fetched in parts: one fetch of every row holds the GIL for as long (400 ms at
            # 200k votes), and a web server's event loop waits that long meanwhile
            result = conn.execution_options(yield_per=5000).execute(query)
            for part in result.partitions():
                rows.extend(part)
        return vote_arrays_from_rows(rows)

    def sources(self) -> list[str]:
        with self.engine.connect() as conn:
            return sorted(r[0] for r in conn.execute(select(votes.c.source).distinct()))

    def last_vote_id(self) -> int:
        """The id of the newest vote (0 for none): changes with every vote stored."""
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.max(votes.c.id))).scalar() or 0)

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
            return pair_count_cache.rebuild(conn)

    def set_votes_counted(
        self, *, voter: str, counted: bool, reason: str | None, actor: str = "system"
    ) -> int:
        """Change whether a voter's votes count (ban, flag, unban), then rebuild the cache."""
        with self._begin() as conn:
            changed = voter_log.set_votes_counted(
                conn, voter=voter, counted=counted, reason=reason, actor=actor
            )
        self.rebuild_pair_counts()
        return changed

    # ----------------------------------------------------------------- import
    def import_battles(
        self, rows: Iterable[ImportedBattle], *, source_label: str = "import"
    ) -> int:
        """Store imported votes: all of them in one transaction, or none."""
        with self._begin() as conn:
            return insert_imported(conn, rows, source_label)

    @contextlib.contextmanager
    def bulk_import(
        self, *, source_label: str = "import", dry_run: bool = False, expected_rows: int = 0
    ) -> Iterator[ImportWriter]:
        """One import on one transaction: committed when the block ends without an error,
        rolled back otherwise (and always in a dry run, which writes nothing).
        ``expected_rows``: about how many rows will come (lets SQLite bulk-build indexes)."""
        if dry_run:
            with (
                self.engine.connect() as conn,
                contextlib.closing(ImportWriter(conn, source_label, write=False)) as reader,
            ):
                yield reader
            return
        try:
            with (
                self._write_lock,
                self.engine.connect() as conn,
                foreign_keys_off(conn),
                rollback_journal(conn, expected_rows),
                conn.begin(),
                bulk_pragmas(conn),
                contextlib.closing(ImportWriter(conn, source_label, expected_rows)) as writer,
            ):
                yield writer
                writer.finish()
        except OperationalError as exc:
            if "locked" not in str(exc.orig):
                raise
            raise StoreError(
                "the database stayed locked by another writer for 30 s; nothing was "
                "imported: run the import again when the other one is done"
            ) from exc

    def export_rows(self, *, counted_only: bool = False) -> Iterable[dict[str, Any]]:
        """Votes with their battle's first-turn prompt and answers, oldest first."""
        query = export_query(counted_only=counted_only)
        with self.engine.connect() as conn:
            result = conn.execution_options(yield_per=5000).execute(query)
            for row in result:
                yield dict(row._mapping)


def _cast_result(ballot: Ballot, cast: voting.Cast, stamp: datetime) -> tuple[Battle, VoteRecord]:
    battle = battle_with_answers(cast.battle, cast.answers)
    if voting.reveals(ballot, cast.battle):
        battle.anonymous = False
        battle.revealed_at = stamp
    record = VoteRecord(
        cast.vote_id,
        ballot.battle_id,
        ballot.verdict,
        cast.reason is None,
        cast.reason,
        ballot.voter,
        ballot.source,
        stamp,
    )
    return battle, record
