"""Tables of the tournaments: four-model tournament sessions.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    inspector = sa.inspect(op.get_bind())
    if "tournaments" in set(inspector.get_table_names()):
        # 0001 creates the tables as schema.py's metadata holds them; a database made in
        # between (before the column existed) gets the vote source
        if "vote_source" not in {c["name"] for c in inspector.get_columns("tournaments")}:
            op.add_column(
                "tournaments",
                sa.Column("vote_source", sa.String(128), nullable=False, server_default="human"),
            )
        return
    op.create_table(
        "tournaments",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("owner", sa.String(64), nullable=False),
        sa.Column("category", sa.String(32), nullable=False),
        sa.Column("vote_source", sa.String(128), nullable=False, server_default="human"),
        sa.Column("models", sa.Text, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("ranking", sa.Text, nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_tournaments_owner", "tournaments", ["owner"])
    op.create_table(
        "tournament_matches",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("tournament_id", sa.String(32), sa.ForeignKey("tournaments.id"), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("stage", sa.String(16), nullable=False),
        sa.Column("slot_a", sa.Integer, nullable=False),
        sa.Column("slot_b", sa.Integer, nullable=False),
        sa.Column("battle_id", sa.String(32), sa.ForeignKey("battles.id"), nullable=False),
        sa.Column("verdict", sa.String(8), nullable=True),
        sa.Column("advances", sa.String(1), nullable=True),
        sa.Column("chosen_at", sa.DateTime(timezone=True), nullable=True),
        sa.UniqueConstraint("tournament_id", "position", name="uq_tournament_matches_position"),
    )
    op.create_index("ix_tournament_matches_battle", "tournament_matches", ["battle_id"])


def downgrade() -> None:
    op.drop_index("ix_tournament_matches_battle", table_name="tournament_matches")
    op.drop_table("tournament_matches")
    op.drop_index("ix_tournaments_owner", table_name="tournaments")
    op.drop_table("tournaments")
