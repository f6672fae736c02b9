"""Voters and the audit trail: what the integrity tools read (votes per voter, the vote log
the anomaly scan tests, flagged and banned voters, the audit trail) and the statements that
change a voter's standing. The queries live here, with the rest of the store, so integrity
code never writes SQL; the writes run inside the store's write transaction."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import and_, case, func, insert, select, update
from sqlalchemy.engine import Connection, Engine

from modelarena.store.rows import now
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


def write_audit(
    conn: Connection, *, actor: str, action: str, target: str | None, detail: str | None
) -> None:
    """One entry of the audit trail (every admin action, and the cache rebuilds)."""
    conn.execute(
        insert(audit_log).values(
            created_at=now(), actor=actor, action=action, target=target, detail=detail
        )
    )


def set_voter_status(
    conn: Connection,
    voter: str,
    *,
    banned: bool | None,
    flag_reason: str | None,
    flag_detail: str | None,
    actor: str,
) -> None:
    """Ban, unban or flag ``voter`` (created if unknown), with its audit entry."""
    existing = conn.execute(select(voters).where(voters.c.id == voter)).first()
    values: dict[str, Any] = {"updated_at": now()}
    if banned is not None:
        values["banned"] = banned
    if flag_reason is not None:
        values["flag_reason"] = flag_reason or None
        values["flag_detail"] = flag_detail
    if existing is None:
        values.setdefault("banned", False)
        conn.execute(insert(voters).values(id=voter, **values))
    else:
        conn.execute(update(voters).where(voters.c.id == voter).values(**values))
    action = "ban" if banned else "unban" if banned is False else "flag"
    write_audit(conn, actor=actor, action=action, target=voter, detail=flag_reason)


def set_votes_counted(
    conn: Connection, *, voter: str, counted: bool, reason: str | None, actor: str
) -> int:
    """Count again a voter's votes uncounted for ``reason``, or uncount their counted ones;
    how many changed. The caller rebuilds the pair counts."""
    cond = votes.c.voter == voter
    if counted:
        cond = and_(cond, votes.c.reason == reason)
        result = conn.execute(update(votes).where(cond).values(counted=True, reason=None))
    else:
        cond = and_(cond, votes.c.counted.is_(True))
        result = conn.execute(update(votes).where(cond).values(counted=False, reason=reason))
    action = "recount" if counted else "uncount"
    write_audit(conn, actor=actor, action=action, target=voter, detail=reason)
    return int(result.rowcount or 0)


class VoterLog:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def voters(self, *, flagged_or_banned: bool = True) -> list[dict[str, Any]]:
        """Flagged or banned voters (or every voter with a status), as dicts."""
        query = select(voters)
        if flagged_or_banned:
            query = query.where(voters.c.banned.is_(True) | voters.c.flag_reason.is_not(None))
        with self._engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(query)]

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
