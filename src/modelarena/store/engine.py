"""Creating the database engine: SQLite by default (WAL, durable commits), PostgreSQL by URL."""

from __future__ import annotations

import importlib.util
import time
from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError


class StoreError(Exception):
    """The database cannot be used; the message says why and what to do."""


def normalise_url(url: str) -> str:
    """Pick the installed PostgreSQL driver so users can write plain ``postgresql://``."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise StoreError(f"not a database URL: {url!r}") from exc
    if parsed.get_backend_name() not in ("sqlite", "postgresql", "postgres"):
        raise StoreError(
            f"unsupported database {parsed.get_backend_name()!r}: use sqlite:///FILE or "
            "postgresql://USER@HOST/DB"
        )
    if parsed.drivername in ("postgresql", "postgres"):
        if importlib.util.find_spec("psycopg") is not None:
            parsed = parsed.set(drivername="postgresql+psycopg")
        elif importlib.util.find_spec("psycopg2") is None:
            raise StoreError("PostgreSQL needs a driver: pip install 'modelarena[postgres]'")
    return parsed.render_as_string(hide_password=False)


def sqlite_file(url: str) -> str | None:
    """The file a SQLite URL keeps its database in; None for other databases, in-memory
    SQLite, or a URL that does not parse."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        return None
    name = parsed.database if parsed.drivername.startswith("sqlite") else None
    if not name or name == ":memory:" or name.startswith("file::memory"):
        return None
    return name


SQLITE_BUSY_S = 30  # how long a connection waits for another one's lock


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets readers run during writes; synchronous=FULL makes every acknowledged commit
    # survive a crash of the process or the machine.
    _wal(cursor)
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_S * 1000}")
    cursor.close()


def _wal(cursor: Any) -> None:
    """WAL mode, waiting like any statement for a large import that has the file in
    rollback-journal mode (store/bulk_sql.py): until that import holds the file alone,
    SQLite refuses the switch at once instead of calling the busy handler."""
    import sqlite3

    deadline = time.monotonic() + SQLITE_BUSY_S
    while True:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def make_engine(url: str) -> Engine:
    url = normalise_url(url)
    if url.startswith("sqlite"):
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_S},
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)
