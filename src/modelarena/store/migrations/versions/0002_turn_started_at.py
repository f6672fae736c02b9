"""battles.turn_started_at: when the pending turn began, so a turn lost in a crash is found.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    columns = {c["name"] for c in sa.inspect(op.get_bind()).get_columns("battles")}
    if "turn_started_at" not in columns:  # 0001 creates the tables as schema.py declares
        op.add_column(
            "battles", sa.Column("turn_started_at", sa.DateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("battles") as batch:
        batch.drop_column("turn_started_at")
