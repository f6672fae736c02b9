"""Tables of the campaigns (created by their migration 0009; see schema.py).

A campaign is a named, fixed prompt set, its models, a category and a target. Its prompts
live in ``campaign_prompts``; ``campaign_invites`` holds one row per invite link (the link
carries a signed token naming the row; revoking sets ``revoked_at``); ``campaign_battles``
links each battle served to a voter to its campaign, prompt and invite. The votes
themselves are ordinary votes in ``votes`` with the source ``campaign:<id>``, so the
pair-count cache keeps them apart from the public board's (source ``human``).
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
)

from modelarena.store.schema import metadata

campaigns = Table(
    "campaigns",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("name", String(128), nullable=False, unique=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("owner", String(128), nullable=False),
    Column("category", String(32), nullable=False),
    Column("models", Text, nullable=False),  # JSON list of model ids
    Column("target_votes", Integer, nullable=True),  # votes per model
    Column("target_width", Float, nullable=True),  # 95% interval width, rating points
    Column("confidence", Float, nullable=False, default=0.95),  # of the top-two decision
    Column("published", Boolean, nullable=False, default=False),
    Column("stopped_at", DateTime(timezone=True), nullable=True),
)

campaign_prompts = Table(
    "campaign_prompts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("campaign_id", String(32), ForeignKey("campaigns.id"), nullable=False),
    Column("position", Integer, nullable=False),
    Column("prompt", Text, nullable=False),
    Column("language", String(16), nullable=False),
    Column("external_id", String(128), nullable=True),
)
Index("ix_campaign_prompts_campaign", campaign_prompts.c.campaign_id)

campaign_invites = Table(
    "campaign_invites",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("campaign_id", String(32), ForeignKey("campaigns.id"), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("label", String(128), nullable=True),
    Column("votes_limit", Integer, nullable=True),
    Column("revoked_at", DateTime(timezone=True), nullable=True),
)
Index("ix_campaign_invites_campaign", campaign_invites.c.campaign_id)

campaign_battles = Table(
    "campaign_battles",
    metadata,
    Column("battle_id", String(32), ForeignKey("battles.id"), primary_key=True),
    Column("campaign_id", String(32), ForeignKey("campaigns.id"), nullable=False),
    Column("prompt_id", Integer, ForeignKey("campaign_prompts.id"), nullable=False),
    Column("invite_id", String(32), ForeignKey("campaign_invites.id"), nullable=True),
    Column("voter", String(128), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)
Index("ix_campaign_battles_campaign", campaign_battles.c.campaign_id)
Index("ix_campaign_battles_voter", campaign_battles.c.campaign_id, campaign_battles.c.voter)
