"""Reviewing voters: list, ban, unban (clear a flag), recount. Used by the CLI and the admin API.

Every action goes through the store, which writes the audit log; no vote is ever deleted.
A ban or a flag turns a voter's votes to ``counted = false`` with a reason; unban counts
them again; recount rebuilds the pair-count cache from the vote log.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from modelarena.battles.records import VoteReason
from modelarena.integrity.anomaly import CLEARED
from modelarena.store import Store

MAX_VOTER_ID = 128


class UnknownVoter(LookupError):
    def __init__(self, voter: str) -> None:
        super().__init__(f"no voter {voter!r} has voted or been flagged")
        self.voter = voter


@dataclass(frozen=True)
class VoterView:
    """One voter as an admin reviews it."""

    id: str
    banned: bool
    flag_reason: str | None
    flag_detail: dict[str, Any] | str | None
    votes: int
    counted: int
    updated_at: datetime | None

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["updated_at"] = self.updated_at.isoformat() if self.updated_at else None
        return out


@dataclass(frozen=True)
class ActionResult:
    voter: str
    action: str
    votes_changed: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _detail(raw: str | None) -> dict[str, Any] | str | None:
    if raw is None:
        return None
    try:
        value = json.loads(raw)
    except ValueError:
        return raw
    return value if isinstance(value, dict) else raw


def list_voters(store: Store, *, all_voters: bool = False) -> list[VoterView]:
    """Flagged, banned and cleared voters (or every voter who voted), most votes first."""
    rows = {r["id"]: r for r in store.voter_log.voters(flagged_or_banned=not all_voters)}
    counts = store.voter_log.vote_counts(None if all_voters else list(rows))
    ids = set(rows) | (set(counts) if all_voters else set())
    out = []
    for voter in ids:
        r = rows.get(voter, {})
        total, counted = counts.get(voter, (0, 0))
        out.append(
            VoterView(
                id=voter,
                banned=bool(r.get("banned", False)),
                flag_reason=r.get("flag_reason"),
                flag_detail=_detail(r.get("flag_detail")),
                votes=total,
                counted=counted,
                updated_at=r.get("updated_at"),
            )
        )
    out.sort(key=lambda x: (-x.votes, x.id))
    return out


def get_voter(store: Store, voter: str) -> VoterView:
    for view in list_voters(store, all_voters=True):
        if view.id == voter:
            return view
    raise UnknownVoter(voter)


def _check(store: Store, voter: str) -> None:
    if not voter or len(voter) > MAX_VOTER_ID:
        raise UnknownVoter(voter[:MAX_VOTER_ID])
    known = {r["id"] for r in store.voter_log.voters(flagged_or_banned=False)}
    if voter not in known and voter not in store.voter_log.vote_counts([voter]):
        raise UnknownVoter(voter)


def ban(store: Store, voter: str, *, actor: str, note: str | None = None) -> ActionResult:
    """Ban a voter: their votes so far and from now on do not count (reason banned_voter)."""
    _check(store, voter)
    store.set_voter_status(voter, banned=True, actor=actor)
    changed = store.set_votes_counted(
        voter=voter, counted=False, reason=VoteReason.BANNED_VOTER.value, actor=actor
    )
    if note:
        store.set_voter_status(voter, flag_reason="banned_by_admin", flag_detail=note, actor=actor)
    return ActionResult(voter, "ban", changed)


def unban(store: Store, voter: str, *, actor: str) -> ActionResult:
    """Lift a ban and clear a flag: the voter's banned or flagged votes count again.

    The voter is marked ``cleared``, so later scans leave their votes alone; the audit log
    keeps who did it and when.
    """
    _check(store, voter)
    store.set_voter_status(
        voter, banned=False, flag_reason=CLEARED, flag_detail=f"cleared by {actor}", actor=actor
    )
    changed = 0
    for reason in (VoteReason.BANNED_VOTER.value, VoteReason.FLAGGED_VOTER.value):
        changed += store.set_votes_counted(voter=voter, counted=True, reason=reason, actor=actor)
    return ActionResult(voter, "unban", changed)


def recount(store: Store) -> int:
    """Rebuild the pair-count cache from the vote log. Returns the counted votes."""
    return store.rebuild_pair_counts()
