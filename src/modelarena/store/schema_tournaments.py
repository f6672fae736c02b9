"""Tables of the tournaments (created by their migration 0008; see schema.py).

A tournament is one voter's four-model session on one prompt: ``tournaments`` holds its
four models in their drawn slot order, its state and, once the last match is decided, the
ranking. Each of its four matches (two in round 1, then the winners' and the losers'
match) is an ordinary battle between two of the four answers; ``tournament_matches`` links
the battles to their tournament, keeps the voter's choice until the votes are cast (all at
once, when the ranking is complete, so no match is revealed while another is still to be
voted) and which side the bracket advanced (a hidden coin after a tie)."""

from __future__ import annotations

from sqlalchemy import (
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from modelarena.store.schema import metadata

tournaments = Table(
    "tournaments",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("owner", String(64), nullable=False),  # the web session that started it
    Column("category", String(32), nullable=False),
    # the source its votes are cast as: "human" (the public arena) or e.g. "campaign:<id>"
    Column("vote_source", String(128), nullable=False, default="human"),
    Column("models", Text, nullable=False),  # JSON list of the four model ids, slot order
    # generating -> voting -> done | failed
    Column("status", String(16), nullable=False),
    Column("ranking", Text, nullable=True),  # JSON list of places per slot, once done
    Column("finished_at", DateTime(timezone=True), nullable=True),
)
Index("ix_tournaments_owner", tournaments.c.owner)

tournament_matches = Table(
    "tournament_matches",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("tournament_id", String(32), ForeignKey("tournaments.id"), nullable=False),
    Column("position", Integer, nullable=False),  # 0..3, the order the voter sees them
    Column("stage", String(16), nullable=False),  # round1 | winners | losers
    Column("slot_a", Integer, nullable=False),
    Column("slot_b", Integer, nullable=False),
    Column("battle_id", String(32), ForeignKey("battles.id"), nullable=False),
    Column("verdict", String(8), nullable=True),  # the voter's choice, a | b | tie | both_bad
    Column("advances", String(1), nullable=True),  # a | b: placed higher (coin after a tie)
    Column("chosen_at", DateTime(timezone=True), nullable=True),
    UniqueConstraint("tournament_id", "position", name="uq_tournament_matches_position"),
)
Index("ix_tournament_matches_battle", tournament_matches.c.battle_id)
