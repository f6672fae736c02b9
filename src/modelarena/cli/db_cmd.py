"""``arena db``: schema migrations and rebuilding derived tables."""

from __future__ import annotations

import typer

from modelarena.cli.common import (
    ConfigOption,
    DatabaseOption,
    console,
    load_settings_with_db,
    user_errors,
)

db_app = typer.Typer(help="Database schema and maintenance.", no_args_is_help=True)


def _url(config: str | None, db: str | None) -> str:
    url: str = load_settings_with_db(config, db).database_url
    return url


@db_app.command("upgrade")
def upgrade(config: ConfigOption = None, db: DatabaseOption = None) -> None:
    """Create or migrate the database schema to the latest version."""
    with user_errors():
        from modelarena.store.migrate import upgrade_database

        before, after = upgrade_database(_url(config, db))
        if before == after:
            console.print(f"database is up to date (revision {after})")
        else:
            console.print(f"database upgraded: {before or 'empty'} -> {after}")


@db_app.command("rebuild")
def rebuild(config: ConfigOption = None, db: DatabaseOption = None) -> None:
    """Recompute the pair-count cache from the vote log."""
    with user_errors():
        from modelarena.store import Store

        store = Store.open(_url(config, db))
        total = store.rebuild_pair_counts()
        console.print(f"pair counts rebuilt from {total} counted votes")


def register(app: typer.Typer) -> None:
    app.add_typer(db_app, name="db")
