"""The integrity report: what was filtered and why, who is flagged, how fragile the top is."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from modelarena import ratings
from modelarena.integrity.admin import VoterView, list_voters
from modelarena.leaderboard import comparable_counts
from modelarena.store import HUMAN, Store

REASON_TEXT = {
    "counted": "counted",
    "identity_leak": "an answer said which model or lab wrote it",
    "not_anonymous": "cast after the models were revealed",
    "battle_failed": "a model failed to answer",
    "banned_voter": "the voter is banned",
    "flagged_voter": "the voter was flagged by the anomaly scan (their votes or their address's)",
    "prompt_cap": "the prompt already had its share of counted votes",
    "rate_limited": "over the rate limit",
    "imported_non_anonymous": "imported from a non-anonymous log",
    "duplicate_import": "the same log row imported twice (found when upgrading the database)",
}


@dataclass(frozen=True)
class FragileRow:
    upper: str
    lower: str
    votes_to_swap: float
    share_to_swap: float
    tied: bool


@dataclass
class IntegrityReport:
    total_votes: int
    counted_votes: int
    by_reason: dict[str, int]
    voters: list[VoterView]
    fragile: list[FragileRow]
    board_votes: int
    unrated: list[str] = field(default_factory=list)
    audit: list[dict[str, Any]] = field(default_factory=list)

    @property
    def flagged(self) -> list[VoterView]:
        return [v for v in self.voters if v.flag_reason and v.flag_reason != "cleared"]

    @property
    def banned(self) -> list[VoterView]:
        return [v for v in self.voters if v.banned]

    def to_dict(self) -> dict[str, Any]:
        return {
            "total_votes": self.total_votes,
            "counted_votes": self.counted_votes,
            "filtered_by_reason": {
                k: {"votes": n, "meaning": REASON_TEXT.get(k, k)}
                for k, n in sorted(self.by_reason.items())
                if k != "counted"
            },
            "voters": [v.to_dict() for v in self.voters],
            "flagged_voters": len(self.flagged),
            "banned_voters": len(self.banned),
            "fragility": {
                "board_votes": self.board_votes,
                "unrated": self.unrated,
                "top_pairs": [asdict(f) for f in self.fragile],
            },
            "audit": self.audit,
        }


def _fragility(store: Store, top: int) -> tuple[list[FragileRow], int, list[str]]:
    cells = store.pair_cells(sources=(HUMAN,))
    if len(cells.models) < 2:
        return [], int((cells.wins_a + cells.wins_b + cells.ties).sum()), []
    counts, models, unrated = comparable_counts(cells)
    if len(models) < 2:
        return [], int(counts.total), unrated
    fit = ratings.fit_bradley_terry(counts)
    rows = [
        FragileRow(
            models[p.upper],
            models[p.lower],
            round(float(p.votes_to_swap), 1),
            float(p.share_to_swap),
            bool(p.tied),
        )
        for p in ratings.fragility(counts, fit, top=top)
    ]
    return rows, int(counts.total), unrated


def integrity_report(store: Store, *, top: int = 10, audit_entries: int = 20) -> IntegrityReport:
    by_reason = store.filtered_vote_summary()
    total = sum(by_reason.values())
    fragile, board_votes, unrated = _fragility(store, top)
    return IntegrityReport(
        total_votes=total,
        counted_votes=by_reason.get("counted", 0),
        by_reason=by_reason,
        voters=list_voters(store),
        fragile=fragile,
        board_votes=board_votes,
        unrated=unrated,
        audit=store.voter_log.audit_entries(audit_entries),
    )
