"""Group commit for PostgreSQL: votes cast from many threads at once are written together.

Each caller puts its ballot on a queue and waits; one writer thread takes every ballot
waiting, writes them with :func:`~modelarena.store.voting_postgres.cast_many` (one read and
one write statement for the lot) and hands each caller its own outcome. A caller returns
only after the statement holding its vote has committed, so an acknowledged vote is stored.
Under no load a batch is one vote and nothing waits; under load, a round trip's cost is
shared by every vote that arrived meanwhile.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from collections.abc import Sequence
from concurrent.futures import Future
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import create_engine, make_url

from modelarena.store.voting import Ballot, Cast
from modelarena.store.voting_postgres import Outcome, cast_many

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine

log = logging.getLogger(__name__)
MAX_BATCH = 64

_Item = tuple[Ballot, datetime, "Future[Cast]"]


# Statements are prepared (parsed once per connection) but planned for each batch's own
# values. PostgreSQL would otherwise switch a prepared statement to a generic plan, and the
# one made while the vote table was nearly empty scanned the whole table for the prompt
# cap: a run slowed from 450 to 130 votes/s as the table grew.
PLAN_EACH_BATCH = "-c plan_cache_mode=force_custom_plan"


def _vote_connections(url: str) -> dict[str, Any]:
    driver = make_url(url).get_driver_name()
    return {"options": PLAN_EACH_BATCH} if driver in ("psycopg", "psycopg2") else {}


class VoteQueue:
    def __init__(self, url: str, max_batch: int = MAX_BATCH) -> None:
        self._engine = create_engine(
            url,
            pool_size=1,
            max_overflow=0,
            pool_pre_ping=True,
            connect_args=_vote_connections(url),
        )
        self._max_batch = max_batch
        self._queue: queue.SimpleQueue[_Item | None] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._writer: threading.Thread | None = None

    def cast(self, ballot: Ballot, stamp: datetime) -> Cast:
        """Store ``ballot``; block until it is committed. Raises what the vote's refusal is,
        or the database error that stopped its batch (then nothing of the batch is stored)."""
        return self.submit(ballot, stamp).result()

    def submit(self, ballot: Ballot, stamp: datetime) -> Future[Cast]:
        """Queue ``ballot``; the future completes once it is committed (or refused)."""
        future: Future[Cast] = Future()
        self._start()
        self._queue.put((ballot, stamp, future))
        return future

    def close(self) -> None:
        with self._lock:
            writer, self._writer = self._writer, None
        if writer is not None:
            self._queue.put(None)
            writer.join(timeout=30)
        self._engine.dispose()

    def _start(self) -> None:
        with self._lock:
            if self._writer is None:
                self._writer = threading.Thread(
                    target=self._run, name="modelarena-vote-writer", daemon=True
                )
                self._writer.start()

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            batch = [item]
            while len(batch) < self._max_batch:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    self._queue.put(None)  # stop after this batch
                    break
                batch.append(more)
            self._write(batch)

    def _write(self, batch: list[_Item]) -> None:
        try:
            with self._engine.connect() as conn:
                conn = conn.execution_options(isolation_level="AUTOCOMMIT")
                outcomes = cast_many(conn, [(ballot, stamp) for ballot, stamp, _ in batch])
        except Exception as exc:  # noqa: BLE001 - every caller of the batch gets the error
            _settle([future for _, _, future in batch], exc)
            return
        _settle([future for _, _, future in batch], outcomes)


class AsyncVoteQueue:
    """The same group commit for the event loop: ballots wait on asyncio futures and the
    batch is written by a task on the loop, through SQLAlchemy's asyncio engine. No thread
    is involved, so no vote waits for the GIL after each round trip (with a writer thread,
    a batch's two statements spent most of their time under load waiting for the GIL)."""

    def __init__(self, url: str, max_batch: int = MAX_BATCH) -> None:
        self._url = url
        self._max_batch = max_batch
        self._pending: list[tuple[Ballot, datetime, asyncio.Future[Cast]]] = []
        self._writing = False
        self._engine: AsyncEngine | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    async def cast(self, ballot: Ballot, stamp: datetime) -> Cast:
        loop = asyncio.get_running_loop()
        if self._loop is not loop:
            # imported here: SQLAlchemy's asyncio needs greenlet, in the postgres extra only
            from sqlalchemy.ext.asyncio import create_async_engine

            # an engine's connections belong to the loop that opened them
            self._engine = create_async_engine(
                self._url,
                pool_size=2,
                pool_pre_ping=True,
                connect_args=_vote_connections(self._url),
            )
            self._loop = loop
            self._writing = False
        future: asyncio.Future[Cast] = loop.create_future()
        self._pending.append((ballot, stamp, future))
        if not self._writing:
            self._writing = True
            loop.create_task(self._drain())
        return await future

    async def aclose(self) -> None:
        if self._engine is not None:
            await self._engine.dispose()
            self._engine = None
            self._loop = None

    async def _drain(self) -> None:
        try:
            while self._pending:
                batch = self._pending[: self._max_batch]
                del self._pending[: self._max_batch]
                await self._write(batch)
        finally:
            self._writing = False

    async def _write(self, batch: list[tuple[Ballot, datetime, asyncio.Future[Cast]]]) -> None:
        assert self._engine is not None
        items = [(ballot, stamp) for ballot, stamp, _ in batch]
        try:
            async with self._engine.connect() as conn:
                conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
                outcomes = await conn.run_sync(lambda sync_conn: cast_many(sync_conn, items))
        except Exception as exc:  # noqa: BLE001 - every caller of the batch gets the error
            _settle([future for _, _, future in batch], exc)
            return
        _settle([future for _, _, future in batch], outcomes)


def _settle(
    futures: Sequence[Future[Cast] | asyncio.Future[Cast]],
    outcomes: Sequence[Outcome] | Exception,
) -> None:
    """Hand each caller of a batch its vote's outcome, or the error that stopped the whole
    batch (then nothing of it is stored)."""
    each: Sequence[Cast | Exception]
    if isinstance(outcomes, Exception):
        log.warning("a batch of %d votes failed: %s", len(futures), type(outcomes).__name__)
        each = [outcomes] * len(futures)
    else:
        each = outcomes
    for future, outcome in zip(futures, each, strict=True):
        if future.done():  # the caller went away (a cancelled request); the vote stays
            continue
        if isinstance(outcome, Cast):
            future.set_result(outcome)
        else:
            future.set_exception(outcome)
