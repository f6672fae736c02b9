"""Group commit for PostgreSQL: votes cast from many threads at once are written together.

Each caller puts its ballot on a queue and waits; one writer thread takes every ballot
waiting, writes them with :func:`~modelarena.store.voting_postgres.cast_many` (one read and
one write statement for the lot) and hands each caller its own outcome. A caller returns
only after the statement holding its vote has committed, so an acknowledged vote is stored.
Under no load a batch is one vote and nothing waits; under load, a round trip's cost is
shared by every vote that arrived meanwhile.
"""

from __future__ import annotations

import logging
import queue
import threading
from concurrent.futures import Future
from datetime import datetime

from sqlalchemy.engine import Engine

from modelarena.store.voting import Ballot, Cast
from modelarena.store.voting_postgres import cast_many

log = logging.getLogger(__name__)
MAX_BATCH = 64

_Item = tuple[Ballot, datetime, "Future[Cast]"]


class VoteQueue:
    def __init__(self, engine: Engine, max_batch: int = MAX_BATCH) -> None:
        self._engine = engine
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
            log.warning("a batch of %d votes failed: %s", len(batch), type(exc).__name__)
            for _, _, future in batch:
                future.set_exception(exc)
            return
        for (_, _, future), outcome in zip(batch, outcomes, strict=True):
            if isinstance(outcome, Cast):
                future.set_result(outcome)
            else:
                future.set_exception(outcome)
