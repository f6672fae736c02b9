"""Prompt hashes by the normalised prompt (battles/textfold.py: prompt_key).

The per-prompt cap now folds punctuation, symbols, invisible characters, width and
look-alike letters as well as case and spacing, so stored battles are re-keyed from the
prompt text their answers keep (turn 0). A battle with no stored prompt text (an import
without conversation text) keeps its old hash: nothing is deleted, and its votes stay as
they were; it only no longer shares a cap with new battles of the same prompt.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import sqlalchemy as sa
from alembic import op

from modelarena.battles.textfold import prompt_key

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_BATCH = 5000


def _legacy_key(prompt: str) -> str:  # revision 0001's rows.prompt_hash
    folded = " ".join(prompt.lower().split())
    return hashlib.sha256(folded.encode()).hexdigest()[:32]


def _rekey(key: Callable[[str], str]) -> None:
    """Re-key, a page of battles at a time (keyset on the id, so memory stays flat)."""
    bind = op.get_bind()
    page = sa.text(
        "SELECT b.id, b.prompt_hash, MIN(a.prompt) AS prompt FROM battles b "
        "JOIN answers a ON a.battle_id = b.id AND a.turn = 0 "
        "WHERE b.prompt_hash IS NOT NULL AND b.id > :after "
        "GROUP BY b.id, b.prompt_hash ORDER BY b.id LIMIT :n"
    )
    update = sa.text("UPDATE battles SET prompt_hash = :key WHERE id = :bid")
    after = ""
    while rows := bind.execute(page, {"after": after, "n": _BATCH}).all():
        changed = [
            {"bid": row.id, "key": new}
            for row in rows
            if (new := key(row.prompt)) != row.prompt_hash
        ]
        if changed:
            bind.execute(update, changed)
        after = rows[-1].id


def upgrade() -> None:
    _rekey(prompt_key)


def downgrade() -> None:
    _rekey(_legacy_key)
