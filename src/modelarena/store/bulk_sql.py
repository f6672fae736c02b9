"""How a bulk write talks to each database: one import at a time, the fastest way to write
many rows (COPY on PostgreSQL with psycopg, prepared ``executemany`` elsewhere), times as
the driver takes them, and SQLite's settings for the length of an import."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import Table, func, insert, select
from sqlalchemy.engine import Connection
from sqlalchemy.exc import OperationalError

from modelarena.store.schema import battles

SQLITE_IMPORT_CACHE_KIB = 32 * 1024  # page cache while importing (default is 2 MiB)
SQLITE_ROLLBACK_JOURNAL_ROWS = 50_000  # from this size an import skips the WAL (see below)


def time_processor(conn: Connection) -> Callable[[datetime], Any]:
    """How a time goes to the driver: on SQLite, the text SQLAlchemy's DateTime writes
    (``2024-05-01 12:00:00.000000``; like it, the zone is dropped: times here are UTC),
    built by ``isoformat`` at a fraction of the cost; elsewhere the type's own processor, if any."""
    dialect = conn.dialect
    if dialect.name == "sqlite":
        return lambda value: value.replace(tzinfo=None).isoformat(" ", "microseconds")
    processor = battles.c.created_at.type.dialect_impl(dialect).bind_processor(dialect)
    return processor or (lambda value: value)


IMPORT_LOCK = 0x61726E61  # PostgreSQL advisory lock key: one import at a time


def serialise(conn: Connection) -> None:
    """One import at a time, and each sees what the one before committed: SQLite takes
    its write lock now (the sqlite3 module would open the transaction only at the first
    INSERT, after the reads, and would not roll back a DROP INDEX); PostgreSQL takes an
    advisory lock that only imports ask for (live battles and votes go on)."""
    if conn.dialect.name == "sqlite":
        raw = conn.connection.driver_connection
        if raw is not None and not raw.in_transaction:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
    elif conn.dialect.name == "postgresql":
        conn.execute(select(func.pg_advisory_xact_lock(IMPORT_LOCK)))


Write = Callable[[Table, tuple[str, ...], list[tuple[Any, ...]]], None]


def row_writer(conn: Connection) -> Write:
    """How to write many rows of one table on this connection, fastest first."""
    driver = conn.dialect.driver
    if conn.dialect.name == "postgresql" and driver == "psycopg":
        raw = conn.connection.driver_connection

        def copy(table: Table, columns: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
            assert raw is not None
            sql = f"COPY {table.name} ({', '.join(columns)}) FROM STDIN"
            with raw.cursor() as cur, cur.copy(sql) as out:
                for row in rows:
                    out.write_row(row)

        return copy
    mark = {"qmark": "?", "format": "%s", "pyformat": "%s"}.get(conn.dialect.paramstyle)
    if mark is None:  # a driver we do not know: SQLAlchemy's own executemany

        def generic(table: Table, columns: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
            conn.execute(insert(table), [dict(zip(columns, r, strict=True)) for r in rows])

        return generic
    statements: dict[str, str] = {}

    def executemany(table: Table, columns: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
        sql = statements.get(f"{table.name}{len(columns)}")
        if sql is None:
            sql = statements[f"{table.name}{len(columns)}"] = (
                f"INSERT INTO {table.name} ({', '.join(columns)}) "
                f"VALUES ({', '.join([mark] * len(columns))})"
            )
        conn.exec_driver_sql(sql, rows)

    return executemany


@contextlib.contextmanager
def bulk_pragmas(conn: Connection) -> Iterator[None]:
    """SQLite: a page cache large enough for the indexes a big import touches, and helper
    threads for the sorts that build indexes again (0.2 s of the 3.4 s they take for a
    million votes, on 2 cores)."""
    if conn.dialect.name != "sqlite":
        yield
        return
    cache, threads = (
        conn.exec_driver_sql(f"PRAGMA {p}").scalar() for p in ("cache_size", "threads")
    )
    conn.exec_driver_sql(f"PRAGMA cache_size=-{SQLITE_IMPORT_CACHE_KIB}")
    conn.exec_driver_sql(f"PRAGMA threads={min(4, os.cpu_count() or 1)}")
    try:
        yield
    finally:
        conn.exec_driver_sql(f"PRAGMA cache_size={int(cache or -2000)}")
        conn.exec_driver_sql(f"PRAGMA threads={int(threads or 0)}")


@contextlib.contextmanager
def foreign_keys_off(conn: Connection) -> Iterator[None]:
    """SQLite: no foreign key lookups for the transaction opened inside (an import writes
    each battle before its votes, or finds it stored, so they would all succeed: a lookup
    a vote, a tenth of the write). Checks are on again once it ended (SQLite ignores the
    pragma inside a transaction, so this is entered before and left after it); a
    connection that cannot turn them on again is thrown away, not put back in the pool."""
    if conn.dialect.name != "sqlite":
        yield
        return
    conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
    conn.commit()
    try:
        yield
    finally:
        if conn.in_transaction():
            conn.rollback()
        conn.exec_driver_sql("PRAGMA foreign_keys=ON")
        on = conn.exec_driver_sql("PRAGMA foreign_keys").scalar()
        conn.commit()
        if on != 1:
            conn.invalidate()


@contextlib.contextmanager
def rollback_journal(conn: Connection, expected_rows: int) -> Iterator[None]:
    """SQLite, a large import on a database no other connection has open: the transaction
    opened inside keeps a rollback journal instead of the WAL, so each page it writes is
    written once (through the WAL, a page is written there, then copied into the database
    when the commit checkpoints it: 1.9 s of a million-vote import, and a WAL file as large
    as what it wrote, left on disk). It is as safe: the journal rolls back an import cut
    short, at the next open. Leaving WAL needs sole use of the file, so it is tried without
    waiting; another connection open (a running ``arena serve``) keeps the WAL, where its
    readers go on during the import. Entered outside a transaction, like
    :func:`foreign_keys_off`; WAL again when it ends (a connection that cannot switch back
    is thrown away: the next one opened sets WAL)."""
    if conn.dialect.name != "sqlite" or expected_rows < SQLITE_ROLLBACK_JOURNAL_ROWS:
        yield
        return
    wait_ms = int(conn.exec_driver_sql("PRAGMA busy_timeout").scalar() or 0)
    conn.exec_driver_sql("PRAGMA busy_timeout=0")
    try:
        mode = conn.exec_driver_sql("PRAGMA journal_mode=DELETE").scalar()
    except OperationalError:  # another connection has the file open
        mode = "wal"
    finally:
        conn.exec_driver_sql(f"PRAGMA busy_timeout={wait_ms}")
        conn.commit()
    if str(mode).lower() != "delete":
        yield
        return
    try:
        yield
    finally:
        if conn.in_transaction():
            conn.rollback()
        try:
            mode = conn.exec_driver_sql("PRAGMA journal_mode=WAL").scalar()
            conn.commit()
        except OperationalError:
            mode = None
        if str(mode).lower() != "wal":
            conn.invalidate()
