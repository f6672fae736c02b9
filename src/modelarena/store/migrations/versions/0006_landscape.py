"""Tables of the landscape: published leaderboard snapshots (landscape_snapshots,
landscape_rows).

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    existing = set(sa.inspect(op.get_bind()).get_table_names())
    if "landscape_snapshots" in existing:  # 0001 creates the tables as schema.py declares them
        return
    op.create_table(
        "landscape_snapshots",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("snapshot_date", sa.Date, nullable=False),
        sa.Column("category", sa.String(64), nullable=False),
        sa.Column("source_file", sa.Text, nullable=True),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("name", "snapshot_date", "category", name="uq_landscape_snapshot"),
    )
    op.create_table(
        "landscape_rows",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "snapshot_id", sa.Integer, sa.ForeignKey("landscape_snapshots.id"), nullable=False
        ),
        sa.Column("model", sa.String(256), nullable=False),
        sa.Column("rating", sa.Float, nullable=False),
        sa.Column("rating_lower", sa.Float, nullable=True),
        sa.Column("rating_upper", sa.Float, nullable=True),
        sa.Column("votes", sa.Integer, nullable=True),
        sa.Column("organization", sa.String(128), nullable=True),
        sa.Column("license", sa.String(128), nullable=True),
        sa.Column("open_weights", sa.Boolean, nullable=True),
    )
    op.create_index("ix_landscape_rows_snapshot", "landscape_rows", ["snapshot_id"])


def downgrade() -> None:
    op.drop_index("ix_landscape_rows_snapshot", table_name="landscape_rows")
    op.drop_table("landscape_rows")
    op.drop_table("landscape_snapshots")
