"""Migration 0008 creates the tournament tables on a database that lacks them (0001 creates
them from the metadata on a new one) and drops them on downgrade."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from modelarena.store import Store, migrate


def _tables(store: Store) -> set[str]:
    return set(sa.inspect(store.engine).get_table_names())


def test_migration_0008_creates_and_drops_the_tables(tmp_path: Path) -> None:
    store = Store.open(f"sqlite:///{tmp_path / 'm.db'}")
    assert {"tournaments", "tournament_matches"} <= _tables(store)
    migrate.downgrade(store.engine, "0007")
    assert not {"tournaments", "tournament_matches"} & _tables(store)
    migrate.upgrade(store.engine, "0008")
    assert {"tournaments", "tournament_matches"} <= _tables(store)
    columns = {c["name"] for c in sa.inspect(store.engine).get_columns("tournaments")}
    assert "vote_source" in columns
    indexes = {i["name"] for i in sa.inspect(store.engine).get_indexes("tournament_matches")}
    assert "ix_tournament_matches_battle" in indexes
    migrate.upgrade(store.engine)  # the rest of the way, and again: no-ops
    migrate.upgrade(store.engine)
    assert migrate.current_revision(store.engine) == migrate.head_revision(store.engine)
    store.close()


def test_migration_0008_adds_the_vote_source_to_earlier_tables(tmp_path: Path) -> None:
    store = Store.open(f"sqlite:///{tmp_path / 'early.db'}")
    with store.engine.begin() as conn:  # the tables as the first version of 0008 made them
        conn.execute(sa.text("ALTER TABLE tournaments DROP COLUMN vote_source"))
    migrate.downgrade(store.engine, "0007")
    with store.engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE tournaments (id VARCHAR(32) PRIMARY KEY)"))
    migrate.upgrade(store.engine, "0008")
    columns = {c["name"] for c in sa.inspect(store.engine).get_columns("tournaments")}
    assert "vote_source" in columns
    store.close()
