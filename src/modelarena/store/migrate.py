"""Schema migrations with Alembic, driven from code (no alembic.ini to find)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError

_SCRIPTS = Path(__file__).parent / "migrations"


def _config(engine: Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(_SCRIPTS))
    return cfg


def head_revision(engine: Engine) -> str | None:
    return ScriptDirectory.from_config(_config(engine)).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> None:
    cfg = _config(engine)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def downgrade(engine: Engine, revision: str) -> None:
    cfg = _config(engine)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)


def upgrade_database(url: str) -> tuple[str | None, str | None]:
    """Migrate the database at ``url`` to the latest schema: its revision before and after.
    A database that cannot be opened is a :class:`StoreError` naming it."""
    from modelarena.store.engine import StoreError, make_engine

    engine = make_engine(url)
    try:
        before = current_revision(engine)
        upgrade(engine)
        return before, current_revision(engine)
    except OperationalError as exc:
        shown = engine.url.render_as_string(hide_password=True)
        raise StoreError(f"cannot open the database {shown!r}: {exc.orig}") from exc
    finally:
        engine.dispose()
