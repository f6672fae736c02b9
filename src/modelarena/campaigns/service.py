"""Campaigns on an arena: create one, invite voters, serve its prompts, take their votes,
and read its board, its progress and whether to stop.

Privacy: a campaign's battles belong to an owner tag (``campaign:<id>:<session>``) that no
public session has, so the public vote, follow-up and reveal paths refuse them; its votes
have the source ``campaign:<id>``, so the public board (source ``human``) never counts
them; its battles are never revealed in the store, so the public model pages never list
them. Only a signed link (an invite, or the owner's) opens the campaign's page.
"""

from __future__ import annotations

import asyncio
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from itsdangerous import BadSignature, URLSafeSerializer

from modelarena.arena import Arena, ArenaError
from modelarena.battles.categories import UnknownCategory, get_category
from modelarena.battles.records import Battle, Verdict, VoteRecord
from modelarena.campaigns.prompt_files import CampaignPrompt
from modelarena.campaigns.status import CONFIDENCE, CampaignStatus, campaign_status
from modelarena.store import BattleNotFound, VoteRejected
from modelarena.store.campaigns import (
    CampaignExists,
    CampaignNotFound,
    CampaignRecord,
    InviteNotFound,
    InviteRecord,
    PromptRecord,
)

TOKEN_SALT = "modelarena.campaign-link"
TOURNAMENT_VOTES = 4  # the matches of a four-model tournament, each cast as a vote


class CampaignError(ValueError):
    """A refusal with a code (for the API) and a one-line message naming the fix."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Access:
    """What a link opens: a campaign, as its owner or through an invite."""

    campaign: CampaignRecord
    invite: InviteRecord | None  # None for the owner's link

    @property
    def owner(self) -> bool:
        return self.invite is None


class CampaignService:
    """Campaigns on one arena; ``secret`` signs their links (the web's session key)."""

    def __init__(self, arena: Arena, secret: str, *, rng: random.Random | None = None) -> None:
        self.arena = arena
        self.store = arena.store
        self._signer = URLSafeSerializer(secret, salt=TOKEN_SALT)
        self._rng = rng or random.Random()

    # ---------------------------------------------------------------- create
    def create(
        self,
        name: str,
        prompts: Sequence[CampaignPrompt],
        *,
        models: Sequence[str],
        category: str = "chat",
        target_votes: int | None = None,
        target_width: float | None = None,
        confidence: float = CONFIDENCE,
        owner: str = "cli",
    ) -> CampaignRecord:
        name = name.strip()
        if not name or len(name) > 128 or any(ch in name for ch in "/?#"):
            raise CampaignError("bad_name", "name the campaign with 1-128 characters, no / ? #")
        try:
            get_category(category)
        except UnknownCategory as exc:
            raise CampaignError("unknown_category", str(exc)) from None
        chosen = list(dict.fromkeys(m.strip() for m in models if m.strip()))
        unknown = [m for m in chosen if m not in self.arena.contestants]
        if unknown:
            known = ", ".join(sorted(self.arena.contestants)) or "none"
            raise CampaignError(
                "unknown_model",
                f"unknown model {unknown[0]!r}; configured models: {known} (arena models list)",
            )
        if len(chosen) < 2:
            raise CampaignError("bad_models", "a campaign needs at least two different models")
        if (target_votes is None) == (target_width is None):
            raise CampaignError(
                "bad_target", "give one target: --target-votes N (per model) or --target-width W"
            )
        if target_votes is not None and target_votes < 1:
            raise CampaignError("bad_target", "--target-votes must be at least 1")
        if target_width is not None and not (math.isfinite(target_width) and target_width > 0):
            raise CampaignError("bad_target", "--target-width must be a positive number of points")
        if not 0.5 <= confidence < 1.0:
            raise CampaignError("bad_confidence", "--confidence must be at least 0.5 and below 1")
        for i, p in enumerate(prompts, start=1):
            try:
                self.arena.validate_prompt(p.text)
            except ArenaError as exc:
                raise CampaignError(exc.code, f"prompt {i}: {exc}") from None
        if not prompts:
            raise CampaignError("no_prompts", "a campaign needs at least one prompt")
        try:
            return self.store.campaigns.create(
                name=name,
                owner=owner,
                category=category,
                models=chosen,
                prompts=[p.as_row() for p in prompts],
                target_votes=target_votes,
                target_width=target_width,
                confidence=confidence,
            )
        except CampaignExists as exc:
            raise CampaignError("campaign_exists", str(exc)) from None

    def get(self, name: str) -> CampaignRecord:
        try:
            return self.store.campaigns.get(name)
        except CampaignNotFound as exc:
            raise CampaignError("campaign_not_found", str(exc)) from None

    # ----------------------------------------------------------------- links
    def owner_token(self, campaign: CampaignRecord) -> str:
        return str(self._signer.dumps({"o": campaign.id}))

    def invite(
        self, campaign: CampaignRecord, *, votes_limit: int | None, label: str | None = None
    ) -> tuple[InviteRecord, str]:
        if votes_limit is not None and votes_limit < 1:
            raise CampaignError("bad_limit", "--votes-limit must be at least 1")
        record = self.store.campaigns.add_invite(campaign.id, votes_limit=votes_limit, label=label)
        return record, str(self._signer.dumps({"i": record.id}))

    def _payload(self, token: str) -> dict[str, Any]:
        try:
            data = self._signer.loads(token.strip())
        except BadSignature:
            raise CampaignError(
                "bad_link", "this campaign link is not valid; ask its owner for a new one"
            ) from None
        if not isinstance(data, dict):
            raise CampaignError("bad_link", "this campaign link is not valid")
        return data

    def revoke(self, token: str) -> InviteRecord:
        """Revoke the invite a link (or a bare invite id) names."""
        data = self._payload(token) if "." in token else {"i": token.strip()}
        invite_id = data.get("i")
        if not isinstance(invite_id, str):
            raise CampaignError(
                "bad_link", "that is an owner link, not an invite: nothing to revoke"
            )
        try:
            self.store.campaigns.revoke(invite_id)
            return self.store.campaigns.invite(invite_id)
        except InviteNotFound:
            raise CampaignError("invite_not_found", f"no invite {invite_id!r}") from None

    def access(self, token: str) -> Access:
        """The campaign a link opens. Raises :class:`CampaignError` (``bad_link``,
        ``revoked``)."""
        data = self._payload(token)
        try:
            if isinstance(data.get("o"), str):
                return Access(self.store.campaigns.get(data["o"]), None)
            invite = self.store.campaigns.invite(str(data.get("i")))
            campaign = self.store.campaigns.get(invite.campaign_id)
        except (CampaignNotFound, InviteNotFound):
            raise CampaignError("bad_link", "this campaign no longer exists") from None
        if invite.revoked_at is not None:
            raise CampaignError("revoked", "this invite link was revoked by the campaign's owner")
        return Access(campaign, invite)

    # ------------------------------------------------------------ the voting
    @staticmethod
    def battle_owner(campaign: CampaignRecord, voter: str) -> str:
        """The session tag of a campaign battle: no public session has it."""
        return f"campaign:{campaign.id}:{voter}"[:64]

    def votes_left(self, access: Access) -> int | None:
        """Votes this invite may still cast (None: no limit)."""
        invite = access.invite
        if invite is None or invite.votes_limit is None:
            return None
        used = self.store.campaign_votes.votes_by(access.campaign.id, invite_id=invite.id)
        return max(invite.votes_limit - used, 0)

    def _check_open(self, access: Access) -> None:
        if access.campaign.stopped_at is not None:
            raise CampaignError("campaign_stopped", "this campaign is stopped: thank you")
        if self.votes_left(access) == 0:
            raise CampaignError("vote_limit", "this invite link has used all its votes")

    def next_battle(self, access: Access, voter: str) -> tuple[Battle, PromptRecord]:
        """The battle to show ``voter``: the one served and not voted yet, else a new one on
        the prompt and pair that fill the gaps first (no answers yet: see generate)."""
        self._check_open(access)
        c = access.campaign
        prompts = {p.id: p for p in self.store.campaigns.prompts(c.id)}
        for served in self.store.campaigns.open_battles(c.id, voter):
            return self.arena.battle(served.battle_id), prompts[served.prompt_id]
        prompt, a, b = self.choose(c, voter, list(prompts.values()))
        if self._rng.random() < 0.5:
            a, b = b, a
        battle = self.arena.start_battle(
            c.category, prompt.prompt, session_id=self.battle_owner(c, voter), models=[a, b]
        )
        self.store.campaigns.link_battle(
            battle.id,
            campaign_id=c.id,
            prompt_id=prompt.id,
            invite_id=access.invite.id if access.invite else None,
            voter=voter,
            language=prompt.language,
        )
        return battle, prompt

    def choose(
        self, campaign: CampaignRecord, voter: str, prompts: Sequence[PromptRecord]
    ) -> tuple[PromptRecord, str, str]:
        """The prompt and pair to serve next: the arena's adaptive pair probabilities on the
        campaign's own votes (most information first), divided by one plus the votes that
        prompt and pair have (fewest first); never a prompt and pair this voter saw, while
        there are others. Ties are broken at random."""
        from modelarena.adaptive_pairing import adaptive_pair_matrix

        models = [m for m in campaign.models if m in self.arena.contestants]
        excluded = self.arena.excluded_models()
        active = [m for m in models if m not in excluded]
        if len(active) < 2:
            raise CampaignError("model_unavailable", "the campaign's models are not available")
        matrix = adaptive_pair_matrix(self.store, active, frozenset(), sources=(campaign.source,))
        counts = self.store.campaign_votes.prompt_pair_votes(campaign.id)
        seen = self.store.campaigns.voter_prompts(campaign.id, voter)
        best: list[tuple[float, PromptRecord, str, str]] = []
        for fresh_only in (True, False):
            for (a, b), prob in matrix.items():
                lo, hi = sorted((a, b))
                for p in prompts:
                    key = (p.id, lo, hi)
                    if fresh_only and key in seen:
                        continue
                    best.append((prob / (1.0 + counts.get(key, 0)), p, a, b))
            if best:
                break
        top = max(score for score, *_ in best)
        picks = [x for x in best if x[0] >= top * (1 - 1e-9)]
        _, prompt, a, b = self._rng.choice(picks)
        return prompt, a, b

    def tournament_draw(self, access: Access, voter: str) -> tuple[PromptRecord, list[str]]:
        """A prompt and four of the campaign's models for a four-model tournament (run by
        :mod:`modelarena.tournaments`, its votes cast as the campaign's source): the prompt
        with the fewest counted votes this voter has not seen, and the four models with the
        fewest votes (ties at random)."""
        self._check_open(access)
        left = self.votes_left(access)
        if left is not None and left < TOURNAMENT_VOTES:
            raise CampaignError(
                "vote_limit", f"a tournament casts {TOURNAMENT_VOTES} votes; this link has {left}"
            )
        c = access.campaign
        excluded = self.arena.excluded_models()
        models = [m for m in c.models if m in self.arena.contestants and m not in excluded]
        if len(models) < 4:
            raise CampaignError(
                "not_enough_models", "a tournament needs four of the campaign's models"
            )
        counts = self.store.campaign_votes.prompt_pair_votes(c.id)
        per_prompt: dict[int, int] = {}
        per_model: dict[str, int] = {m: 0 for m in models}
        for (prompt_id, a, b), n in counts.items():
            per_prompt[prompt_id] = per_prompt.get(prompt_id, 0) + n
            for m in (a, b):
                if m in per_model:
                    per_model[m] += n
        seen = {p for p, _, _ in self.store.campaigns.voter_prompts(c.id, voter)}
        prompts = self.store.campaigns.prompts(c.id)
        fresh = [p for p in prompts if p.id not in seen] or prompts
        fewest = min(per_prompt.get(p.id, 0) for p in fresh)
        prompt = self._rng.choice([p for p in fresh if per_prompt.get(p.id, 0) == fewest])
        order = sorted(models, key=lambda m: (per_model[m], self._rng.random()))
        return prompt, order[:4]

    def link_tournament(
        self, access: Access, voter: str, prompt: PromptRecord, battle_ids: Sequence[str]
    ) -> None:
        """Count a tournament's matches as the campaign's battles served to ``voter``."""
        self.store.campaigns.link_more(
            battle_ids,
            campaign_id=access.campaign.id,
            prompt_id=prompt.id,
            invite_id=access.invite.id if access.invite else None,
            voter=voter,
            language=prompt.language,
        )

    def prompt(self, campaign: CampaignRecord, prompt_id: int) -> PromptRecord:
        found = [p for p in self.store.campaigns.prompts(campaign.id) if p.id == prompt_id]
        if not found:
            raise CampaignError("prompt_not_found", "no such prompt in this campaign")
        return found[0]

    async def generate(self, battle_id: str, prompt: str) -> Battle:
        """Both answers, stored (a failure fails the battle; the voter gets another)."""
        try:
            return await self.arena.run_turn(battle_id, prompt)
        except ArenaError:
            return self.arena.battle(battle_id)

    async def vote(
        self,
        access: Access,
        voter: str,
        battle_id: str,
        verdict: Verdict | str,
        *,
        ip_hash: str | None = None,
    ) -> VoteRecord:
        """The voter's vote on a battle served to them, through the arena's one vote door
        (source ``campaign:<id>``). An answer that names its model stores the vote
        uncounted, as the public arena does."""
        self._check_open(access)
        c = access.campaign
        served = self.store.campaigns.served(c.id, battle_id)
        if served is None:
            raise CampaignError("not_in_campaign", "this battle is not one of the campaign's")
        try:
            parsed = verdict if isinstance(verdict, Verdict) else Verdict.parse(verdict)
        except ValueError:
            raise CampaignError("unknown_verdict", "use one of: a, b, tie, both_bad") from None
        battle = self.arena.battle(battle_id)
        reason = "identity_leak" if battle.identity_leak else None
        try:
            record = await self.arena.avote(
                battle_id,
                parsed,
                voter=voter,
                source=c.source,
                ip_hash=ip_hash,
                owner=self.battle_owner(c, voter),
                refuse_failed=True,
                not_counted_reason=reason,
            )
        except VoteRejected as exc:
            raise CampaignError(exc.code, str(exc)) from None
        except BattleNotFound:
            raise CampaignError("battle_not_found", "no such battle") from None
        if await asyncio.to_thread(self.uncount_past_limit, access, [battle_id]):
            # it raced another vote of this link to the link's last vote, and came second
            raise CampaignError("vote_limit", "this invite link has used all its votes")
        return record

    def uncount_past_limit(self, access: Access, battle_ids: Sequence[str]) -> int:
        """After votes on ``battle_ids`` are stored: those past the invite's limit stop
        counting (the limit is checked before a vote, but two votes at once both pass the
        check); how many."""
        invite = access.invite
        if invite is None or invite.votes_limit is None:
            return 0
        return self.store.campaign_votes.uncount_past_limit(
            access.campaign.id,
            invite_id=invite.id,
            limit=invite.votes_limit,
            battle_ids=battle_ids,
        )

    def status(self, campaign: CampaignRecord, *, language: str | None = None) -> CampaignStatus:
        """The campaign's board, its progress to the target and whether to stop."""
        return campaign_status(self.arena, campaign, language=language)
