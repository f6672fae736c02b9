"""Four-model tournaments: their sessions and matches (reads and writes), and the clusters
(tournament session, voter) of counted votes that the leaderboard's intervals account for.

The records here are the store's own (the store cannot import
:mod:`modelarena.tournaments`); the tournament runner turns them into its bracket.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy import ColumnElement, Engine, Select, func, insert, select, update

from modelarena.store.cells import pair_index
from modelarena.store.rows import aware, now
from modelarena.store.schema import battles, votes
from modelarena.store.schema_tournaments import tournament_matches, tournaments

GENERATING = "generating"
VOTING = "voting"
DONE = "done"
FAILED = "failed"


class TournamentNotFound(LookupError):
    def __init__(self, tournament_id: str) -> None:
        super().__init__(f"no tournament with id {tournament_id!r}")


@dataclass(frozen=True)
class MatchRecord:
    """One match of a tournament: a battle between the answers of two slots."""

    position: int
    stage: str
    slot_a: int
    slot_b: int
    battle_id: str
    verdict: str | None = None
    advances: str | None = None
    chosen_at: datetime | None = None


@dataclass(frozen=True)
class TournamentRecord:
    id: str
    created_at: datetime
    owner: str
    category: str
    models: tuple[str, ...]
    status: str
    ranking: tuple[int, ...] | None = None
    finished_at: datetime | None = None
    matches: tuple[MatchRecord, ...] = field(default_factory=tuple)
    vote_source: str = "human"  # what its votes are cast as (a campaign's own source)


@dataclass(frozen=True, eq=False)  # holds arrays
class ClusteredVotes:
    """Counted votes that share a cluster with another vote: those of tournament sessions
    and those of voters with more than one counted vote. ``session`` and ``voter`` are
    cluster codes per vote, -1 for none (the vote is its own cluster)."""

    models: list[str]
    model_a: np.ndarray
    model_b: np.ndarray
    outcome: np.ndarray
    session: np.ndarray
    voter: np.ndarray


_OUTCOME = {"a": 0, "b": 1, "tie": 2, "both_bad": 3}


class Tournaments:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def create(self, record: TournamentRecord) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                insert(tournaments).values(
                    id=record.id,
                    created_at=record.created_at,
                    owner=record.owner,
                    category=record.category,
                    vote_source=record.vote_source,
                    models=json.dumps(list(record.models)),
                    status=record.status,
                )
            )
            for m in record.matches:
                conn.execute(insert(tournament_matches).values(**_match_values(record.id, m)))

    def add_matches(self, tournament_id: str, matches: Sequence[MatchRecord]) -> None:
        with self.engine.begin() as conn:
            for m in matches:
                conn.execute(insert(tournament_matches).values(**_match_values(tournament_id, m)))

    def get(self, tournament_id: str) -> TournamentRecord:
        with self.engine.connect() as conn:
            row = conn.execute(select(tournaments).where(tournaments.c.id == tournament_id)).first()
            if row is None:
                raise TournamentNotFound(tournament_id)
            rows = conn.execute(
                select(tournament_matches)
                .where(tournament_matches.c.tournament_id == tournament_id)
                .order_by(tournament_matches.c.position)
            ).all()
        return TournamentRecord(
            id=row.id,
            created_at=aware(row.created_at),
            owner=row.owner,
            category=row.category,
            vote_source=row.vote_source,
            models=tuple(json.loads(row.models)),
            status=row.status,
            ranking=tuple(json.loads(row.ranking)) if row.ranking else None,
            finished_at=aware(row.finished_at) if row.finished_at else None,
            matches=tuple(
                MatchRecord(
                    position=r.position,
                    stage=r.stage,
                    slot_a=r.slot_a,
                    slot_b=r.slot_b,
                    battle_id=r.battle_id,
                    verdict=r.verdict,
                    advances=r.advances,
                    chosen_at=aware(r.chosen_at) if r.chosen_at else None,
                )
                for r in rows
            ),
        )

    def choose(self, tournament_id: str, position: int, verdict: str, advances: str) -> bool:
        """Record the voter's choice on a match not yet decided. False when it already was
        (a second click, or two tabs): the first choice stands."""
        with self.engine.begin() as conn:
            result = conn.execute(
                update(tournament_matches)
                .where(
                    tournament_matches.c.tournament_id == tournament_id,
                    tournament_matches.c.position == position,
                    tournament_matches.c.verdict.is_(None),
                )
                .values(verdict=verdict, advances=advances, chosen_at=now())
            )
            return bool(result.rowcount == 1)

    def set_status(
        self,
        tournament_id: str,
        status: str,
        *,
        expected: str | None = None,
        ranking: Sequence[int] | None = None,
    ) -> bool:
        """Move to ``status`` (only from ``expected``, when given); False if it was not."""
        values: dict[str, Any] = {"status": status}
        if ranking is not None:
            values.update(ranking=json.dumps(list(ranking)), finished_at=now())
        query = update(tournaments).where(tournaments.c.id == tournament_id)
        if expected is not None:
            query = query.where(tournaments.c.status == expected)
        with self.engine.begin() as conn:
            return bool(conn.execute(query.values(**values)).rowcount == 1)

    def has_votes(
        self,
        sources: Sequence[str],
        categories: Sequence[str] | None = None,
        languages: Sequence[str] = (),
    ) -> bool:
        """Whether any counted vote of ``sources`` (and ``categories``) is a tournament's.
        Walks the matches (none on a board without tournaments), not the votes."""
        vote = select(votes.c.id).where(
            votes.c.battle_id == tournament_matches.c.battle_id,
            *_counted(sources, categories, languages),
        )
        query = select(tournament_matches.c.id).where(vote.exists()).limit(1)
        with self.engine.connect() as conn:
            return conn.execute(query).first() is not None

    def clustered_votes(
        self,
        sources: Sequence[str],
        categories: Sequence[str] | None = None,
        languages: Sequence[str] = (),
    ) -> ClusteredVotes:
        """Counted votes of ``sources`` (and ``categories``, and battles in ``languages``)
        in a tournament session or by a
        voter with more than one counted vote; the rest are independent singletons and
        need no reading (they change no clustered covariance)."""
        base = _counted(sources, categories, languages)
        repeat_voters = (
            select(votes.c.voter)
            .where(*base, votes.c.voter.is_not(None))
            .group_by(votes.c.voter)
            .having(func.count() > 1)
        )
        query = (
            select(
                votes.c.model_a,
                votes.c.model_b,
                votes.c.verdict,
                votes.c.voter,
                tournament_matches.c.tournament_id,
            )
            .select_from(
                votes.outerjoin(
                    tournament_matches, tournament_matches.c.battle_id == votes.c.battle_id
                )
            )
            .where(
                *base,
                tournament_matches.c.tournament_id.is_not(None) | votes.c.voter.in_(repeat_voters),
            )
            .order_by(votes.c.id)
        )
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        names, model_a, model_b = pair_index(rows)
        return ClusteredVotes(
            models=names,
            model_a=model_a,
            model_b=model_b,
            outcome=np.array([_OUTCOME[r[2]] for r in rows], dtype=np.int64),
            session=_codes([r[4] for r in rows]),
            voter=_codes([r[3] for r in rows]),
        )


def _counted(
    sources: Sequence[str], categories: Sequence[str] | None, languages: Sequence[str]
) -> list[ColumnElement[bool]]:
    """The conditions on a counted vote of ``sources`` (and ``categories``, and battles in
    ``languages``)."""
    where: list[ColumnElement[bool]] = [
        votes.c.counted.is_(True),
        votes.c.source.in_(list(sources)),
    ]
    if categories:
        where.append(votes.c.category.in_(list(categories)))
    if languages:
        where.append(votes.c.battle_id.in_(_of_languages(languages)))
    return where


def _of_languages(languages: Sequence[str]) -> Select[Any]:
    return select(battles.c.id).where(battles.c.language.in_(list(languages)))


def _codes(keys: Sequence[str | None]) -> np.ndarray:
    seen: dict[str, int] = {}
    return np.array(
        [-1 if k is None else seen.setdefault(k, len(seen)) for k in keys], dtype=np.int64
    )


def _match_values(tournament_id: str, m: MatchRecord) -> dict[str, Any]:
    return {
        "tournament_id": tournament_id,
        "position": m.position,
        "stage": m.stage,
        "slot_a": m.slot_a,
        "slot_b": m.slot_b,
        "battle_id": m.battle_id,
        "verdict": m.verdict,
        "advances": m.advances,
        "chosen_at": m.chosen_at,
    }
