"""Campaigns: their prompts, invites and served battles (reads and writes); the votes on
them are read in :mod:`.campaign_votes`.

A campaign's votes are ordinary votes whose source is ``campaign:<id>`` (see
:func:`campaign_source`): the pair-count cache keeps them apart from the public board's
``human`` votes, so the public board never counts them. The records here are the store's
own (the store cannot import :mod:`modelarena.campaigns`).
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from modelarena.store.rows import aware, now
from modelarena.store.schema import battles, votes
from modelarena.store.schema_campaigns import (
    campaign_battles,
    campaign_invites,
    campaign_prompts,
    campaigns,
)

CAMPAIGN_SOURCE_PREFIX = "campaign:"


def campaign_source(campaign_id: str) -> str:
    """The vote source of a campaign's votes."""
    return CAMPAIGN_SOURCE_PREFIX + campaign_id


class CampaignNotFound(LookupError):
    def __init__(self, name: str) -> None:
        super().__init__(f"no campaign named {name!r} (arena campaign status lists none?)")
        self.name = name


class CampaignExists(ValueError):
    def __init__(self, name: str) -> None:
        super().__init__(f"a campaign named {name!r} exists already; choose another name")


class InviteNotFound(LookupError):
    pass


@dataclass(frozen=True)
class CampaignRecord:
    id: str
    name: str
    created_at: datetime
    owner: str
    category: str
    models: tuple[str, ...]
    target_votes: int | None
    target_width: float | None
    confidence: float
    published: bool
    stopped_at: datetime | None

    @property
    def source(self) -> str:
        return campaign_source(self.id)


@dataclass(frozen=True)
class PromptRecord:
    id: int
    position: int
    prompt: str
    language: str
    external_id: str | None = None


@dataclass(frozen=True)
class InviteRecord:
    id: str
    campaign_id: str
    created_at: datetime
    label: str | None
    votes_limit: int | None
    revoked_at: datetime | None


@dataclass(frozen=True)
class ServedBattle:
    battle_id: str
    prompt_id: int
    voted: bool


def _campaign(row: Any) -> CampaignRecord:
    return CampaignRecord(
        id=row.id,
        name=row.name,
        created_at=aware(row.created_at),
        owner=row.owner,
        category=row.category,
        models=tuple(json.loads(row.models)),
        target_votes=row.target_votes,
        target_width=row.target_width,
        confidence=float(row.confidence),
        published=bool(row.published),
        stopped_at=aware(row.stopped_at) if row.stopped_at else None,
    )


def _invite(row: Any) -> InviteRecord:
    return InviteRecord(
        id=row.id,
        campaign_id=row.campaign_id,
        created_at=aware(row.created_at),
        label=row.label,
        votes_limit=row.votes_limit,
        revoked_at=aware(row.revoked_at) if row.revoked_at else None,
    )


class Campaigns:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    # ------------------------------------------------------------- campaigns
    def create(
        self,
        *,
        name: str,
        owner: str,
        category: str,
        models: Sequence[str],
        prompts: Sequence[tuple[str, str, str | None]],
        target_votes: int | None = None,
        target_width: float | None = None,
        confidence: float = 0.95,
    ) -> CampaignRecord:
        """A new campaign with its prompts (text, language, external id), in one
        transaction. Raises :class:`CampaignExists`."""
        campaign_id = secrets.token_hex(12)
        try:
            with self.engine.begin() as conn:
                conn.execute(
                    insert(campaigns).values(
                        id=campaign_id,
                        name=name,
                        created_at=now(),
                        owner=owner,
                        category=category,
                        models=json.dumps(list(models)),
                        target_votes=target_votes,
                        target_width=target_width,
                        confidence=confidence,
                        published=False,
                    )
                )
                if prompts:
                    conn.execute(
                        insert(campaign_prompts),
                        [
                            {
                                "campaign_id": campaign_id,
                                "position": i,
                                "prompt": text,
                                "language": language,
                                "external_id": external_id,
                            }
                            for i, (text, language, external_id) in enumerate(prompts)
                        ],
                    )
        except IntegrityError:
            raise CampaignExists(name) from None
        return self.get(campaign_id)

    def get(self, name_or_id: str) -> CampaignRecord:
        """By id or by name. Raises :class:`CampaignNotFound`."""
        with self.engine.connect() as conn:
            row = conn.execute(
                select(campaigns).where(
                    (campaigns.c.id == name_or_id) | (campaigns.c.name == name_or_id)
                )
            ).first()
        if row is None:
            raise CampaignNotFound(name_or_id)
        return _campaign(row)

    def all(self) -> list[CampaignRecord]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(campaigns).order_by(campaigns.c.created_at)).all()
        return [_campaign(r) for r in rows]

    def set_published(self, campaign_id: str, published: bool) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                update(campaigns).where(campaigns.c.id == campaign_id).values(published=published)
            )

    def set_stopped(self, campaign_id: str, stopped: bool) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                update(campaigns)
                .where(campaigns.c.id == campaign_id)
                .values(stopped_at=now() if stopped else None)
            )

    def add_prompts(self, campaign_id: str, prompts: Sequence[tuple[str, str, str | None]]) -> int:
        with self.engine.begin() as conn:
            start = conn.execute(
                select(func.count()).where(campaign_prompts.c.campaign_id == campaign_id)
            ).scalar_one()
            if prompts:
                conn.execute(
                    insert(campaign_prompts),
                    [
                        {
                            "campaign_id": campaign_id,
                            "position": start + i,
                            "prompt": text,
                            "language": language,
                            "external_id": external_id,
                        }
                        for i, (text, language, external_id) in enumerate(prompts)
                    ],
                )
        return len(prompts)

    def prompts(self, campaign_id: str) -> list[PromptRecord]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(campaign_prompts)
                .where(campaign_prompts.c.campaign_id == campaign_id)
                .order_by(campaign_prompts.c.position)
            ).all()
        return [PromptRecord(r.id, r.position, r.prompt, r.language, r.external_id) for r in rows]

    # --------------------------------------------------------------- invites
    def add_invite(
        self, campaign_id: str, *, votes_limit: int | None, label: str | None = None
    ) -> InviteRecord:
        invite_id = secrets.token_hex(12)
        with self.engine.begin() as conn:
            conn.execute(
                insert(campaign_invites).values(
                    id=invite_id,
                    campaign_id=campaign_id,
                    created_at=now(),
                    label=label,
                    votes_limit=votes_limit,
                )
            )
        return self.invite(invite_id)

    def invite(self, invite_id: str) -> InviteRecord:
        """Raises :class:`InviteNotFound`."""
        with self.engine.connect() as conn:
            row = conn.execute(
                select(campaign_invites).where(campaign_invites.c.id == invite_id)
            ).first()
        if row is None:
            raise InviteNotFound(invite_id)
        return _invite(row)

    def invites(self, campaign_id: str) -> list[InviteRecord]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(campaign_invites)
                .where(campaign_invites.c.campaign_id == campaign_id)
                .order_by(campaign_invites.c.created_at)
            ).all()
        return [_invite(r) for r in rows]

    def revoke(self, invite_id: str) -> bool:
        """Revoke an invite; False when it was revoked already. Raises InviteNotFound."""
        self.invite(invite_id)
        with self.engine.begin() as conn:
            changed = conn.execute(
                update(campaign_invites)
                .where(campaign_invites.c.id == invite_id, campaign_invites.c.revoked_at.is_(None))
                .values(revoked_at=now())
            ).rowcount
        return bool(changed)

    # --------------------------------------------------------------- battles
    def link_battle(
        self,
        battle_id: str,
        *,
        campaign_id: str,
        prompt_id: int,
        invite_id: str | None,
        voter: str,
        language: str,
    ) -> None:
        """Record a battle served to ``voter`` on a campaign prompt, and its language."""
        with self.engine.begin() as conn:
            conn.execute(
                insert(campaign_battles).values(
                    battle_id=battle_id,
                    campaign_id=campaign_id,
                    prompt_id=prompt_id,
                    invite_id=invite_id,
                    voter=voter,
                    created_at=now(),
                )
            )
            conn.execute(update(battles).where(battles.c.id == battle_id).values(language=language))

    def link_more(
        self,
        battle_ids: Sequence[str],
        *,
        campaign_id: str,
        prompt_id: int,
        invite_id: str | None,
        voter: str,
        language: str,
    ) -> int:
        """:meth:`link_battle` for each battle not linked yet (a tournament's matches, as
        its rounds open). Returns how many were new."""
        with self.engine.connect() as conn:
            known = {
                r[0]
                for r in conn.execute(
                    select(campaign_battles.c.battle_id).where(
                        campaign_battles.c.battle_id.in_(list(battle_ids))
                    )
                )
            }
        new = [b for b in battle_ids if b not in known]
        for battle_id in new:
            self.link_battle(
                battle_id,
                campaign_id=campaign_id,
                prompt_id=prompt_id,
                invite_id=invite_id,
                voter=voter,
                language=language,
            )
        return len(new)

    def served(self, campaign_id: str, battle_id: str) -> ServedBattle | None:
        """The battle as served by this campaign, or None when it is not one of its."""
        source = campaign_source(campaign_id)
        voted = (
            select(votes.c.id)
            .where(votes.c.battle_id == campaign_battles.c.battle_id, votes.c.source == source)
            .exists()
        )
        with self.engine.connect() as conn:
            row = conn.execute(
                select(campaign_battles.c.battle_id, campaign_battles.c.prompt_id, voted).where(
                    campaign_battles.c.campaign_id == campaign_id,
                    campaign_battles.c.battle_id == battle_id,
                )
            ).first()
        return ServedBattle(row[0], int(row[1]), bool(row[2])) if row else None

    def open_battles(self, campaign_id: str, voter: str) -> list[ServedBattle]:
        """Battles served to ``voter`` without a vote yet (newest first), failed ones aside."""
        source = campaign_source(campaign_id)
        voted = select(votes.c.id).where(
            votes.c.battle_id == campaign_battles.c.battle_id, votes.c.source == source
        )
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(campaign_battles.c.battle_id, campaign_battles.c.prompt_id)
                .join(battles, battles.c.id == campaign_battles.c.battle_id)
                .where(
                    campaign_battles.c.campaign_id == campaign_id,
                    campaign_battles.c.voter == voter,
                    battles.c.status != "failed",
                    battles.c.source == "arena",  # a tournament's matches are voted there
                    ~voted.exists(),
                )
                .order_by(campaign_battles.c.created_at.desc())
            ).all()
        return [ServedBattle(r[0], int(r[1]), False) for r in rows]

    def voter_prompts(self, campaign_id: str, voter: str) -> set[tuple[int, str, str]]:
        """(prompt, model, model) already served to this voter (models sorted)."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(campaign_battles.c.prompt_id, battles.c.model_a, battles.c.model_b)
                .join(battles, battles.c.id == campaign_battles.c.battle_id)
                .where(
                    campaign_battles.c.campaign_id == campaign_id,
                    campaign_battles.c.voter == voter,
                )
            ).all()
        out = set()
        for prompt_id, a, b in rows:
            lo, hi = sorted((a, b))
            out.add((int(prompt_id), lo, hi))
        return out

    def languages(self, campaign_id: str) -> dict[str, int]:
        """Prompts per language."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(campaign_prompts.c.language, func.count())
                .where(campaign_prompts.c.campaign_id == campaign_id)
                .group_by(campaign_prompts.c.language)
            ).all()
        return {str(r[0]): int(r[1]) for r in rows}
