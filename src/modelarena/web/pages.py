"""Server-rendered pages (Jinja2). Their JavaScript talks to the JSON API."""

from __future__ import annotations

import json
from typing import Any

import anyio.to_thread
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from modelarena.battles.categories import CATEGORIES
from modelarena.catalog import LICENSE_CLASSES
from modelarena.leaderboard import LeaderboardFilters
from modelarena.store import BattleNotFound
from modelarena.web.audit_views import AuditColumnError, audit_card, leaderboard_audits
from modelarena.web.boards import FilterError, filters_query, opponent_record, parse_filters
from modelarena.web.context import Ctx, WebContext, valid_battle_id
from modelarena.web.design_checks import battle_checks, model_design_checks
from modelarena.web.security import Session, page_csp
from modelarena.web.views import battle_view, model_card

router = APIRouter(include_in_schema=False)


def _json(data: Any) -> str:
    # Safe inside <script type="application/json">: no "</script>" can close it early.
    return (
        json.dumps(data, separators=(",", ":"))
        .replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
    )


def render(
    request: Request,
    template: str,
    context: dict[str, Any],
    *,
    status: int = 200,
    designs: bool = False,
) -> HTMLResponse:
    ctx: WebContext = request.app.state.ctx
    session: Session = request.state.session
    base = {
        "csrf_token": session.csrf,
        "bundled": ctx.arena.using_bundled_default,
        "to_json": _json,
        "path": request.url.path,
    }
    base.update(context)
    response = ctx.templates.TemplateResponse(request, template, base, status_code=status)
    response.headers["Cache-Control"] = "no-store"
    if designs:
        response.headers["Content-Security-Policy"] = page_csp(design_frames=True)
    return response


async def _render_in_thread(request: Request, template: str, context: dict[str, Any]) -> Response:
    """:func:`render` on a worker thread: a big board's template takes a while."""
    return await anyio.to_thread.run_sync(lambda: render(request, template, context))


def not_found_page(
    request: Request, message: str = "There is nothing at this address."
) -> Response:
    return render(request, "error.html", {"title": "Not found", "message": message}, status=404)


def _categories() -> list[dict[str, Any]]:
    return [
        {"id": c.id, "label": c.label, "design": c.design, "example": c.example}
        for c in CATEGORIES.values()
    ]


def prompt_form(ctx: WebContext) -> dict[str, Any]:
    """What a page with the prompt box needs: the categories, the prompt's length limit and
    how many models may answer (the arena's and the tournament's pages)."""
    return {
        "categories": _categories(),
        "max_prompt_chars": ctx.arena.settings.max_prompt_chars,
        "model_count": len(ctx.arena.contestants),
    }


@router.get("/", response_class=HTMLResponse)
def arena_page(request: Request, ctx: Ctx) -> Response:
    return render(
        request,
        "arena.html",
        {
            "title": "Arena",
            **prompt_form(ctx),
            "vote_count": sum(ctx.arena.store.vote_totals().values()) // 2,
        },
        designs=True,
    )


@router.get("/battles/{battle_id}", response_class=HTMLResponse)
def battle_page(battle_id: str, request: Request, ctx: Ctx) -> Response:
    try:
        if not valid_battle_id(battle_id):
            raise BattleNotFound(battle_id[:64])
        battle = ctx.arena.battle(battle_id)  # a turn lost in a crash is marked failed
    except BattleNotFound:
        return not_found_page(request, "No battle with this id.")
    session: Session = request.state.session
    view = battle_view(ctx.arena, battle, owner=battle.session_id == session.id)
    # browser checks of its designs: after the vote only (they would sway it)
    checks = battle_checks(ctx.arena.store, battle.id, revealed=view["reveal"] is not None)
    context = {"title": "Battle", "battle": view, "checks": checks}
    return render(request, "battle.html", context, designs=True)


@router.get("/leaderboard", response_class=HTMLResponse)
async def leaderboard_page(request: Request, ctx: Ctx) -> Response:
    error = None
    try:
        filters = parse_filters(request.query_params)
    except FilterError as exc:
        filters, error = LeaderboardFilters(), str(exc)
    payload = await ctx.boards.payload(ctx.arena, filters)  # the API's cache
    # audit columns on request (?audit=suite.metric,...): beside the ratings, not in them
    audit_query = (request.query_params.get("audit") or "").strip()
    audits = None
    if audit_query:
        results = ctx.arena.store.audit_results
        try:
            audits = await anyio.to_thread.run_sync(leaderboard_audits, results, audit_query)
        except AuditColumnError as exc:
            error, audit_query = error or str(exc), ""
    countries = sorted(
        {c for m in ctx.arena.contestants if (c := ctx.arena.model_info(m).country)}
        | {r["country"] for r in payload["rows"] if r["country"]}
    )
    return await _render_in_thread(
        request,
        "leaderboard.html",
        {
            "title": "Leaderboard",
            "board": payload,
            "filters": filters,
            "query": filters_query(filters),
            "filter_error": error,
            "categories": _categories(),
            "license_classes": LICENSE_CLASSES,
            "countries": countries,
            "audits": audits,
            "audit_query": audit_query,
        },
    )


@router.get("/models", response_class=HTMLResponse)
async def models_page(request: Request, ctx: Ctx) -> Response:
    board = await ctx.boards.board(ctx.arena, LeaderboardFilters())
    ratings = {r.model: r for r in board.rows}
    ids = sorted(
        set(ctx.arena.contestants) | set(ratings),
        key=lambda m: (-(ratings[m].rating if m in ratings else -1e9), m),
    )
    cards = []
    for m in ids:
        card = model_card(ctx.arena, m)
        card["configured"] = m in ctx.arena.contestants
        row = ratings.get(m)
        card["rating"] = row.to_dict() if row else None
        cards.append(card)
    return await _render_in_thread(request, "models.html", {"title": "Models", "models": cards})


@router.get("/models/{model_id:path}", response_class=HTMLResponse)
async def model_page(model_id: str, request: Request, ctx: Ctx) -> Response:
    arena = ctx.arena
    board = await ctx.boards.board(arena, LeaderboardFilters())
    if model_id not in arena.contestants and model_id not in board.models:
        return not_found_page(request, "No model with this id.")
    row = next((r.to_dict() for r in board.rows if r.model == model_id), None)
    history = await ctx.boards.history(arena, model_id)

    def example_battles() -> list[dict[str, Any]]:
        battles = []
        for b in arena.store.recent_battles(model=model_id, limit=6):
            view = battle_view(arena, b, owner=False)
            if view["reveal"] is not None:  # recent_battles only lists battles with a vote
                battles.append(view)
        return battles

    battles = await anyio.to_thread.run_sync(example_battles)
    audits = await anyio.to_thread.run_sync(audit_card, arena.store.audit_results, model_id)
    design_checks = await anyio.to_thread.run_sync(model_design_checks, arena.store, model_id)
    return await _render_in_thread(
        request,
        "model.html",
        {
            "title": arena.model_info(model_id).display_name,
            "model": model_card(arena, model_id),
            "config_description": arena.contestants[model_id].description
            if model_id in arena.contestants
            else "",
            "rating": row,
            "history": history,
            "chart": history_chart(history),
            "record": opponent_record(board, model_id, lambda m: arena.model_info(m).display_name),
            "battles": battles,
            "model_id": model_id,
            "audits": audits,
            "design_checks": design_checks,
        },
    )


@router.get("/api", response_class=HTMLResponse)
def api_page(request: Request) -> Response:
    schema = request.app.openapi()
    routes = []
    for path, methods in schema.get("paths", {}).items():
        for method, op in methods.items():
            routes.append(
                {"method": method.upper(), "path": path, "summary": op.get("summary", "")}
            )
    return render(request, "api.html", {"title": "API", "routes": routes})


def history_chart(
    points: list[dict[str, Any]], width: int = 640, height: int = 300
) -> dict[str, Any] | None:
    """Coordinates for a small inline-SVG line chart of the rating with its interval band."""
    if not points:
        return None
    pad_l, pad_r, pad_t, pad_b = 48, 16, 14, 28
    lo = float(min(p["ci_lower"] for p in points))
    hi = float(max(p["ci_upper"] for p in points))
    if hi - lo < 20:
        mid = (hi + lo) / 2
        lo, hi = mid - 10, mid + 10
    n = len(points)

    def x(i: int) -> float:
        return pad_l + (width - pad_l - pad_r) * (i / (n - 1) if n > 1 else 0.5)

    def y(v: float) -> float:
        return pad_t + (height - pad_t - pad_b) * (1 - (v - lo) / (hi - lo))

    line = " ".join(f"{x(i):.1f},{y(p['rating']):.1f}" for i, p in enumerate(points))
    upper = [f"{x(i):.1f},{y(p['ci_upper']):.1f}" for i, p in enumerate(points)]
    lower = [f"{x(i):.1f},{y(p['ci_lower']):.1f}" for i, p in reversed(list(enumerate(points)))]
    if n == 1:
        upper = [
            f"{x(0) - 6:.1f},{y(points[0]['ci_upper']):.1f}",
            f"{x(0) + 6:.1f},{y(points[0]['ci_upper']):.1f}",
        ]
        lower = [
            f"{x(0) + 6:.1f},{y(points[0]['ci_lower']):.1f}",
            f"{x(0) - 6:.1f},{y(points[0]['ci_lower']):.1f}",
        ]
    ticks = []
    for k in range(5):
        v = lo + (hi - lo) * k / 4
        ticks.append({"y": round(y(v), 1), "label": f"{v:.0f}"})
    labels = []
    step = max(1, n // 6)
    for i in range(0, n, step):
        labels.append({"x": round(x(i), 1), "label": points[i]["day"][5:]})
    dots = [
        {
            "x": round(x(i), 1),
            "y": round(y(p["rating"]), 1),
            "title": f"{p['day']}: {p['rating']:.0f} ({p['ci_lower']:.0f}–{p['ci_upper']:.0f}), "
            f"{p['votes']} votes",
        }
        for i, p in enumerate(points)
    ]
    return {
        "width": width,
        "height": height,
        "line": line,
        "band": " ".join(upper + lower),
        "ticks": ticks,
        "labels": labels,
        "dots": dots,
        "x0": pad_l,
        "x1": width - pad_r,
        "y1": height - pad_b,
    }
