"""A no-argument app factory for ASGI servers running several worker processes.

    uvicorn --factory modelarena.asgi:app_factory --workers 4 --host 0.0.0.0 --port 8000

Each worker reads the same settings (``ARENA_CONFIG`` / ``./arena.toml`` and the ``ARENA_*``
variables), opens its own connection pool on the shared database and, with
``ARENA_REDIS_URL``, shares rate-limit counters through Redis. Workers hold no state that
matters between requests, so every one serves the same leaderboard. Give them one
``ARENA_SECRET_KEY`` so a session cookie signed by one is valid on the others. Behind a
proxy, set ``ARENA_TRUST_PROXY=1`` (and ``ARENA_TRUSTED_PROXIES``) and start uvicorn with
``--no-proxy-headers``: the app reads ``X-Forwarded-For`` itself.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fastapi import FastAPI


def app_factory() -> FastAPI:
    """The web app (with its admin API) built from ``$ARENA_CONFIG`` and ``ARENA_*``."""
    from modelarena.arena import Arena
    from modelarena.web import create_app

    arena = Arena.from_config(os.environ.get("ARENA_CONFIG") or None)
    return create_app(arena)  # trust_proxy, secure_cookies: from the settings
