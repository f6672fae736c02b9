"""Imported battles once per (source, external id): a unique index, after mending the
duplicates that importing a log twice left behind.

Before this revision every import added its rows again. For each external id imported more
than once, the battle with the earliest vote is kept. Each later copy of a vote (same vote
source) stays stored but stops counting, with reason ``duplicate_import``; a vote of another
source (a judge vote next to a human vote, from our own exports) moves to the kept battle;
the copies get the source ``<source>:duplicate:<n>`` (n = 1, 2, ...) so the index holds.
The pair-count cache is then rebuilt from the votes, and the mend written to the audit log.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

INDEX = "uq_battles_source_external_id"
REASON = "duplicate_import"

_battles = sa.table(
    "battles",
    sa.column("id", sa.String),
    sa.column("source", sa.String),
    sa.column("external_id", sa.String),
    sa.column("model_a", sa.String),
    sa.column("model_b", sa.String),
)
_votes = sa.table(
    "votes",
    sa.column("id", sa.Integer),
    sa.column("battle_id", sa.String),
    sa.column("source", sa.String),
    sa.column("counted", sa.Boolean),
    sa.column("reason", sa.String),
    sa.column("verdict", sa.String),
    sa.column("category", sa.String),
    sa.column("model_a", sa.String),
    sa.column("model_b", sa.String),
)
_pair_counts = sa.table(
    "pair_counts",
    *(sa.column(c) for c in ("source", "category", "model_a", "model_b")),
    *(sa.column(c, sa.Integer) for c in ("wins_a", "wins_b", "ties", "both_bad")),
)
_audit = sa.table(
    "audit_log",
    sa.column("created_at", sa.DateTime(timezone=True)),
    sa.column("actor", sa.String),
    sa.column("action", sa.String),
    sa.column("target", sa.String),
    sa.column("detail", sa.Text),
)


def upgrade() -> None:
    bind = op.get_bind()
    indexes = {i["name"] for i in sa.inspect(bind).get_indexes("battles")}
    if INDEX in indexes:  # 0001 creates the tables as schema.py declares them
        return
    uncounted = _mend_duplicates(bind)
    op.create_index(INDEX, "battles", ["source", "external_id"], unique=True)
    if uncounted:
        _rebuild_pair_counts(bind, uncounted)


def downgrade() -> None:
    op.drop_index(INDEX, table_name="battles")


def _mend_duplicates(bind: Any) -> int:
    """Keep one battle per (source, external id); returns how many votes stopped counting."""
    repeated = (
        sa.select(_battles.c.source, _battles.c.external_id)
        .where(_battles.c.external_id.is_not(None))
        .group_by(_battles.c.source, _battles.c.external_id)
        .having(sa.func.count() > 1)
        .subquery()
    )
    rows = bind.execute(
        sa.select(
            _battles.c.source,
            _battles.c.external_id,
            _battles.c.id,
            _battles.c.model_a,
            _battles.c.model_b,
            _votes.c.id,
            _votes.c.source,
            _votes.c.counted,
        )
        .select_from(
            _battles.join(
                repeated,
                sa.and_(
                    repeated.c.source == _battles.c.source,
                    repeated.c.external_id == _battles.c.external_id,
                ),
            ).outerjoin(_votes, _votes.c.battle_id == _battles.c.id)
        )
        .order_by(_battles.c.source, _battles.c.external_id, _votes.c.id)
    ).all()
    groups: dict[tuple[str, str], dict[str, list[Any]]] = defaultdict(dict)
    for source, ext, bid, a, b, vid, vsource, counted in rows:
        battle = groups[(source, ext)].setdefault(bid, [a, b, []])
        if vid is not None:
            battle[2].append((vid, vsource, counted))
    uncount: list[int] = []
    moves: list[dict[str, Any]] = []
    copies: list[dict[str, Any]] = []
    for (source, _), battles_of_id in groups.items():
        # the kept battle: the one with the earliest vote (a battle without votes last)
        order = sorted(
            battles_of_id.items(), key=lambda kv: min((v[0] for v in kv[1][2]), default=2**62)
        )
        kept_id, (kept_a, kept_b, kept_votes) = order[0]
        sources = {v[1] for v in kept_votes}
        for n, (bid, (a, b, battle_votes)) in enumerate(order[1:], start=1):
            copies.append({"bid": bid, "copy": f"{source}:duplicate:{n}"})
            for vid, vsource, counted in battle_votes:
                if vsource in sources or (a, b) != (kept_a, kept_b):
                    if counted:
                        uncount.append(vid)
                else:
                    sources.add(vsource)
                    moves.append({"vid": vid, "kept": kept_id})
    for start in range(0, len(uncount), 1000):
        bind.execute(
            sa.update(_votes)
            .where(_votes.c.id.in_(uncount[start : start + 1000]))
            .values(counted=False, reason=REASON)
        )
    if moves:
        bind.execute(
            sa.update(_votes)
            .where(_votes.c.id == sa.bindparam("vid"))
            .values(battle_id=sa.bindparam("kept")),
            moves,
        )
    if copies:
        bind.execute(
            sa.update(_battles)
            .where(_battles.c.id == sa.bindparam("bid"))
            .values(source=sa.bindparam("copy")),
            copies,
        )
    return len(uncount)


def _rebuild_pair_counts(bind: Any, uncounted: int) -> None:
    def outcome(verdicts: tuple[str, ...]) -> Any:
        return sa.func.sum(sa.case((_votes.c.verdict.in_(verdicts), 1), else_=0))

    keys = (_votes.c.source, _votes.c.category, _votes.c.model_a, _votes.c.model_b)
    bind.execute(sa.delete(_pair_counts))
    bind.execute(
        sa.insert(_pair_counts).from_select(
            ["source", "category", "model_a", "model_b", "wins_a", "wins_b", "ties", "both_bad"],
            sa.select(
                *keys,
                outcome(("a",)),
                outcome(("b",)),
                outcome(("tie",)),
                outcome(("both_bad",)),
            )
            .where(_votes.c.counted.is_(sa.true()))
            .group_by(*keys),
        )
    )
    # a new audit entry makes every process reload its copy of the pair counts
    bind.execute(
        sa.insert(_audit).values(
            created_at=datetime.now(UTC),
            actor="system",
            action="rebuild_pair_counts",
            target=None,
            detail=f"migration 0004: {uncounted} duplicate imported votes no longer count",
        )
    )
