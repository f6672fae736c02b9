"""Each design answer at its own address, for the sandbox frames of the pages.

``GET /designs/{battle_id}/{turn}/{side}`` returns the document that
:func:`modelarena.web.render.design_document` builds, with the headers of
:data:`modelarena.web.security.DESIGN_HEADERS` (sandboxed, no request of any kind). A frame
loading it gets the document's own policy, not the page's, so no page needs inline scripts.

What it shows is what the battle page shows: the answer's text, never a model's name. Until
the battle is revealed only the session that owns it gets the documents; anyone else gets
the same 404 as for a battle that does not exist.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from modelarena.battles.categories import CATEGORIES
from modelarena.battles.design_sandbox import answer_document, design_document
from modelarena.store import BattleNotFound
from modelarena.web.context import Ctx, WebContext, valid_battle_id
from modelarena.web.security import DESIGN_HEADERS, Session
from modelarena.web.views import is_revealed

router = APIRouter(include_in_schema=False)

# under the same policy; the same answer whether the battle exists or is someone else's
_NOT_FOUND = design_document("", empty="This design is not available here.")


@router.get("/designs/{battle_id}/{turn}/{side}", response_class=HTMLResponse)
def design(battle_id: str, turn: int, side: str, request: Request, ctx: Ctx) -> Response:
    # a plain def: FastAPI runs it on its thread pool, away from the event loop
    session: Session = request.state.session
    doc = _document(ctx, session, battle_id, turn, side)
    if doc is None:
        return HTMLResponse(_NOT_FOUND, status_code=404, headers=DESIGN_HEADERS)
    return HTMLResponse(doc, headers=DESIGN_HEADERS)


def _document(
    ctx: WebContext, session: Session, battle_id: str, turn: int, side: str
) -> str | None:
    if not valid_battle_id(battle_id) or side not in ("a", "b"):
        return None
    try:
        battle = ctx.arena.store.get_battle(battle_id)
    except BattleNotFound:
        return None
    category = CATEGORIES.get(battle.category)
    answer = battle.answer(turn, side)
    if category is None or not category.design or answer is None:
        return None
    if battle.session_id != session.id and not is_revealed(ctx.arena, battle):
        return None
    # the one builder of an answer's document, which the browser checks render too
    return answer_document(answer.content, cut=answer.cut)
