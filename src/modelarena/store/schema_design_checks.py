"""Tables of the design checks (created by their migration 0010; see schema.py).

One row in ``design_checks`` per design answer rendered in headless Chromium
(``arena designs check``): what it measured (JavaScript and console errors, network
attempts, overflow at 390 px, accessibility violations by impact, first contentful paint),
the outcome (``ok``, ``timeout``, ``crashed``, ``navigated``, ``error``) and the screenshot,
a PNG kept in the database (so every web worker and every host sees it, with no data
directory to share). Checking an answer again replaces its row."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from modelarena.store.schema import metadata

design_checks = Table(
    "design_checks",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("battle_id", String(32), ForeignKey("battles.id"), nullable=False),
    Column("turn", Integer, nullable=False),
    Column("side", String(1), nullable=False),
    Column("model", String(128), nullable=False),
    Column("category", String(32), nullable=False),
    Column("checked_at", DateTime(timezone=True), nullable=False),
    Column("status", String(16), nullable=False),  # ok | timeout | crashed | navigated | error
    Column("js_errors", Integer, nullable=False),
    Column("console_errors", Integer, nullable=False),
    Column("network_attempts", Integer, nullable=False),
    Column("overflow", Boolean, nullable=True),
    Column("scroll_width", Integer, nullable=True),
    Column("a11y_critical", Integer, nullable=True),
    Column("a11y_serious", Integer, nullable=True),
    Column("a11y_moderate", Integer, nullable=True),
    Column("a11y_minor", Integer, nullable=True),
    Column("first_paint_ms", Float, nullable=True),
    Column("render_s", Float, nullable=False),
    Column("browser", String(64), nullable=False),
    Column("detail", Text, nullable=False),  # JSON: first messages per kind, axe rules
    Column("screenshot", LargeBinary, nullable=True),  # PNG of the 390 px viewport
    UniqueConstraint("battle_id", "turn", "side", name="uq_design_checks_answer"),
)
Index("ix_design_checks_model", design_checks.c.model)
