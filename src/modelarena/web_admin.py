"""Admin API: review flagged voters, ban, unban, recount, and the integrity report.

Mounted by the web app with ``app.include_router(admin_router(arena, limiter))``. Every
endpoint needs
``Authorization: Bearer <token>`` matching ``ARENA_ADMIN_TOKEN`` (``admin_token`` in the
config), compared in constant time. Without a configured token the admin API is off and
answers 403 saying so. The token is sent in a header, never a cookie, so these endpoints
are not reachable by cross-site requests and need no CSRF token.

Wrong tokens are throttled per client address (``Limits.admin_failures_per_hour``, shared by
the workers through Redis like the other limits): once an address has used them up, every
admin request from it is refused with 429, the right token too, so guessing cannot go on.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Request, status
from fastapi.concurrency import run_in_threadpool

from modelarena.integrity import admin
from modelarena.integrity.ratelimit import RateLimited, RateLimiter
from modelarena.integrity.report import integrity_report
from modelarena.web.errors import ApiError
from modelarena.web.proxy import client_ip

if TYPE_CHECKING:
    from modelarena.arena import Arena

PREFIX = "/api/admin"
VoterId = Annotated[str, Path(min_length=1, max_length=admin.MAX_VOTER_ID)]


def same_secret(given: str, expected: str) -> bool:
    """Whether two secrets are equal, in time that depends on neither (not even the length:
    the digests are compared)."""
    a = hashlib.sha256(given.encode("utf-8", "surrogateescape")).digest()
    b = hashlib.sha256(expected.encode("utf-8", "surrogateescape")).digest()
    return hmac.compare_digest(a, b)


def _authorise(arena: Arena, limiter: RateLimiter, request: Request) -> str:
    """Return the actor name for the audit log, or raise 401/403/429."""
    expected = arena.settings.admin_token
    if not expected:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            detail="the admin API is disabled: set ARENA_ADMIN_TOKEN to enable it",
        )
    ip = client_ip(request)
    try:
        limiter.check_admin(ip)
    except RateLimited as exc:
        raise ApiError(
            429, "rate_limited", str(exc), {"Retry-After": str(exc.retry_after_s)}
        ) from None
    header = request.headers.get("authorization", "")
    scheme, _, given = header.partition(" ")
    ok = scheme.lower() == "bearer" and same_secret(given.strip(), expected)
    if not ok:
        limiter.admin_failed(ip)
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            detail="admin token missing or wrong: send 'Authorization: Bearer <token>'",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return "admin-api"


def admin_router(arena: Arena, limiter: RateLimiter) -> APIRouter:
    """The admin endpoints; ``limiter`` counts wrong tokens (the app's, so that workers
    share the count through Redis)."""
    throttle = limiter

    async def authorised(request: Request) -> str:
        return _authorise(arena, throttle, request)

    actor_dep = Depends(authorised)
    router = APIRouter(prefix=PREFIX, tags=["admin"])
    store = arena.store

    @router.get("/voters", summary="Flagged, banned and cleared voters")
    async def voters(all: bool = False, actor: str = actor_dep) -> list[dict[str, Any]]:  # noqa: A002
        views = await run_in_threadpool(admin.list_voters, store, all_voters=all)
        return [v.to_dict() for v in views]

    @router.post("/voters/{voter_id}/ban", summary="Ban a voter: their votes stop counting")
    async def ban(voter_id: VoterId, actor: str = actor_dep) -> dict[str, Any]:
        return await _action(admin.ban, voter_id, actor)

    @router.post(
        "/voters/{voter_id}/unban",
        summary="Lift a ban or clear a flag: the voter's votes count again",
    )
    async def unban(voter_id: VoterId, actor: str = actor_dep) -> dict[str, Any]:
        return await _action(admin.unban, voter_id, actor)

    async def _action(fn: Any, voter_id: str, actor: str) -> dict[str, Any]:
        try:
            result = await run_in_threadpool(fn, store, voter_id, actor=actor)
        except admin.UnknownVoter as exc:
            raise HTTPException(status.HTTP_404_NOT_FOUND, detail=str(exc)) from None
        return dict(result.to_dict())

    @router.post("/recount", summary="Rebuild the pair counts from the vote log")
    async def recount(actor: str = actor_dep) -> dict[str, Any]:
        total = await run_in_threadpool(admin.recount, store)
        return {"counted_votes": total}

    @router.get("/integrity", summary="The integrity report")
    async def integrity(actor: str = actor_dep) -> dict[str, Any]:
        rep = await run_in_threadpool(integrity_report, store)
        return rep.to_dict()

    @router.post("/scan", summary="Scan for anomalous voters; apply=true flags them")
    async def scan(apply: bool = False, actor: str = actor_dep) -> dict[str, Any]:
        from modelarena.integrity.anomaly import apply_flags, detect_anomalous_voters

        flags = await run_in_threadpool(detect_anomalous_voters, store)
        changed = await run_in_threadpool(apply_flags, store, flags, actor=actor) if apply else 0
        return {
            "flags": [f.to_dict() for f in flags],
            "applied": apply,
            "votes_uncounted": changed,
        }

    return router
