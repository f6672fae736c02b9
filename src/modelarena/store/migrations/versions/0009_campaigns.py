"""Tables of the campaigns: campaigns, their prompts, invites and battles; and the
language of each battle (``battles.language``).

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    inspector = sa.inspect(op.get_bind())
    existing = set(inspector.get_table_names())
    if "language" not in {c["name"] for c in inspector.get_columns("battles")}:
        op.add_column("battles", sa.Column("language", sa.String(16), nullable=True))
    if "campaigns" in existing:  # 0001 creates the tables as schema.py's metadata holds them
        return
    op.create_table(
        "campaigns",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("name", sa.String(128), nullable=False, unique=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("owner", sa.String(128), nullable=False),
        sa.Column("category", sa.String(32), nullable=False),
        sa.Column("models", sa.Text, nullable=False),
        sa.Column("target_votes", sa.Integer, nullable=True),
        sa.Column("target_width", sa.Float, nullable=True),
        sa.Column("confidence", sa.Float, nullable=False, server_default="0.95"),
        sa.Column("published", sa.Boolean, nullable=False, default=False),
        sa.Column("stopped_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_table(
        "campaign_prompts",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("campaign_id", sa.String(32), sa.ForeignKey("campaigns.id"), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("prompt", sa.Text, nullable=False),
        sa.Column("language", sa.String(16), nullable=False),
        sa.Column("external_id", sa.String(128), nullable=True),
    )
    op.create_index("ix_campaign_prompts_campaign", "campaign_prompts", ["campaign_id"])
    op.create_table(
        "campaign_invites",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("campaign_id", sa.String(32), sa.ForeignKey("campaigns.id"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("label", sa.String(128), nullable=True),
        sa.Column("votes_limit", sa.Integer, nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_campaign_invites_campaign", "campaign_invites", ["campaign_id"])
    op.create_table(
        "campaign_battles",
        sa.Column("battle_id", sa.String(32), sa.ForeignKey("battles.id"), primary_key=True),
        sa.Column("campaign_id", sa.String(32), sa.ForeignKey("campaigns.id"), nullable=False),
        sa.Column("prompt_id", sa.Integer, sa.ForeignKey("campaign_prompts.id"), nullable=False),
        sa.Column("invite_id", sa.String(32), sa.ForeignKey("campaign_invites.id"), nullable=True),
        sa.Column("voter", sa.String(128), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_campaign_battles_campaign", "campaign_battles", ["campaign_id"])
    op.create_index("ix_campaign_battles_voter", "campaign_battles", ["campaign_id", "voter"])


def downgrade() -> None:
    for index, table in (
        ("ix_campaign_battles_voter", "campaign_battles"),
        ("ix_campaign_battles_campaign", "campaign_battles"),
        ("ix_campaign_invites_campaign", "campaign_invites"),
        ("ix_campaign_prompts_campaign", "campaign_prompts"),
    ):
        op.drop_index(index, table_name=table)
    for table in ("campaign_battles", "campaign_invites", "campaign_prompts", "campaigns"):
        op.drop_table(table)
    # battles.language stays: 0001 creates battles with it (from the metadata), and the store
    # writes it with every battle, so a database taken back to an older revision still works
    # with this code
