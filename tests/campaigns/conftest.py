"""Fixtures for the campaign web tests: a scripted arena, an in-process API client with the
session cookie and CSRF token, a live server and headless Chromium (the web tests' tools)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from scripted import scripted_arena
from web.webtools import ApiClient, launched_chromium

from modelarena.arena import Arena
from modelarena.campaigns import CampaignService
from modelarena.web import create_app
from modelarena.web.security import resolve_secret_key

MODELS = ("deepseek-v3", "gpt-4o", "qwen2.5-72b-instruct", "glm-4.5")


@pytest.fixture
def web_arena(tmp_path: Path) -> Arena:
    replies = {m: [f"Answer {i}: a plain reply." for i in range(4)] for m in MODELS}
    return scripted_arena(f"sqlite:///{tmp_path / 'web.db'}", replies)


@pytest.fixture
def web_service(web_arena: Arena) -> CampaignService:
    """The campaign service signing links with the web app's key, as the pages do."""
    settings = web_arena.settings
    secret, _ = resolve_secret_key(settings.secret_key, settings.database_url)
    return CampaignService(web_arena, secret)


@pytest.fixture
def browser_page(chromium: Any) -> Iterator[tuple[Any, list[str]]]:
    """A fresh page in its own context, and the script and console errors it shows."""
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(20_000)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    try:
        yield page, errors
    finally:
        context.close()


@pytest.fixture
async def clients(web_arena: Arena) -> AsyncIterator[Callable[[], Any]]:
    app = create_app(web_arena)
    made: list[ApiClient] = []

    async def make() -> ApiClient:
        made.append(ApiClient(app))
        return await made[-1].start()

    async with app.router.lifespan_context(app):
        yield make
    for c in made:
        await c.http.aclose()


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    with launched_chromium() as browser:
        yield browser
