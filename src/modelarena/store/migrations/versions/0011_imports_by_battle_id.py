"""Imports keyed by battle id: no index on (source, external id), a table of import sources,
and the prompt index only over battles that have a prompt.

An imported battle's id is derived from its source and external id (store/bulk.py:
``import_battle_id``), so the primary key already stores each pair once and a second
import finds a row by its id. Battles imported before revision 0004 kept random ids; they
get their derived id here (a copy under the new id, their answers, votes, checks and
matches moved to it, the old row deleted: no foreign key is ever left dangling). The
unique index on the pair kept the same rule a second time and cost a fifth of a
million-vote import; it goes. Whether a source has imports at all (an import of a new one
looks nothing up) is read from ``import_sources``, filled here from the battles already
imported. ``ix_battles_prompt_hash`` becomes partial (prompt hash not NULL): the battles
of a log without text are not in it, and every lookup is by a hash, which is never NULL.

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

# the derivation as the importer uses it: a change to it needs a migration like this one
from modelarena.store.bulk import import_battle_id

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

PAIR_INDEX = "uq_battles_source_external_id"
PROMPT_INDEX = "ix_battles_prompt_hash"

_battles = sa.table(
    "battles",
    sa.column("source", sa.String),
    sa.column("external_id", sa.String),
)


def upgrade() -> None:
    bind = op.get_bind()
    inspector = sa.inspect(bind)
    # each step only if needed: 0001 makes the schema as declared, which 0004 then changes
    if "import_sources" not in inspector.get_table_names():
        _add_import_sources(bind)
    if PAIR_INDEX in {i["name"] for i in inspector.get_indexes("battles")}:
        op.drop_index(PAIR_INDEX, table_name="battles")
    _derive_imported_ids(bind, [c["name"] for c in inspector.get_columns("battles")])
    op.drop_index(PROMPT_INDEX, table_name="battles")
    op.create_index(
        PROMPT_INDEX,
        "battles",
        ["prompt_hash"],
        sqlite_where=sa.text("prompt_hash IS NOT NULL"),
        postgresql_where=sa.text("prompt_hash IS NOT NULL"),
    )


def _add_import_sources(bind: sa.Connection) -> None:
    table = op.create_table(
        "import_sources",
        sa.Column("source", sa.String(64), primary_key=True),
        sa.Column("battles", sa.Integer, nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
    )
    found = bind.execute(
        sa.select(_battles.c.source, sa.func.count())
        .where(_battles.c.external_id.is_not(None))
        .group_by(_battles.c.source)
    ).all()
    stamp = datetime.now(UTC)  # when those imports ran is not stored: the time they are listed
    if found:
        op.bulk_insert(table, [{"source": s, "battles": n, "imported_at": stamp} for s, n in found])


CHILDREN = ("answers", "votes", "design_checks", "tournament_matches", "campaign_battles")
REKEY_BATCH = 5000


def _derive_imported_ids(bind: sa.Connection, columns: list[str]) -> None:
    """Give each imported battle whose id is not derived from its source and external id
    (one imported before 0004) its derived id."""
    moves = [
        {"old_id": bid, "new_id": derived}
        for bid, source, external in bind.execute(
            sa.text("SELECT id, source, external_id FROM battles WHERE external_id IS NOT NULL")
        )
        if bid != (derived := import_battle_id(source, external))
    ]
    if not moves:
        return
    rekey = op.create_table(
        "rekey_0011",
        sa.Column("old_id", sa.String(32), primary_key=True),
        sa.Column("new_id", sa.String(32), nullable=False),
    )
    for start in range(0, len(moves), REKEY_BATCH):
        bind.execute(sa.insert(rekey), moves[start : start + REKEY_BATCH])
    rest = ", ".join(f"b.{c}" for c in columns if c != "id")
    names = ", ".join(c for c in columns if c != "id")
    bind.execute(
        sa.text(
            f"INSERT INTO battles (id, {names}) SELECT m.new_id, {rest} "
            "FROM battles b JOIN rekey_0011 m ON b.id = m.old_id"
        )
    )
    for table in CHILDREN:
        bind.execute(
            sa.text(
                f"UPDATE {table} SET battle_id = (SELECT m.new_id FROM rekey_0011 m "
                f"WHERE m.old_id = {table}.battle_id) "
                "WHERE battle_id IN (SELECT old_id FROM rekey_0011)"
            )
        )
    bind.execute(sa.text("DELETE FROM battles WHERE id IN (SELECT old_id FROM rekey_0011)"))
    op.drop_table("rekey_0011")


def downgrade() -> None:
    op.drop_index(PROMPT_INDEX, table_name="battles")
    op.create_index(PROMPT_INDEX, "battles", ["prompt_hash"])
    op.create_index(PAIR_INDEX, "battles", ["source", "external_id"], unique=True)
    op.drop_table("import_sources")
