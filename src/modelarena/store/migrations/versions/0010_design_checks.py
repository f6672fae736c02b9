"""Tables of the design_checks: browser checks of design answers.

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    existing = set(sa.inspect(op.get_bind()).get_table_names())
    if "design_checks" in existing:  # 0001 creates the tables as schema.py declares them
        return
    op.create_table(
        "design_checks",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("battle_id", sa.String(32), sa.ForeignKey("battles.id"), nullable=False),
        sa.Column("turn", sa.Integer, nullable=False),
        sa.Column("side", sa.String(1), nullable=False),
        sa.Column("model", sa.String(128), nullable=False),
        sa.Column("category", sa.String(32), nullable=False),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("js_errors", sa.Integer, nullable=False),
        sa.Column("console_errors", sa.Integer, nullable=False),
        sa.Column("network_attempts", sa.Integer, nullable=False),
        sa.Column("overflow", sa.Boolean, nullable=True),
        sa.Column("scroll_width", sa.Integer, nullable=True),
        sa.Column("a11y_critical", sa.Integer, nullable=True),
        sa.Column("a11y_serious", sa.Integer, nullable=True),
        sa.Column("a11y_moderate", sa.Integer, nullable=True),
        sa.Column("a11y_minor", sa.Integer, nullable=True),
        sa.Column("first_paint_ms", sa.Float, nullable=True),
        sa.Column("render_s", sa.Float, nullable=False),
        sa.Column("browser", sa.String(64), nullable=False),
        sa.Column("detail", sa.Text, nullable=False),
        sa.Column("screenshot", sa.LargeBinary, nullable=True),
        sa.UniqueConstraint("battle_id", "turn", "side", name="uq_design_checks_answer"),
    )
    op.create_index("ix_design_checks_model", "design_checks", ["model"])


def downgrade() -> None:
    op.drop_index("ix_design_checks_model", table_name="design_checks")
    op.drop_table("design_checks")
