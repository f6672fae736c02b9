"""Tables of the audits: audit runs with their recorded settings, transcripts with their
verdicts, metrics with intervals, and paired comparisons between models.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    existing = set(sa.inspect(op.get_bind()).get_table_names())
    if "audit_runs" in existing:  # 0001 creates the tables as schema.py declares them
        return
    op.create_table(
        "audit_runs",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("suites", sa.String(256), nullable=False),
        sa.Column("models", sa.Text, nullable=False),
        sa.Column("judges", sa.String(512), nullable=False),
        sa.Column("settings", sa.Text, nullable=False),
    )
    op.create_index("ix_audit_runs_created_at", "audit_runs", ["created_at"])
    op.create_table(
        "audit_items",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("run_id", sa.String(32), sa.ForeignKey("audit_runs.id"), nullable=False),
        sa.Column("model", sa.String(128), nullable=False),
        sa.Column("suite", sa.String(64), nullable=False),
        sa.Column("probe_id", sa.String(256), nullable=False),
        sa.Column("sample", sa.Integer, nullable=False),
        sa.Column("language", sa.String(16), nullable=False),
        sa.Column("arm", sa.String(128), nullable=False),
        sa.Column("split", sa.String(16), nullable=False),
        sa.Column("prompt", sa.Text, nullable=False),
        sa.Column("answer", sa.Text, nullable=False),
        sa.Column("reasoning", sa.Text, nullable=False),
        sa.Column("tool_calls", sa.Text, nullable=False),
        sa.Column("tools_supported", sa.Boolean, nullable=True),
        sa.Column("error", sa.Text, nullable=True),
        sa.Column("label", sa.String(64), nullable=False),
        sa.Column("score", sa.Float, nullable=True),
        sa.Column("judge", sa.String(512), nullable=False),
        sa.Column("agreement", sa.Float, nullable=True),
        sa.Column("detail", sa.Text, nullable=False),
    )
    op.create_index("ix_audit_items_run", "audit_items", ["run_id", "model", "suite"])
    op.create_table(
        "audit_metrics",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("run_id", sa.String(32), sa.ForeignKey("audit_runs.id"), nullable=False),
        sa.Column("model", sa.String(128), nullable=False),
        sa.Column("suite", sa.String(64), nullable=False),
        sa.Column("metric", sa.String(64), nullable=False),
        sa.Column("language", sa.String(16), nullable=False),
        sa.Column("arm", sa.String(128), nullable=False),
        sa.Column("n", sa.Integer, nullable=False),
        sa.Column("value", sa.Float, nullable=True),
        sa.Column("ci_lower", sa.Float, nullable=True),
        sa.Column("ci_upper", sa.Float, nullable=True),
        sa.Column("method", sa.String(64), nullable=False),
    )
    op.create_index("ix_audit_metrics_run", "audit_metrics", ["run_id"])
    op.create_index("ix_audit_metrics_model", "audit_metrics", ["model", "suite"])
    op.create_table(
        "audit_comparisons",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("run_id", sa.String(32), sa.ForeignKey("audit_runs.id"), nullable=False),
        sa.Column("suite", sa.String(64), nullable=False),
        sa.Column("metric", sa.String(64), nullable=False),
        sa.Column("model_a", sa.String(128), nullable=False),
        sa.Column("model_b", sa.String(128), nullable=False),
        sa.Column("detail", sa.Text, nullable=False),
    )
    op.create_index("ix_audit_comparisons_run", "audit_comparisons", ["run_id"])


def downgrade() -> None:
    for index, table in (
        ("ix_audit_comparisons_run", "audit_comparisons"),
        ("ix_audit_metrics_model", "audit_metrics"),
        ("ix_audit_metrics_run", "audit_metrics"),
        ("ix_audit_items_run", "audit_items"),
        ("ix_audit_runs_created_at", "audit_runs"),
    ):
        op.drop_index(index, table_name=table)
    for table in ("audit_comparisons", "audit_metrics", "audit_items", "audit_runs"):
        op.drop_table(table)
