"""Four-model tournaments in the browser: ``/tournament`` and its JSON API.

``POST /api/tournaments`` draws four models (uniformly, see
:mod:`modelarena.tournaments.runner`) and has them all answer at once in the background;
``GET /api/tournaments/{id}`` says how many answers are ready, then shows the match to vote
on (two anonymous answers, no timings: a duration would tell the fast model apart), then
the ranking with the identities; ``POST /api/tournaments/{id}/vote`` decides the match.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import anyio.to_thread
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, Field

from modelarena.arena import ArenaError
from modelarena.battles.categories import UnknownCategory, get_category
from modelarena.store.tournaments import DONE, TournamentNotFound
from modelarena.tournaments import Progress, TournamentError, TournamentRunner
from modelarena.tournaments.bracket import LOSERS, ROUND1, WINNERS
from modelarena.web.api import CsrfSession, checked_prompt, session_of
from modelarena.web.context import Ctx, WebContext, valid_battle_id
from modelarena.web.errors import ApiError
from modelarena.web.pages import prompt_form, render
from modelarena.web.proxy import client_ip
from modelarena.web.quota import count_battle, count_vote
from modelarena.web.render import design_url
from modelarena.web.views import model_card, rendered

router = APIRouter()

STAGE_LABELS = {
    ROUND1: "Round 1",
    WINNERS: "Round 2",
    LOSERS: "Round 2",
}


class NewTournament(BaseModel):
    prompt: str = Field(description="What to ask all four models", examples=["Explain DNS."])
    category: str = Field("chat", description="One of the categories (GET /api/categories)")


class TournamentVote(BaseModel):
    verdict: str = Field(description="a, b, tie or both_bad", examples=["a"])
    position: int | None = Field(None, description="The match shown (0-3), to refuse stale votes")


def runner_of(request: Request, ctx: WebContext) -> TournamentRunner:
    """The app's tournament runner (one for the tournament page and the campaigns')."""
    state = request.app.state
    runner: TournamentRunner | None = getattr(state, "tournament_runner", None)
    if runner is None or runner.arena is not ctx.arena:
        runner = TournamentRunner(ctx.arena)
        state.tournament_runner = runner
        state.tournament_tasks = set()
    return runner


def _keep(request: Request, task: asyncio.Task[Any]) -> None:
    """Hold a reference to the generating task until it ends (the loop keeps only weak ones)."""
    tasks: set[asyncio.Task[Any]] = request.app.state.tournament_tasks
    tasks.add(task)
    task.add_done_callback(tasks.discard)


def _answer(category: str, battle_id: str, side: str, content: str) -> dict[str, Any]:
    out = {"content": content, **rendered(category, content)}
    if out["kind"] == "design":
        out["src"] = design_url(battle_id, 0, side)
    return out


def view(ctx: WebContext, progress: Progress, *, owner: bool) -> dict[str, Any]:
    """What the page is shown: never a model name (or a timing) before the ranking."""
    t = progress.tournament
    decided = sum(1 for m in t.matches if m.verdict is not None)
    out: dict[str, Any] = {
        "id": t.id,
        "status": t.status,
        "category": t.category,
        "answers_ready": progress.answers_ready,
        "votes_given": decided,
        "votes_total": 4,
        "match": None,
        "ranking": None,
    }
    m, battle = progress.current, progress.battle
    if owner and m is not None and battle is not None:
        a, b = battle.answer(0, "a"), battle.answer(0, "b")
        out["prompt"] = a.prompt if a else ""
        out["match"] = {
            "position": m.position,
            "label": STAGE_LABELS[m.stage],
            "a": _answer(t.category, battle.id, "a", a.content if a else ""),
            "b": _answer(t.category, battle.id, "b", b.content if b else ""),
        }
    if t.status == DONE and t.ranking is not None:
        arena = ctx.arena
        places = sorted(range(4), key=lambda s: (t.ranking[s] if t.ranking else 0, s))
        out["ranking"] = [
            {"place": t.ranking[s], "model": model_card(arena, t.models[s])} for s in places
        ]
        out["matches"] = [
            {
                "stage": mm.stage,
                "a": arena.model_info(t.models[mm.slot_a]).display_name,
                "b": arena.model_info(t.models[mm.slot_b]).display_name,
                "verdict": mm.verdict,
            }
            for mm in t.matches
        ]
    return out


def _refused(exc: TournamentError) -> ApiError:
    status = 403 if exc.code == "not_your_tournament" else 409
    if exc.code == "unknown_verdict":
        status = 400
    if exc.code == "not_enough_models":
        status = 503
    return ApiError(status, exc.code, str(exc))


async def decide(
    ctx: WebContext,
    request: Request,
    runner: TournamentRunner,
    tournament_id: str,
    body: TournamentVote,
    *,
    voter: str,
    owner: str,
    refused: Callable[[TournamentError], ApiError] = _refused,
) -> Progress:
    """Decide the tournament's current match for ``voter`` (the vote quotas count it), as
    its ``owner``; a refusal becomes the API error ``refused`` maps it to."""
    ip = client_ip(request)
    await count_vote(ctx, voter, ip)
    try:
        return await runner.choose(
            tournament_id,
            body.verdict,
            owner=owner,
            position=body.position,
            ip_hash=ctx.codec.hash_ip(ip),
        )
    except TournamentError as exc:
        raise refused(exc) from None


async def progress_of(runner: TournamentRunner, tournament_id: str) -> Progress:
    """The tournament's progress, or the API's 404 for a malformed or unknown id."""
    if not valid_battle_id(tournament_id):
        raise ApiError(404, "tournament_not_found", "no such tournament")
    try:
        return await anyio.to_thread.run_sync(runner.progress, tournament_id)
    except TournamentNotFound:
        raise ApiError(404, "tournament_not_found", "no such tournament") from None


@router.get("/tournament", response_class=HTMLResponse, include_in_schema=False)
def tournament_page(request: Request, ctx: Ctx) -> Response:
    return render(
        request,
        "tournament.html",
        {"title": "Tournament", **prompt_form(ctx)},
        designs=True,
    )


@router.post("/api/tournaments", summary="Start a four-model tournament on one prompt")
async def start_tournament(
    body: NewTournament, request: Request, session: CsrfSession, ctx: Ctx
) -> dict[str, Any]:
    try:
        get_category(body.category)
    except UnknownCategory as exc:
        raise ApiError(400, "unknown_category", str(exc)) from None
    prompt = checked_prompt(ctx, body.prompt)
    count_battle(ctx, session.id, client_ip(request), admit=True)
    runner = runner_of(request, ctx)
    try:
        t = await anyio.to_thread.run_sync(
            lambda: runner.start(body.category, prompt, owner=session.id)
        )
    except TournamentError as exc:
        raise _refused(exc) from None
    except ArenaError as exc:
        raise ApiError(400, exc.code, str(exc)) from None
    _keep(request, asyncio.create_task(runner.generate(t.id, prompt)))
    return {"id": t.id, "status": t.status, "url": f"/api/tournaments/{t.id}"}


@router.get("/api/tournaments/{tournament_id}", summary="A tournament: progress, match, ranking")
async def get_tournament(tournament_id: str, request: Request, ctx: Ctx) -> dict[str, Any]:
    progress = await progress_of(runner_of(request, ctx), tournament_id)
    owner = progress.tournament.owner == session_of(request).id
    return view(ctx, progress, owner=owner)


@router.post(
    "/api/tournaments/{tournament_id}/vote",
    summary="Decide the current match (a, b, tie, both_bad); the ranking after the last",
)
async def vote_tournament(
    tournament_id: str, body: TournamentVote, request: Request, session: CsrfSession, ctx: Ctx
) -> dict[str, Any]:
    runner = runner_of(request, ctx)
    await progress_of(runner, tournament_id)  # 404 first
    progress = await decide(
        ctx, request, runner, tournament_id, body, voter=session.id, owner=session.id
    )
    return view(ctx, progress, owner=True)
