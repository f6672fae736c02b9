"""What every request handler is given: the arena and the app's shared parts (the turns
being generated, the rate limiter, the session codec, the templates, the cache of fits)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Request
from fastapi.templating import Jinja2Templates

from modelarena.arena import Arena
from modelarena.integrity.ratelimit import RateLimiter
from modelarena.web.boards import BoardCache
from modelarena.web.security import SessionCodec
from modelarena.web.sse import TurnManager


@dataclass
class WebContext:
    arena: Arena
    turns: TurnManager
    limiter: RateLimiter
    codec: SessionCodec
    templates: Jinja2Templates
    secret_source: str
    boards: BoardCache = field(default_factory=BoardCache)


async def get_ctx(request: Request) -> WebContext:
    # async: FastAPI would run a plain ``def`` dependency on its thread pool
    ctx: WebContext = request.app.state.ctx
    return ctx


Ctx = Annotated[WebContext, Depends(get_ctx)]


_BATTLE_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")


def valid_battle_id(battle_id: str) -> bool:
    """Whether a battle id from a URL has the shape of one (checked before any query)."""
    return _BATTLE_ID.fullmatch(battle_id) is not None
