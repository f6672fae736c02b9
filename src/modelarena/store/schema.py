"""Database tables. Alembic migrations in ``migrations/versions`` create exactly these.

Votes are append-only: a vote that does not count keeps its row with ``counted = false`` and
a ``reason`` code. ``pair_counts`` is a cache derivable from ``votes`` (``arena db rebuild``),
kept current in the same transaction as each vote so a leaderboard refresh never rescans votes.
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
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()

battles = Table(
    "battles",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("category", String(32), nullable=False),
    Column("model_a", String(128), nullable=False),
    Column("model_b", String(128), nullable=False),
    Column("pair_probability", Float, nullable=True),
    # pending -> complete | failed; "complete" means every turn has both answers
    Column("status", String(16), nullable=False),
    Column("failure_reason", String(64), nullable=True),
    Column("failure_message", Text, nullable=True),
    Column("anonymous", Boolean, nullable=False, default=True),
    Column("revealed_at", DateTime(timezone=True), nullable=True),
    # set when an answer says which model or lab wrote it: votes are kept, not counted
    Column("identity_leak", String(128), nullable=True),
    Column("session_id", String(64), nullable=True),
    Column("source", String(64), nullable=False),  # arena | import | judge
    Column("external_id", String(128), nullable=True),  # id in an imported log
    Column("prompt_hash", String(64), nullable=True),
    # when the turn being generated (status pending) began: a turn pending for longer than
    # its models' time limit was lost (a crashed process) and is marked failed
    Column("turn_started_at", DateTime(timezone=True), nullable=True),
    # the first prompt's language (ISO 639-1, "und" when unknown): a board can be cut by it
    Column("language", String(16), nullable=True),
)
Index("ix_battles_created_at", battles.c.created_at)
# only battles with a prompt are looked up by it (an imported log without text has none:
# its battles stay out of this index, migration 0011)
Index(
    "ix_battles_prompt_hash",
    battles.c.prompt_hash,
    sqlite_where=battles.c.prompt_hash.is_not(None),
    postgresql_where=battles.c.prompt_hash.is_not(None),
)
# An imported battle is stored once per (source, external id): its id is derived from the
# pair (store/bulk.py: import_battle_id), so the primary key keeps the rule and importing a
# log twice adds nothing. No index on the pair (migration 0011): it cost a fifth of a large
# import and nothing looks battles up by it.

answers = Table(
    "answers",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("battle_id", String(32), ForeignKey("battles.id"), nullable=False),
    Column("turn", Integer, nullable=False),
    Column("side", String(1), nullable=False),  # "a" | "b"
    Column("prompt", Text, nullable=False),
    Column("content", Text, nullable=False, default=""),
    Column("reasoning", Text, nullable=False, default=""),
    Column("error", String(64), nullable=True),
    Column("prompt_tokens", Integer, nullable=True),
    Column("completion_tokens", Integer, nullable=True),
    Column("reasoning_tokens", Integer, nullable=True),
    Column("time_to_first_token_s", Float, nullable=True),
    Column("total_time_s", Float, nullable=True),
    Column("finish_reason", String(32), nullable=True),
    # style features, computed when the answer is stored (see battles/style.py)
    Column("style_tokens", Integer, nullable=True),
    Column("style_headers", Integer, nullable=True),
    Column("style_lists", Integer, nullable=True),
    Column("style_bold", Integer, nullable=True),
    UniqueConstraint("battle_id", "turn", "side", name="uq_answers_turn_side"),
)

votes = Table(
    "votes",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("battle_id", String(32), ForeignKey("battles.id"), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("voter", String(128), nullable=True),
    Column("ip_hash", String(64), nullable=True),
    Column("source", String(128), nullable=False),  # "human" | "judge:<model>"
    Column("verdict", String(8), nullable=False),  # a | b | tie | both_bad
    Column("counted", Boolean, nullable=False),
    Column("reason", String(64), nullable=True),  # why it does not count
    # denormalised from the battle so ratings read one table
    Column("model_a", String(128), nullable=False),
    Column("model_b", String(128), nullable=False),
    Column("category", String(32), nullable=False),
    Column("pair_probability", Float, nullable=True),
    # style features of the last turn's answers: tokens, headers, lists, bold per side
    Column("a_tokens", Integer, nullable=True),
    Column("b_tokens", Integer, nullable=True),
    Column("a_headers", Integer, nullable=True),
    Column("b_headers", Integer, nullable=True),
    Column("a_lists", Integer, nullable=True),
    Column("b_lists", Integer, nullable=True),
    Column("a_bold", Integer, nullable=True),
    Column("b_bold", Integer, nullable=True),
    Column("detail", Text, nullable=True),  # judge reasoning, import provenance
)
# one vote per battle and source (an index, not a constraint, so a bulk import can set it
# aside and build it once: migration 0007)
Index("uq_votes_battle_source", votes.c.battle_id, votes.c.source, unique=True)
Index("ix_votes_counted_source", votes.c.counted, votes.c.source)
Index("ix_votes_voter", votes.c.voter)

pair_counts = Table(
    "pair_counts",
    metadata,
    Column("source", String(128), primary_key=True),
    Column("category", String(32), primary_key=True),
    Column("model_a", String(128), primary_key=True),
    Column("model_b", String(128), primary_key=True),
    Column("wins_a", Integer, nullable=False, default=0),
    Column("wins_b", Integer, nullable=False, default=0),
    Column("ties", Integer, nullable=False, default=0),
    Column("both_bad", Integer, nullable=False, default=0),
)

# each source label an import wrote battles under: an import of a label not here needs no
# lookup of its rows (nothing of it is stored yet)
import_sources = Table(
    "import_sources",
    metadata,
    Column("source", String(64), primary_key=True),
    Column("battles", Integer, nullable=False),  # battles imports added under it
    Column("imported_at", DateTime(timezone=True), nullable=False),  # the last one
)

voters = Table(
    "voters",
    metadata,
    Column("id", String(128), primary_key=True),
    Column("banned", Boolean, nullable=False, default=False),
    Column("flag_reason", String(64), nullable=True),
    Column("flag_detail", Text, nullable=True),
    Column("updated_at", DateTime(timezone=True), nullable=True),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("actor", String(128), nullable=False),
    Column("action", String(64), nullable=False),
    Column("target", String(128), nullable=True),
    Column("detail", Text, nullable=True),
)

# The tables of the parts built on the arena live in their own modules on this
# ``metadata`` (schema_audits.py, schema_landscape.py); the store's facades import them.
