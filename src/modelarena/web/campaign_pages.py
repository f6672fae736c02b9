"""Campaigns in the browser: ``/c/{token}`` (an invite's or the owner's link) and its JSON
API under ``/api/c/{token}``; ``/campaigns/{name}`` for a campaign its owner published.

A link is the only way in: a voter is served the campaign's prompts (two anonymous answers,
generated in the background), votes, and sees the board fill, their progress and whether
the campaign is decided; the owner also sees the prompts and the invites, adds prompts
written in the page, invites, revokes, publishes and stops. Nothing here answers for a
campaign without a valid link (a published one shows its board, never its prompts).

A voter may also take a campaign prompt as a four-model tournament: see
:mod:`.campaign_tournaments`, which opens links the same way (:func:`campaign_link`).
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

import anyio.to_thread
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, Field

from modelarena.battles.records import Battle, BattleStatus
from modelarena.campaigns import (
    Access,
    CampaignError,
    CampaignService,
    PromptFileError,
    prompts_from_text,
)
from modelarena.store import BattleNotFound
from modelarena.store.campaigns import CampaignNotFound, CampaignRecord
from modelarena.web.api import CsrfSession, session_of
from modelarena.web.context import Ctx, WebContext, valid_battle_id
from modelarena.web.errors import ApiError
from modelarena.web.pages import render
from modelarena.web.proxy import client_ip
from modelarena.web.quota import count_battle, count_vote
from modelarena.web.render import design_url
from modelarena.web.security import resolve_secret_key
from modelarena.web.views import rendered

router = APIRouter()

STATUS_CODES = {
    "bad_link": 404,
    "revoked": 403,
    "vote_limit": 403,
    "campaign_stopped": 409,
    "not_in_campaign": 404,
    "battle_not_found": 404,
    "not_your_battle": 403,
    "unknown_verdict": 400,
    "duplicate": 409,
    "incomplete": 409,
    "battle_failed": 409,
    "model_unavailable": 503,
    "owner_only": 403,
    "not_enough_models": 409,
    "not_your_tournament": 404,
    "not_voting": 409,
    "stale_match": 409,
}

LanguageQuery = Annotated[
    str | None, Query(description="Only battles in this language (ISO 639-1, e.g. zh)")
]


class CampaignVote(BaseModel):
    verdict: str = Field(description="a, b, tie or both_bad", examples=["a"])


class NewInvite(BaseModel):
    votes_limit: int | None = Field(None, ge=1, description="Votes the link may cast in all")
    label: str | None = Field(None, max_length=128, description="Whom the link is for")


class NewPrompts(BaseModel):
    text: str = Field(description="Prompts, one per paragraph (a blank line between)")


class Flag(BaseModel):
    value: bool = Field(description="Publish (or stop) when true; undo when false")


def _service(request: Request, ctx: WebContext) -> CampaignService:
    state = request.app.state
    service: CampaignService | None = getattr(state, "campaign_service", None)
    if service is None or service.arena is not ctx.arena:
        settings = ctx.arena.settings
        secret, _ = resolve_secret_key(settings.secret_key, settings.database_url)
        service = CampaignService(ctx.arena, secret)
        state.campaign_service = service
        state.campaign_tasks = {}
    return service


def campaign_refused(exc: CampaignError | PromptFileError) -> ApiError:
    code = getattr(exc, "code", "bad_prompts")
    return ApiError(STATUS_CODES.get(code, 400), code, str(exc))


def _access(service: CampaignService, token: str) -> Access:
    try:
        return service.access(token)
    except CampaignError as exc:
        raise campaign_refused(exc) from None


def campaign_link(
    request: Request, ctx: WebContext, token: str, *, owner: bool = False
) -> tuple[CampaignService, Access]:
    """The service and the access a link gives (refused when it is not valid, or, with
    ``owner``, when it is not the owner's)."""
    service = _service(request, ctx)
    access = _access(service, token)
    if owner and not access.owner:
        raise ApiError(403, "owner_only", "only the campaign's owner can do this")
    return service, access


def _published(ctx: WebContext, name: str) -> CampaignRecord | None:
    """The campaign of that name when its owner published it."""
    try:
        campaign = ctx.arena.store.campaigns.get(name)
    except CampaignNotFound:
        return None
    return campaign if campaign.published else None


def _battle_id(battle_id: str) -> None:
    if not valid_battle_id(battle_id):
        raise ApiError(404, "battle_not_found", "no such battle")


def keep_task(request: Request, key: str, task: asyncio.Task[Any]) -> None:
    """Hold the generating task under ``key`` until it ends (a reload finds it there)."""
    tasks: dict[str, asyncio.Task[Any]] = request.app.state.campaign_tasks
    tasks[key] = task
    task.add_done_callback(lambda _: tasks.pop(key, None))


def _language(value: str | None) -> str | None:
    v = (value or "").strip().lower()
    if not v:
        return None
    if not (2 <= len(v) <= 3 and v.isalpha() and v.isascii()):
        raise ApiError(
            400, "bad_language", f"language must be an ISO 639-1 code such as zh, got {v!r}"
        )
    return v


def _status(
    service: CampaignService,
    campaign: CampaignRecord,
    access: Access | None,
    voter: str | None,
    language: str | None,
) -> dict[str, Any]:
    """The campaign's state for a link (``access``) or, without one, for a published
    board: the board, progress and decision; the owner also gets prompts and invites."""
    status = service.status(campaign, language=language)
    out = status.to_dict()
    names = {m: service.arena.model_info(m).display_name for m in campaign.models}
    out["display_names"] = names
    out["owner"] = access is not None and access.owner
    if access is not None and voter is not None:
        out["my_votes"] = service.store.campaign_votes.votes_by(campaign.id, voter=voter)
        out["votes_left"] = service.votes_left(access)
    if access is not None and access.owner:
        c = campaign
        out["prompt_list"] = [
            {"prompt": p.prompt, "language": p.language}
            for p in service.store.campaigns.prompts(c.id)
        ]
        out["invites"] = [
            {
                "id": i.id,
                "label": i.label,
                "votes_limit": i.votes_limit,
                "votes": service.store.campaign_votes.votes_by(c.id, invite_id=i.id),
                "revoked": i.revoked_at is not None,
            }
            for i in service.store.campaigns.invites(c.id)
        ]
    return out


def _battle_view(access: Access, battle: Battle, prompt: str) -> dict[str, Any]:
    """A served battle as the voter sees it: anonymous, answers once both are complete."""
    out: dict[str, Any] = {"id": battle.id, "status": battle.status.value, "prompt": prompt}
    if battle.status is BattleStatus.COMPLETE:
        for side in ("a", "b"):
            answer = battle.answer(0, side)
            content = answer.content if answer else ""
            view = {"content": content, **rendered(battle.category, content)}
            if view["kind"] == "design":
                view["src"] = design_url(battle.id, 0, side)
            out[side] = view
    return out


def _generate(request: Request, service: CampaignService, battle: Battle, prompt: str) -> None:
    """Start generating a served battle's answers, once (a reload does not start another)."""
    if battle.status is not BattleStatus.PENDING or battle.turns > 0:
        return
    if battle.id in request.app.state.campaign_tasks:
        return
    keep_task(request, battle.id, asyncio.create_task(service.generate(battle.id, prompt)))


# ------------------------------------------------------------------- pages
@router.get("/c/{token}", response_class=HTMLResponse, include_in_schema=False)
def campaign_page(token: str, request: Request, ctx: Ctx) -> Response:
    service = _service(request, ctx)
    try:
        access = service.access(token)
    except CampaignError as exc:
        return render(
            request,
            "error.html",
            {"title": "Campaign link", "message": str(exc)},
            status=STATUS_CODES.get(exc.code, 400),
        )
    return render(
        request,
        "campaign.html",
        {"title": access.campaign.name, "campaign": access.campaign, "token": token,
         "owner": access.owner, "public": False},
        designs=True,
    )  # fmt: skip


@router.get("/campaigns/{name}", response_class=HTMLResponse, include_in_schema=False)
def published_page(name: str, request: Request, ctx: Ctx) -> Response:
    campaign = _published(ctx, name)
    if campaign is None:
        message = "no such campaign (or its owner keeps it private)"
        return render(request, "error.html", {"title": "Campaign", "message": message}, status=404)
    return render(
        request,
        "campaign.html",
        {"title": campaign.name, "campaign": campaign, "token": "", "owner": False,
         "public": True},
    )  # fmt: skip


# --------------------------------------------------------------------- API
@router.get("/api/campaigns/{name}", summary="A published campaign's board (no prompts)")
async def published_status(
    name: str, request: Request, ctx: Ctx, language: LanguageQuery = None
) -> dict[str, Any]:
    service = _service(request, ctx)
    lang = _language(language)

    def read() -> dict[str, Any]:
        campaign = _published(ctx, name)
        if campaign is None:
            raise ApiError(404, "campaign_not_found", "no such campaign")
        return _status(service, campaign, None, None, lang)

    return await anyio.to_thread.run_sync(read)


@router.get("/api/c/{token}", summary="A campaign through its link: board, progress, decision")
async def link_status(
    token: str, request: Request, ctx: Ctx, language: LanguageQuery = None
) -> dict[str, Any]:
    service = _service(request, ctx)
    lang = _language(language)
    voter = session_of(request).id

    def read() -> dict[str, Any]:
        access = _access(service, token)
        return _status(service, access.campaign, access, voter, lang)

    return await anyio.to_thread.run_sync(read)


@router.post("/api/c/{token}/next", summary="The next battle to vote on (served, not typed)")
async def next_battle(
    token: str, request: Request, session: CsrfSession, ctx: Ctx
) -> dict[str, Any]:
    service, access = campaign_link(request, ctx, token)
    count_battle(ctx, session.id, client_ip(request))
    try:
        battle, prompt = await anyio.to_thread.run_sync(service.next_battle, access, session.id)
    except CampaignError as exc:
        raise campaign_refused(exc) from None
    _generate(request, service, battle, prompt.prompt)
    return _battle_view(access, battle, prompt.prompt)


@router.get("/api/c/{token}/battles/{battle_id}", summary="A served battle: answers when ready")
async def get_battle(token: str, battle_id: str, request: Request, ctx: Ctx) -> dict[str, Any]:
    service, access = campaign_link(request, ctx, token)
    voter = session_of(request).id
    _battle_id(battle_id)

    def read() -> dict[str, Any]:
        try:
            battle = service.arena.battle(battle_id)
        except BattleNotFound:
            raise ApiError(404, "battle_not_found", "no such battle") from None
        if battle.session_id != service.battle_owner(access.campaign, voter):
            raise ApiError(404, "battle_not_found", "no such battle")
        prompts = {p.id: p.prompt for p in service.store.campaigns.prompts(access.campaign.id)}
        served = service.store.campaigns.served(access.campaign.id, battle_id)
        assert served is not None
        return _battle_view(access, battle, prompts[served.prompt_id])

    return await anyio.to_thread.run_sync(read)


@router.post("/api/c/{token}/battles/{battle_id}/vote", summary="Vote on a served battle")
async def vote(
    token: str,
    battle_id: str,
    body: CampaignVote,
    request: Request,
    session: CsrfSession,
    ctx: Ctx,
) -> dict[str, Any]:
    service, access = campaign_link(request, ctx, token)
    _battle_id(battle_id)
    ip = client_ip(request)
    await count_vote(ctx, session.id, ip)
    try:
        record = await service.vote(
            access, session.id, battle_id, body.verdict, ip_hash=ctx.codec.hash_ip(ip)
        )
    except CampaignError as exc:
        raise campaign_refused(exc) from None
    battle = record.battle
    assert battle is not None
    info = service.arena.model_info
    return {
        "verdict": record.verdict.value,
        "counted": record.counted,
        "not_counted_reason": record.reason,
        "reveal": {"a": info(battle.model_a).display_name, "b": info(battle.model_b).display_name},
    }


@router.post("/api/c/{token}/invites", summary="Owner: a new invite link")
async def new_invite(
    token: str, body: NewInvite, request: Request, session: CsrfSession, ctx: Ctx
) -> dict[str, Any]:
    service, access = campaign_link(request, ctx, token, owner=True)
    record, link = service.invite(access.campaign, votes_limit=body.votes_limit, label=body.label)
    return {"id": record.id, "url": f"/c/{link}", "votes_limit": record.votes_limit}


@router.post("/api/c/{token}/invites/{invite_id}/revoke", summary="Owner: revoke an invite")
async def revoke_invite(
    token: str, invite_id: str, request: Request, session: CsrfSession, ctx: Ctx
) -> dict[str, Any]:
    service, access = campaign_link(request, ctx, token, owner=True)
    if not valid_battle_id(invite_id):
        raise ApiError(404, "invite_not_found", "no such invite")
    mine = {i.id for i in service.store.campaigns.invites(access.campaign.id)}
    if invite_id not in mine:
        raise ApiError(404, "invite_not_found", "no such invite")
    record = service.revoke(invite_id)
    return {"id": record.id, "revoked": True}


@router.post("/api/c/{token}/prompts", summary="Owner: add prompts written in the page")
async def add_prompts(
    token: str, body: NewPrompts, request: Request, session: CsrfSession, ctx: Ctx
) -> dict[str, Any]:
    service, access = campaign_link(request, ctx, token, owner=True)
    try:
        prompts = prompts_from_text(body.text)
        for i, p in enumerate(prompts, start=1):
            try:
                service.arena.validate_prompt(p.text)
            except ValueError as exc:
                raise CampaignError("bad_prompt", f"prompt {i}: {exc}") from None
    except (CampaignError, PromptFileError) as exc:
        raise campaign_refused(exc) from None
    added = service.store.campaigns.add_prompts(access.campaign.id, [p.as_row() for p in prompts])
    return {"added": added}


@router.post("/api/c/{token}/publish", summary="Owner: publish the board (or make it private)")
async def publish(
    token: str, body: Flag, request: Request, session: CsrfSession, ctx: Ctx
) -> dict[str, Any]:
    service, access = campaign_link(request, ctx, token, owner=True)
    service.store.campaigns.set_published(access.campaign.id, body.value)
    return {"published": body.value}


@router.post("/api/c/{token}/stop", summary="Owner: stop serving battles (or resume)")
async def stop(
    token: str, body: Flag, request: Request, session: CsrfSession, ctx: Ctx
) -> dict[str, Any]:
    service, access = campaign_link(request, ctx, token, owner=True)
    service.store.campaigns.set_stopped(access.campaign.id, body.value)
    return {"stopped": body.value}
