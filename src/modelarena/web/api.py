"""The JSON API. Everything the pages do goes through it (schema at ``/openapi.json``).

State-changing requests (every POST) need the CSRF token of the session in the
``X-CSRF-Token`` header: ``GET /api/session`` returns it (the pages carry it in a meta tag).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, Any

import anyio.to_thread
from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, Field

from modelarena.arena import ArenaError
from modelarena.battles.categories import CATEGORIES, UnknownCategory, get_category
from modelarena.battles.pairing import NotEnoughModels
from modelarena.battles.records import Battle, BattleStatus, Verdict
from modelarena.integrity.ratelimit import RateLimited
from modelarena.leaderboard import LeaderboardFilters
from modelarena.store import BattleNotFound, VoteRejected
from modelarena.web.boards import FilterError, finite, opponent_record, parse_filters
from modelarena.web.context import Ctx, WebContext, valid_battle_id
from modelarena.web.errors import ApiError
from modelarena.web.proxy import client_ip
from modelarena.web.security import CSRF_HEADER, SAFE_METHODS, Session, csrf_ok
from modelarena.web.sse import format_sse
from modelarena.web.views import (
    battle_view,
    has_human_vote,
    is_revealed,
    model_card,
    reveal_view,
)

router = APIRouter(prefix="/api", tags=["api"])


# ------------------------------------------------------------------- plumbing
def session_of(request: Request) -> Session:
    session: Session = request.state.session
    return session


async def require_csrf(request: Request) -> Session:
    # async, as every cheap dependency here: FastAPI runs a plain ``def`` dependency on its
    # thread pool, a hop that cost more than the check itself
    session = session_of(request)
    if request.method not in SAFE_METHODS and not csrf_ok(
        session, request.headers.get(CSRF_HEADER)
    ):
        raise ApiError(
            403,
            "csrf",
            "missing or wrong CSRF token: send the session's token "
            "(GET /api/session) in the X-CSRF-Token header",
        )
    return session


CsrfSession = Annotated[Session, Depends(require_csrf)]


def load_battle(ctx: WebContext, battle_id: str) -> Battle:
    if not valid_battle_id(battle_id):
        raise ApiError(404, "battle_not_found", "no such battle")
    try:
        return ctx.arena.battle(battle_id)  # a turn lost in a crash is marked failed
    except BattleNotFound:
        raise ApiError(404, "battle_not_found", "no such battle") from None


def require_owner(battle: Battle, session: Session) -> None:
    if battle.session_id != session.id:
        raise ApiError(
            403,
            "not_your_battle",
            "only the person who started this battle can continue it or vote on it",
        )


def checked_prompt(ctx: WebContext, text: str) -> str:
    """The prompt, validated by the arena, or a clear 400 (never a crash further down)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise ApiError(
            400, "invalid_text", "the prompt is not valid Unicode text (it holds a lone surrogate)"
        ) from None
    if "\x00" in text:
        raise ApiError(400, "invalid_text", "the prompt contains a NUL character")
    try:
        return ctx.arena.validate_prompt(text)
    except ArenaError as exc:
        raise ApiError(400, exc.code, str(exc)) from None


def vote_refused(exc: BattleNotFound | VoteRejected) -> ApiError:
    if isinstance(exc, BattleNotFound):
        return ApiError(404, "battle_not_found", "no such battle")
    if exc.code == "not_your_battle":
        return ApiError(
            403,
            "not_your_battle",
            "only the person who started this battle can continue it or vote on it",
        )
    return ApiError(409, exc.code, str(exc))


def rate_limited(exc: RateLimited) -> ApiError:
    return ApiError(429, "rate_limited", str(exc), {"Retry-After": str(exc.retry_after_s)})


# ---------------------------------------------------------------------- models
class NewBattle(BaseModel):
    prompt: str = Field(description="What to ask both models", examples=["Explain DNS."])
    category: str = Field("chat", description="One of the categories (GET /api/categories)")


class NewTurn(BaseModel):
    prompt: str = Field(description="The follow-up, sent to both models")


class NewVote(BaseModel):
    verdict: str = Field(description="a, b, tie or both_bad", examples=["a"])


class Created(BaseModel):
    id: str
    category: str
    turn: int
    status: str
    stream_url: str
    battle_url: str


# --------------------------------------------------------------------- routes
@router.get("/session", summary="The session's CSRF token (sets the session cookie)")
async def get_session(request: Request) -> dict[str, str]:
    return {"csrf_token": session_of(request).csrf}


@router.get("/categories", summary="Battle categories")
async def get_categories() -> list[dict[str, Any]]:
    return [
        {"id": c.id, "label": c.label, "design": c.design, "example": c.example}
        for c in CATEGORIES.values()
    ]


@router.post(
    "/battles",
    status_code=201,
    response_model=Created,
    summary="Start a battle: two anonymous models answer the prompt",
)
async def create_battle(
    body: NewBattle,
    request: Request,
    session: CsrfSession,
    ctx: Ctx,
) -> Created:
    arena = ctx.arena
    try:
        get_category(body.category)
    except UnknownCategory as exc:
        raise ApiError(
            400, "unknown_category", str(exc).encode("utf-8", "replace").decode()
        ) from None
    prompt = checked_prompt(ctx, body.prompt)
    ip = client_ip(request)
    try:
        ctx.limiter.admit_session(session.id, ip)  # a new voter id counts for its address
        ctx.limiter.hit_battle(session.id, ip)
    except RateLimited as exc:
        raise rate_limited(exc) from None
    try:
        battle = arena.start_battle(body.category, prompt, session_id=session.id)
    except NotEnoughModels as exc:
        raise ApiError(503, "not_enough_models", str(exc)) from None
    except ArenaError as exc:
        raise ApiError(400, exc.code, str(exc)) from None
    ctx.turns.start(battle.id, 0, prompt)
    return Created(
        id=battle.id,
        category=battle.category,
        turn=0,
        status="pending",
        stream_url=f"/api/battles/{battle.id}/stream",
        battle_url=f"/battles/{battle.id}",
    )


@router.get("/battles/{battle_id}", summary="One battle (no identities until it is revealed)")
def get_battle(battle_id: str, request: Request, ctx: Ctx) -> dict[str, Any]:
    battle = load_battle(ctx, battle_id)
    view = battle_view(ctx.arena, battle, owner=battle.session_id == session_of(request).id)
    view["generating"] = ctx.turns.active(battle.id)
    return view


@router.get(
    "/battles/{battle_id}/stream",
    summary="Both answers as they are generated (SSE)",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}}},
)
async def stream_battle(battle_id: str, ctx: Ctx) -> StreamingResponse:
    load_battle(ctx, battle_id)

    async def body() -> AsyncIterator[str]:
        async for name, data in ctx.turns.events(battle_id):
            yield format_sse(name, data)

    return StreamingResponse(
        body(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


@router.post(
    "/battles/{battle_id}/turns",
    status_code=202,
    response_model=Created,
    summary="Ask both models a follow-up (then read the stream again)",
)
async def follow_up(
    battle_id: str,
    body: NewTurn,
    request: Request,
    session: CsrfSession,
    ctx: Ctx,
) -> Created:
    arena = ctx.arena
    battle = load_battle(ctx, battle_id)
    require_owner(battle, session)
    prompt = checked_prompt(ctx, body.prompt)
    if ctx.turns.active(battle_id) or battle.status is BattleStatus.PENDING:
        raise ApiError(409, "turn_in_progress", "wait until both answers are complete")
    if battle.status is BattleStatus.FAILED:
        raise ApiError(409, "battle_failed", "this battle failed; start a new one")
    if not battle.anonymous or has_human_vote(arena, battle_id):
        raise ApiError(409, "battle_voted", "this battle is over; start a new one")
    try:
        arena.check_follow_up(battle, prompt)  # turns and conversation length
    except ArenaError as exc:
        raise ApiError(409, exc.code, str(exc)) from None
    try:
        ctx.limiter.hit_battle(session.id, client_ip(request))
    except RateLimited as exc:
        raise rate_limited(exc) from None
    try:
        # atomic in the store: a vote sent at the same time is either refused (the battle
        # is pending from here) or refuses this turn (battle_voted)
        turn = arena.claim_turn(battle_id, owner=session.id)
    except ArenaError as exc:
        raise ApiError(409, exc.code, str(exc)) from None
    ctx.turns.start(battle_id, turn, prompt)
    return Created(
        id=battle_id,
        category=battle.category,
        turn=turn,
        status="pending",
        stream_url=f"/api/battles/{battle_id}/stream",
        battle_url=f"/battles/{battle_id}",
    )


@router.post(
    "/battles/{battle_id}/vote",
    summary="Vote (once, after both answers are complete); returns the reveal",
    response_model=dict[str, Any],
)
async def vote(
    battle_id: str,
    body: NewVote,
    request: Request,
    session: CsrfSession,
    ctx: Ctx,
) -> JSONResponse:
    arena = ctx.arena
    try:
        verdict = Verdict.parse(body.verdict)
    except ValueError:
        raise ApiError(
            400, "unknown_verdict", "unknown verdict; use one of: a, b, tie, both_bad"
        ) from None
    if not valid_battle_id(battle_id):
        raise ApiError(404, "battle_not_found", "no such battle")
    ip = client_ip(request)
    if ctx.turns.active(battle_id):
        # started in this process and still streaming (other workers see it as pending)
        raise ApiError(409, "incomplete", "the answers are not complete yet")
    # The vote's own write checks the owner, that the answers are complete, and that the
    # battle has no vote yet. The rate limit is counted first, so that probing other
    # people's battles costs quota. Redis and PostgreSQL's group commit are awaited on the
    # event loop.
    try:
        await ctx.limiter.ahit_vote(session.id, ip)
    except RateLimited as exc:
        raise rate_limited(exc) from None
    try:
        record = await arena.avote(
            battle_id,
            verdict,
            voter=session.id,
            ip_hash=ctx.codec.hash_ip(ip),
            owner=session.id,
            refuse_failed=True,
        )
    except (BattleNotFound, VoteRejected) as exc:
        raise vote_refused(exc) from None
    battle = record.battle
    assert battle is not None
    # plain JSON types already: skip FastAPI's encoder pass, the hottest endpoint's costliest
    return JSONResponse(
        {
            "verdict": record.verdict.value,
            "counted": record.counted,
            "not_counted_reason": record.reason,
            "reveal": reveal_view(arena, battle, record),
        }
    )


@router.get(
    "/battles/{battle_id}/reveal",
    summary="Who was who: only once the battle has a vote (409 before)",
)
def reveal(battle_id: str, ctx: Ctx) -> dict[str, Any]:
    battle = load_battle(ctx, battle_id)
    if not is_revealed(ctx.arena, battle):
        raise ApiError(409, "not_revealed", "vote first: identities are shown after the vote")
    return reveal_view(ctx.arena, battle)


@router.get(
    "/leaderboard",
    summary="Ratings with 95% intervals, filters as query parameters",
    response_model=dict[str, Any],
)
async def leaderboard(request: Request, ctx: Ctx) -> JSONResponse:
    try:
        filters = parse_filters(request.query_params)
    except FilterError as exc:
        raise ApiError(400, "bad_filter", str(exc)) from None
    # the fit is shared with every other request of the same votes (see BoardCache)
    return JSONResponse(await ctx.boards.payload(ctx.arena, filters))


@router.get("/models", summary="The configured models and their catalog facts")
def models(ctx: Ctx) -> list[dict[str, Any]]:
    # Sorted by id: the order says nothing about any battle.
    return [model_card(ctx.arena, m) for m in sorted(ctx.arena.contestants)]


@router.get(
    "/models/{model_id:path}",
    summary="One model: facts, rating history, record",
    response_model=dict[str, Any],
)
async def model(model_id: str, ctx: Ctx) -> JSONResponse:
    arena = ctx.arena
    board = await ctx.boards.board(arena, LeaderboardFilters())
    known = model_id in arena.contestants or model_id in board.models
    if not known:
        raise ApiError(404, "model_not_found", "no such model")
    row = next((r.to_dict() for r in board.rows if r.model == model_id), None)
    history = await ctx.boards.history(arena, model_id)

    def revealed_battles() -> list[str]:
        # only battles whose identities are already public (voted on or revealed)
        recent = arena.store.recent_battles(model=model_id, limit=10)
        return [b.id for b in recent if is_revealed(arena, b)]

    return JSONResponse(
        finite(
            {
                "model": model_card(arena, model_id),
                "rating": row,
                "history": history,
                "record": opponent_record(
                    board, model_id, lambda m: arena.model_info(m).display_name
                ),
                "battles": await anyio.to_thread.run_sync(revealed_battles),
            }
        )
    )


@router.get("/health", summary="Liveness, and how many models are configured")
async def health(ctx: Ctx) -> dict[str, Any]:
    return {"ok": True, "models": len(ctx.arena.contestants)}
