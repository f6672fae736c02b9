"""Migration 0009 adds the campaign tables and ``battles.language`` to a database that lacks
them (0001 creates them from the metadata on a new one); a downgrade removes the tables and
keeps the column (the store writes it with every battle)."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from modelarena.store import Store, migrate

TABLES = {"campaigns", "campaign_prompts", "campaign_invites", "campaign_battles"}


def _state(store: Store) -> tuple[set[str], set[str]]:
    inspector = sa.inspect(store.engine)
    tables = set(inspector.get_table_names())
    return tables, {c["name"] for c in inspector.get_columns("battles")}


def test_migration_0009_creates_and_drops(tmp_path: Path) -> None:
    store = Store.open(f"sqlite:///{tmp_path / 'm.db'}")
    tables, columns = _state(store)
    assert tables >= TABLES and "language" in columns
    migrate.downgrade(store.engine, "0008")
    tables, columns = _state(store)
    assert not TABLES & tables and "language" in columns
    store.create_battle(category="chat", model_a="m1", model_b="m2", prompt="Still works")
    with store.engine.begin() as conn:  # a database from before 0009: no column
        conn.execute(sa.text("ALTER TABLE battles DROP COLUMN language"))
    migrate.upgrade(store.engine, "0009")
    tables, columns = _state(store)
    assert tables >= TABLES and "language" in columns
    store.close()
