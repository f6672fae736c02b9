"""Four-model tournaments on a campaign's prompts, through its links: the tournaments'
runner draws the campaign's models, casts the votes as the campaign's source, and each
match counts as a battle served to the voter."""

from __future__ import annotations

import asyncio
from typing import Any

import anyio.to_thread
from fastapi import APIRouter, Request

from modelarena.campaigns import Access, CampaignError, CampaignService
from modelarena.store.tournaments import DONE
from modelarena.tournaments import Progress, TournamentError, TournamentRunner
from modelarena.web.api import CsrfSession, session_of
from modelarena.web.campaign_pages import (
    STATUS_CODES,
    campaign_link,
    campaign_refused,
    keep_task,
)
from modelarena.web.context import Ctx
from modelarena.web.errors import ApiError
from modelarena.web.proxy import client_ip
from modelarena.web.quota import count_battle
from modelarena.web.tournament_pages import TournamentVote, decide, progress_of, runner_of
from modelarena.web.tournament_pages import view as tournament_view

router = APIRouter()


def _tournament_refused(exc: TournamentError) -> ApiError:
    return ApiError(STATUS_CODES.get(exc.code, 400), exc.code, str(exc))


async def _campaign_tournament(
    service: CampaignService, runner: TournamentRunner, access: Access, voter: str, tid: str
) -> Progress:
    """The tournament, when it is this voter's on this campaign (404 otherwise)."""
    progress = await progress_of(runner, tid)
    if progress.tournament.owner != service.battle_owner(access.campaign, voter):
        raise ApiError(404, "tournament_not_found", "no such tournament")
    return progress


def _link_matches(service: CampaignService, access: Access, voter: str, progress: Progress) -> None:
    """Count every match opened so far (round 2 opens after round 1) as served."""
    t = progress.tournament
    first = service.store.campaigns.served(access.campaign.id, t.matches[0].battle_id)
    if first is not None:
        prompt = service.prompt(access.campaign, first.prompt_id)
        service.link_tournament(access, voter, prompt, [m.battle_id for m in t.matches])


@router.post("/api/c/{token}/tournaments", summary="A four-model tournament on the next prompt")
async def start_tournament(
    token: str, request: Request, session: CsrfSession, ctx: Ctx
) -> dict[str, Any]:
    service, access = campaign_link(request, ctx, token)
    runner = runner_of(request, ctx)
    count_battle(ctx, session.id, client_ip(request))
    try:
        prompt, models = service.tournament_draw(access, session.id)
        t = runner.start(
            access.campaign.category,
            prompt.prompt,
            owner=service.battle_owner(access.campaign, session.id),
            models=models,
            source=access.campaign.source,
        )
    except CampaignError as exc:
        raise campaign_refused(exc) from None
    except TournamentError as exc:
        raise _tournament_refused(exc) from None
    service.link_tournament(access, session.id, prompt, [m.battle_id for m in t.matches])
    keep_task(request, t.id, asyncio.create_task(runner.generate(t.id, prompt.prompt)))
    return {"id": t.id, "status": t.status, "prompt": prompt.prompt}


@router.get("/api/c/{token}/tournaments/{tournament_id}", summary="A campaign tournament")
async def get_tournament(
    token: str, tournament_id: str, request: Request, ctx: Ctx
) -> dict[str, Any]:
    service, access = campaign_link(request, ctx, token)
    voter = session_of(request).id
    progress = await _campaign_tournament(
        service, runner_of(request, ctx), access, voter, tournament_id
    )
    return tournament_view(ctx, progress, owner=True)


@router.post(
    "/api/c/{token}/tournaments/{tournament_id}/vote",
    summary="Decide a campaign tournament's match",
)
async def vote_tournament(
    token: str,
    tournament_id: str,
    body: TournamentVote,
    request: Request,
    session: CsrfSession,
    ctx: Ctx,
) -> dict[str, Any]:
    service, access = campaign_link(request, ctx, token)
    runner = runner_of(request, ctx)
    await _campaign_tournament(service, runner, access, session.id, tournament_id)
    if access.campaign.stopped_at is not None:
        raise ApiError(409, "campaign_stopped", "this campaign is stopped: thank you")
    progress = await decide(
        ctx,
        request,
        runner,
        tournament_id,
        body,
        voter=session.id,
        owner=service.battle_owner(access.campaign, session.id),
        refused=_tournament_refused,
    )
    await anyio.to_thread.run_sync(_link_matches, service, access, session.id, progress)
    if progress.tournament.status == DONE:  # its votes are cast: none past the link's limit
        battle_ids = [m.battle_id for m in progress.tournament.matches]
        await anyio.to_thread.run_sync(service.uncount_past_limit, access, battle_ids)
    return tournament_view(ctx, progress, owner=True)
