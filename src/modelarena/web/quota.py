"""The per-session and per-address quotas around a page's battle or vote: one place that
counts a hit and turns a refusal into the API's 429 (with ``Retry-After``)."""

from __future__ import annotations

from modelarena.integrity.ratelimit import RateLimited
from modelarena.web.api import rate_limited
from modelarena.web.context import WebContext


def count_battle(ctx: WebContext, session_id: str, ip: str | None, *, admit: bool = False) -> None:
    """Count a new battle (and, with ``admit``, the session's admission first)."""
    try:
        if admit:
            ctx.limiter.admit_session(session_id, ip)
        ctx.limiter.hit_battle(session_id, ip)
    except RateLimited as exc:
        raise rate_limited(exc) from None


async def count_vote(ctx: WebContext, session_id: str, ip: str | None) -> None:
    """Count a vote (Redis is awaited on the event loop)."""
    try:
        await ctx.limiter.ahit_vote(session_id, ip)
    except RateLimited as exc:
        raise rate_limited(exc) from None
