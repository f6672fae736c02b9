"""The web application: ``create_app(arena)`` returns a FastAPI app serving the pages,
the JSON API (with its OpenAPI schema at ``/openapi.json``) and the static files."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import anyio.to_thread
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from modelarena.arena import Arena
from modelarena.battles.language import load_detector
from modelarena.integrity.ratelimit import Limits, RateLimiter
from modelarena.web import (
    api,
    audits_pages,
    campaign_pages,
    campaign_tournaments,
    design_checks,
    designs,
    landscape_pages,
    pages,
    tournament_pages,
)
from modelarena.web.context import WebContext
from modelarena.web.errors import install_error_handlers
from modelarena.web.proxy import ForwardedFor
from modelarena.web.security import SecurityMiddleware, SessionCodec, resolve_secret_key
from modelarena.web.sse import TurnManager
from modelarena.web_admin import admin_router

log = logging.getLogger(__name__)
HERE = Path(__file__).parent


def create_app(
    arena: Arena,
    *,
    rate_limiter: RateLimiter | None = None,
    trust_proxy: bool | None = None,
    secure_cookies: bool | None = None,
    single_process: bool = False,
) -> FastAPI:
    """The whole web app around one :class:`Arena`.

    ``trust_proxy`` and ``secure_cookies`` override the settings of the same name (``None``:
    as configured). ``trust_proxy``: take the client address from ``X-Forwarded-For``, the
    right-most hop not written by one of ``settings.trusted_proxies`` (behind a reverse
    proxy only, see :mod:`modelarena.web.proxy`). ``secure_cookies``: mark the session
    cookie ``Secure`` (HTTPS deployments).
    """
    # Database calls (all of them on SQLite, all but votes on PostgreSQL) run in threads;
    # each statement returns to wait for the GIL, and Python's default 5 ms switch interval
    # then adds up to 5 ms per statement under load. 1 ms keeps them from queueing long
    # behind the event loop.
    sys.setswitchinterval(min(sys.getswitchinterval(), 0.001))
    settings = arena.settings
    secret, source = resolve_secret_key(settings.secret_key, settings.database_url)
    limiter = rate_limiter or RateLimiter(
        Limits(
            settings.battles_per_minute,
            settings.votes_per_day,
            sessions_per_day=settings.sessions_per_day,
        ),
        storage_url=settings.redis_url,
    )
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    templates.env.autoescape = True
    ctx = WebContext(
        arena,
        TurnManager(arena, single_process=single_process),
        limiter,
        SessionCodec(secret),
        templates,
        source,
    )

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        _freeze_startup_objects()
        arena.recover_lost_turns()  # turns a crashed process left pending: failed, retryable
        # the language detector's model loads beside the server, not in the first battle
        loading = asyncio.create_task(anyio.to_thread.run_sync(load_detector))
        yield
        await loading
        await ctx.turns.aclose()
        await arena.aclose()

    app = FastAPI(
        title="modelarena",
        summary="Blind pairwise battles between AI models, and an honest leaderboard.",
        version="1",
        docs_url=None,  # the stock docs page loads scripts from a CDN; see /api
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.ctx = ctx
    install_error_handlers(app)

    app.include_router(api.router)
    app.include_router(admin_router(arena, limiter))
    app.include_router(pages.router)
    app.include_router(designs.router)
    app.include_router(design_checks.router)  # screenshots, after the vote
    app.include_router(audits_pages.router)
    app.include_router(landscape_pages.router)
    app.include_router(tournament_pages.router)
    app.include_router(campaign_pages.router)
    app.include_router(campaign_tournaments.router)
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    secure = settings.secure_cookies if secure_cookies is None else secure_cookies
    app.add_middleware(SecurityMiddleware, codec=ctx.codec, secure_cookies=secure)
    behind_proxy = settings.trust_proxy if trust_proxy is None else trust_proxy
    if behind_proxy:
        app.add_middleware(ForwardedFor, trusted_proxies=settings.trusted_proxies)
    log.info("session key: %s", source)
    return app


_frozen = False


def _freeze_startup_objects() -> None:
    """What exists when the first app starts lives as long as the process: moved out of the
    collector's reach, each full collection walks only what requests leave behind, so its
    pauses (latency spikes under load) stay short. Once per process: apps started later
    (tests) must not pin their garbage."""
    global _frozen
    if not _frozen:
        _frozen = True
        gc.freeze()
