"""Tables of the landscape (created by their migration; see schema.py).

A published leaderboard imported from a file is kept as a dated snapshot: one row in
``landscape_snapshots`` per (name, date, category), its models in ``landscape_rows``, so boards
can be compared over time. Importing the same name, date and category again replaces it."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from modelarena.store.schema import metadata

landscape_snapshots = Table(
    "landscape_snapshots",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(64), nullable=False),  # e.g. "lmarena"
    Column("snapshot_date", Date, nullable=False),  # the date the board was published
    Column("category", String(64), nullable=False),  # e.g. "full", "coding"
    Column("source_file", Text, nullable=True),
    Column("imported_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("name", "snapshot_date", "category", name="uq_landscape_snapshot"),
)

landscape_rows = Table(
    "landscape_rows",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("snapshot_id", Integer, ForeignKey("landscape_snapshots.id"), nullable=False),
    Column("model", String(256), nullable=False),  # the name as the file spells it
    Column("rating", Float, nullable=False),
    Column("rating_lower", Float, nullable=True),  # the file's 95% interval, when it has one
    Column("rating_upper", Float, nullable=True),
    Column("votes", Integer, nullable=True),
    # what the file itself says, when it has the column (checked against the catalog)
    Column("organization", String(128), nullable=True),
    Column("license", String(128), nullable=True),
    Column("open_weights", Boolean, nullable=True),
)
Index("ix_landscape_rows_snapshot", landscape_rows.c.snapshot_id)

__all__ = ["landscape_rows", "landscape_snapshots", "metadata"]
