"""votes: one vote per (battle, source) kept by a unique index instead of a table constraint.

The rule is the same; what changes is that an index can be set aside. A large import into
a nearly empty SQLite database drops the secondary indexes and builds them again once at
the end (store/bulk.py), and SQLite cannot drop the index behind a table constraint: kept,
it took a fifth of a million-vote import, updated one random row at a time.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

NAME = "uq_votes_battle_source"


def upgrade() -> None:
    inspector = sa.inspect(op.get_bind())
    constraints = {c["name"] for c in inspector.get_unique_constraints("votes")}
    if NAME not in constraints:  # 0001 creates the tables as schema.py declares them
        return
    with op.batch_alter_table("votes") as batch:
        batch.drop_constraint(NAME, type_="unique")
    op.create_index(NAME, "votes", ["battle_id", "source"], unique=True)


def downgrade() -> None:
    op.drop_index(NAME, table_name="votes")
    with op.batch_alter_table("votes") as batch:
        batch.create_unique_constraint(NAME, ["battle_id", "source"])
