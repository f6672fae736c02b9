"""Creating the database engine: SQLite by default (WAL, durable commits), PostgreSQL by URL."""

from __future__ import annotations

import importlib.util
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


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets readers run during writes; synchronous=FULL makes every acknowledged commit
    # survive a crash of the process or the machine.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def make_engine(url: str) -> Engine:
    url = normalise_url(url)
    if url.startswith("sqlite"):
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 30},
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)
