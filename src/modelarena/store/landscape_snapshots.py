"""Published leaderboards stored as dated snapshots (reads and writes), and the token counts
the arena logged per model (what the landscape's cost figures read)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import Engine, case, delete, func, insert, select

from modelarena.store.schema import answers, battles
from modelarena.store.schema_landscape import landscape_rows, landscape_snapshots


@dataclass(frozen=True)
class SnapshotRow:
    """One model of a published board, as its file gives it."""

    model: str
    rating: float
    rating_lower: float | None = None
    rating_upper: float | None = None
    votes: int | None = None
    organization: str | None = None
    license: str | None = None
    open_weights: bool | None = None


@dataclass(frozen=True)
class SnapshotInfo:
    name: str
    snapshot_date: date
    category: str
    source_file: str | None
    imported_at: datetime
    models: int

    @property
    def label(self) -> str:
        return f"{self.name}@{self.snapshot_date.isoformat()}"


@dataclass(frozen=True)
class TokenUsage:
    """What one model's answers cost in tokens, as the arena logged them."""

    model: str
    answers: int  # answers without an error
    with_tokens: int  # of which the server reported token counts
    prompt_tokens: float  # means over the answers with counts
    completion_tokens: float
    reasoning_tokens: float  # included in completion_tokens by OpenAI-style servers
    seconds: float | None  # mean total time of an answer
    # second moments over the answers with counts, for the interval of a mean cost
    prompt_sq: float = 0.0
    completion_sq: float = 0.0
    cross: float = 0.0  # mean of prompt x completion


class LandscapeSnapshots:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def save(
        self,
        name: str,
        snapshot_date: date,
        category: str,
        rows: Sequence[SnapshotRow],
        *,
        source_file: str | None = None,
    ) -> int:
        """Store one category of a board; an earlier import of the same name, date and
        category is replaced. Returns the number of rows stored."""
        t, r = landscape_snapshots, landscape_rows
        with self.engine.begin() as conn:
            old = conn.execute(
                select(t.c.id).where(
                    t.c.name == name, t.c.snapshot_date == snapshot_date, t.c.category == category
                )
            ).scalar()
            if old is not None:
                conn.execute(delete(r).where(r.c.snapshot_id == old))
                conn.execute(delete(t).where(t.c.id == old))
            sid = conn.execute(
                insert(t).values(
                    name=name,
                    snapshot_date=snapshot_date,
                    category=category,
                    source_file=source_file,
                    imported_at=datetime.now(UTC),
                )
            ).inserted_primary_key[0]  # type: ignore[index]
            if rows:
                conn.execute(
                    insert(r),
                    [
                        {
                            "snapshot_id": sid,
                            "model": row.model,
                            "rating": row.rating,
                            "rating_lower": row.rating_lower,
                            "rating_upper": row.rating_upper,
                            "votes": row.votes,
                            "organization": row.organization,
                            "license": row.license,
                            "open_weights": row.open_weights,
                        }
                        for row in rows
                    ],
                )
        return len(rows)

    def snapshots(self, name: str | None = None) -> list[SnapshotInfo]:
        """Every stored snapshot (of ``name``, if given), newest first."""
        t, r = landscape_snapshots, landscape_rows
        count = (
            select(r.c.snapshot_id, func.count().label("n")).group_by(r.c.snapshot_id).subquery()
        )
        query = select(
            t.c.name,
            t.c.snapshot_date,
            t.c.category,
            t.c.source_file,
            t.c.imported_at,
            func.coalesce(count.c.n, 0),
        ).outerjoin(count, count.c.snapshot_id == t.c.id)
        if name is not None:
            query = query.where(t.c.name == name)
        query = query.order_by(t.c.snapshot_date.desc(), t.c.name, t.c.category)
        with self.engine.connect() as conn:
            return [SnapshotInfo(*row) for row in conn.execute(query)]

    def rows(
        self, name: str, snapshot_date: date | None, category: str
    ) -> tuple[SnapshotInfo, list[SnapshotRow]] | None:
        """A stored board (the newest of ``name`` when ``snapshot_date`` is None), or None."""
        found = [
            s
            for s in self.snapshots(name)
            if s.category == category
            and (snapshot_date is None or s.snapshot_date == snapshot_date)
        ]
        if not found:
            return None
        info = found[0]
        t, r = landscape_snapshots, landscape_rows
        with self.engine.connect() as conn:
            sid = conn.execute(
                select(t.c.id).where(
                    t.c.name == info.name,
                    t.c.snapshot_date == info.snapshot_date,
                    t.c.category == category,
                )
            ).scalar_one()
            result = conn.execute(
                select(
                    r.c.model,
                    r.c.rating,
                    r.c.rating_lower,
                    r.c.rating_upper,
                    r.c.votes,
                    r.c.organization,
                    r.c.license,
                    r.c.open_weights,
                )
                .where(r.c.snapshot_id == sid)
                .order_by(r.c.rating.desc(), r.c.model)
            )
            return info, [SnapshotRow(*row) for row in result]

    def token_usage(self) -> list[TokenUsage]:
        """Per model: answers stored without an error, and the mean tokens and time of those
        the server reported counts for."""
        a, b = answers, battles
        model = case((a.c.side == "a", b.c.model_a), else_=b.c.model_b).label("model")
        has = a.c.completion_tokens.is_not(None)
        query = (
            select(
                model,
                func.count(),
                func.sum(case((has, 1), else_=0)),
                func.avg(case((has, a.c.prompt_tokens), else_=None)),
                func.avg(a.c.completion_tokens),
                func.avg(case((has, func.coalesce(a.c.reasoning_tokens, 0)), else_=None)),
                func.avg(a.c.total_time_s),
                func.avg(case((has, a.c.prompt_tokens * a.c.prompt_tokens), else_=None)),
                func.avg(a.c.completion_tokens * a.c.completion_tokens),
                func.avg(case((has, a.c.prompt_tokens * a.c.completion_tokens), else_=None)),
            )
            .select_from(a.join(b, b.c.id == a.c.battle_id))
            .where(a.c.error.is_(None))
            .group_by(model)
            .order_by(model)
        )
        with self.engine.connect() as conn:
            return [
                TokenUsage(
                    model=str(m),
                    answers=int(n),
                    with_tokens=int(k or 0),
                    prompt_tokens=float(p or 0.0),
                    completion_tokens=float(c or 0.0),
                    reasoning_tokens=float(rt or 0.0),
                    seconds=None if s is None else float(s),
                    prompt_sq=float(p2 or 0.0),
                    completion_sq=float(c2 or 0.0),
                    cross=float(pc or 0.0),
                )
                for m, n, k, p, c, rt, s, p2, c2, pc in conn.execute(query)
            ]
