"""Migration 0010: the design checks' table, from an older database and back."""

from __future__ import annotations

from sqlalchemy import inspect

from modelarena.store import Store
from modelarena.store.migrate import current_revision, downgrade, upgrade


def test_migration_0010_adds_and_removes_the_design_checks_table(db_url: str) -> None:
    store = Store.open(db_url)  # 0001 creates every declared table, 0010 then skips
    engine = store.engine
    assert "design_checks" in inspect(engine).get_table_names()
    downgrade(engine, "0009")
    assert current_revision(engine) == "0009"
    assert "design_checks" not in inspect(engine).get_table_names()
    upgrade(engine)  # an arena from before the checks: 0010 creates the table
    columns = {c["name"] for c in inspect(engine).get_columns("design_checks")}
    assert {"battle_id", "status", "a11y_critical", "first_paint_ms", "screenshot"} <= columns
    assert store.design_checks.all() == []
    store.close()
