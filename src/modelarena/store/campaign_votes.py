"""Votes on a campaign's battles: how many a voter or an invite cast, how many each prompt
and pair has (what to serve next), and taking back the votes past an invite's limit.

A campaign's votes are ordinary votes of the source ``campaign:<id>`` (see
:func:`~modelarena.store.campaigns.campaign_source`) on the battles it served.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Engine, and_, func, select, update

from modelarena.battles.records import Verdict, VoteReason
from modelarena.store import pair_count_cache
from modelarena.store.campaigns import campaign_source
from modelarena.store.rows import OUTCOME
from modelarena.store.schema import votes
from modelarena.store.schema_campaigns import campaign_battles


class CampaignVotes:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def votes_by(
        self, campaign_id: str, *, voter: str | None = None, invite_id: str | None = None
    ) -> int:
        """Votes stored on the campaign's battles (counted or not) by a voter or an invite."""
        source = campaign_source(campaign_id)
        query = (
            select(func.count())
            .select_from(
                campaign_battles.join(
                    votes,
                    and_(
                        votes.c.battle_id == campaign_battles.c.battle_id, votes.c.source == source
                    ),
                )
            )
            .where(campaign_battles.c.campaign_id == campaign_id)
        )
        if voter is not None:
            query = query.where(campaign_battles.c.voter == voter)
        if invite_id is not None:
            query = query.where(campaign_battles.c.invite_id == invite_id)
        with self.engine.connect() as conn:
            return int(conn.execute(query).scalar_one())

    def prompt_pair_votes(self, campaign_id: str) -> dict[tuple[int, str, str], int]:
        """Counted votes per (prompt, model, model) of the campaign (models sorted)."""
        source = campaign_source(campaign_id)
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(
                    campaign_battles.c.prompt_id,
                    votes.c.model_a,
                    votes.c.model_b,
                    func.count(),
                )
                .select_from(
                    campaign_battles.join(
                        votes,
                        and_(
                            votes.c.battle_id == campaign_battles.c.battle_id,
                            votes.c.source == source,
                            votes.c.counted.is_(True),
                        ),
                    )
                )
                .where(campaign_battles.c.campaign_id == campaign_id)
                .group_by(campaign_battles.c.prompt_id, votes.c.model_a, votes.c.model_b)
            ).all()
        out: dict[tuple[int, str, str], int] = {}
        for prompt_id, a, b, n in rows:
            lo, hi = sorted((a, b))
            key = (int(prompt_id), lo, hi)
            out[key] = out.get(key, 0) + int(n)
        return out

    def uncount_past_limit(
        self, campaign_id: str, *, invite_id: str, limit: int, battle_ids: Sequence[str]
    ) -> int:
        """Uncount (reason ``invite_limit``) the campaign's votes on ``battle_ids`` that came
        when the invite's earlier votes, by vote id, had already reached ``limit``; how many
        did. Votes checked against the limit at once (two tabs, two workers) may all pass
        the check before any is stored: each vote then asks here, after its own commit, and
        the ones past the limit stop counting (stored, as every vote is). One transaction;
        the pair counts follow."""
        source = campaign_source(campaign_id)
        invite_votes = campaign_battles.join(
            votes,
            and_(votes.c.battle_id == campaign_battles.c.battle_id, votes.c.source == source),
        )
        mine = (
            select(votes.c.id, votes.c.verdict, votes.c.category, votes.c.model_a, votes.c.model_b)
            .select_from(invite_votes)
            .where(
                campaign_battles.c.campaign_id == campaign_id,
                campaign_battles.c.invite_id == invite_id,
                votes.c.battle_id.in_(list(battle_ids)),
                votes.c.counted.is_(True),
            )
            .order_by(votes.c.id)
        )
        uncounted = 0
        with self.engine.begin() as conn:
            for vote_id, verdict, category, a, b in conn.execute(mine).all():
                earlier = conn.execute(
                    select(func.count())
                    .select_from(invite_votes)
                    .where(
                        campaign_battles.c.campaign_id == campaign_id,
                        campaign_battles.c.invite_id == invite_id,
                        votes.c.id < vote_id,
                    )
                ).scalar_one()
                if int(earlier) < limit:
                    continue
                conn.execute(
                    update(votes)
                    .where(votes.c.id == vote_id)
                    .values(counted=False, reason=VoteReason.INVITE_LIMIT.value)
                )
                cell = [0, 0, 0, 0]
                cell[OUTCOME[Verdict(verdict)]] = -1
                pair_count_cache.bump(conn, {(source, category, a, b): cell})
                uncounted += 1
        return uncounted
