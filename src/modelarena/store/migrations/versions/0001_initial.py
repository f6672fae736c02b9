"""Initial schema: battles, answers, votes, pair_counts, voters, audit_log.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

from alembic import op

from modelarena.store.schema import metadata

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The first revision creates the tables as schema.py declares them; later revisions
    # must spell out their changes with op.* so that old databases follow.
    metadata.create_all(op.get_bind())


def downgrade() -> None:
    metadata.drop_all(op.get_bind())
