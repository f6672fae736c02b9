"""The browser checks of design answers as the pages show them: after the vote only.

A check says nothing about which model wrote a design, but a voter who sees that one page
throws errors or overflows the phone screen is told what to prefer: the battle page shows
the checks only once the battle is revealed, and the screenshot route answers 404 before
(the same answer as for a battle that does not exist)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response

from modelarena.designs.report import model_checks
from modelarena.store import BattleNotFound, Store
from modelarena.store.design_checks import DesignCheckRecord
from modelarena.web.context import Ctx, valid_battle_id
from modelarena.web.views import is_revealed

router = APIRouter(include_in_schema=False)


def check_view(c: DesignCheckRecord) -> dict[str, Any]:
    return {
        "turn": c.turn,
        "side": c.side,
        "status": c.status,
        "works": c.works,
        "js_errors": c.js_errors,
        "console_errors": c.console_errors,
        "network_attempts": c.network_attempts,
        "overflow": c.overflow,
        "scroll_width": c.scroll_width,
        "a11y": {
            "critical": c.a11y_critical,
            "serious": c.a11y_serious,
            "moderate": c.a11y_moderate,
            "minor": c.a11y_minor,
        },
        "first_paint_ms": c.first_paint_ms,
        "messages": c.messages(),
        "screenshot": f"/designs/{c.battle_id}/{c.turn}/{c.side}/screenshot.png",
    }


def battle_checks(store: Store, battle_id: str, *, revealed: bool) -> dict[str, Any] | None:
    """The last turn's checks by side (``{"a": ..., "b": ...}``), or None before the
    reveal or when no answer was checked."""
    if not revealed:
        return None
    sides: dict[str, Any] = {}
    for c in store.design_checks.for_battle(battle_id):  # by turn: the last one wins
        sides[c.side] = check_view(c)
    return sides or None


def model_design_checks(store: Store, model: str) -> dict[str, Any] | None:
    """Per model: the share of its checked designs that render without errors, with n and
    the 95% interval (and the other shares), or None when none was checked."""
    rows = store.design_checks.all(model=model)
    return model_checks(model, rows).to_dict() if rows else None


@router.get("/designs/{battle_id}/{turn}/{side}/screenshot.png")
def screenshot(battle_id: str, turn: int, side: str, ctx: Ctx) -> Response:
    """A checked design's screenshot (390 px wide), once its battle is revealed."""
    missing = Response(status_code=404)
    if not valid_battle_id(battle_id) or side not in ("a", "b"):
        return missing
    try:
        battle = ctx.arena.store.get_battle(battle_id)
    except BattleNotFound:
        return missing
    if not is_revealed(ctx.arena, battle):
        return missing
    shot = ctx.arena.store.design_checks.screenshot(battle_id, turn, side)
    if shot is None:
        return missing
    return Response(shot, media_type="image/png", headers={"cache-control": "no-store"})
