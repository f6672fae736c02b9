"""What the integrity tools read: votes per voter, the vote log the anomaly scan tests, the
voters an admin cleared, and the audit trail. The queries live here, with the rest of the
store, so integrity code never writes SQL."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import case, func, select
from sqlalchemy.engine import Engine

from modelarena.store.schema import audit_log, voters, votes


class ScannedVote(NamedTuple):
    """One vote as the anomaly scan reads it."""

    voter: str | None
    model_a: str
    model_b: str
    verdict: str
    counted: bool
    reason: str | None
    ip_hash: str | None


class VoterLog:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def vote_counts(self, voter_ids: Sequence[str] | None = None) -> dict[str, tuple[int, int]]:
        """``{voter: (votes, counted votes)}``, for the given voters or every voter."""
        v = votes.c
        query = (
            select(v.voter, func.count(), func.sum(case((v.counted.is_(True), 1), else_=0)))
            .where(v.voter.is_not(None))
            .group_by(v.voter)
        )
        if voter_ids is not None:
            if not voter_ids:
                return {}
            query = query.where(v.voter.in_(list(voter_ids)))
        with self._engine.connect() as conn:
            return {r[0]: (int(r[1]), int(r[2] or 0)) for r in conn.execute(query)}

    def scanned_votes(self, sources: Sequence[str]) -> list[ScannedVote]:
        """Every vote from these sources, counted or not, with its voter and address hash."""
        v = votes.c
        query = select(
            v.voter, v.model_a, v.model_b, v.verdict, v.counted, v.reason, v.ip_hash
        ).where(v.source.in_(list(sources)))
        with self._engine.connect() as conn:
            return [ScannedVote(*r) for r in conn.execute(query)]

    def voters_with_flag(self, flag_reason: str) -> set[str]:
        """Voters whose flag reason is ``flag_reason`` (e.g. the ones an admin cleared)."""
        query = select(voters.c.id).where(voters.c.flag_reason == flag_reason)
        with self._engine.connect() as conn:
            return {r[0] for r in conn.execute(query)}

    def with_counted_votes(self, voter_ids: Iterable[str]) -> set[str]:
        """Those of these voters who still have a counted vote."""
        ids = list(voter_ids)
        if not ids:
            return set()
        v = votes.c
        query = select(v.voter).where(v.voter.in_(ids), v.counted.is_(True)).distinct()
        with self._engine.connect() as conn:
            return {r[0] for r in conn.execute(query)}

    def audit_entries(self, limit: int) -> list[dict[str, Any]]:
        """The newest admin actions first, times as ISO strings."""
        query = select(audit_log).order_by(audit_log.c.id.desc()).limit(limit)
        with self._engine.connect() as conn:
            rows = [dict(r._mapping) for r in conn.execute(query)]
        for r in rows:
            if isinstance(r.get("created_at"), datetime):
                r["created_at"] = r["created_at"].isoformat()
        return rows
