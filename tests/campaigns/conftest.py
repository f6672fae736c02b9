"""Fixtures for the campaign web tests: a scripted arena, an in-process API client with the
session cookie and CSRF token, a live server and headless Chromium (the web tests' tools)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from scripted import scripted_arena

from modelarena.arena import Arena
from modelarena.web import create_app

MODELS = ("deepseek-v3", "gpt-4o", "qwen2.5-72b-instruct", "glm-4.5")


@pytest.fixture
def web_arena(tmp_path: Path) -> Arena:
    replies = {m: [f"Answer {i}: a plain reply." for i in range(4)] for m in MODELS}
    return scripted_arena(f"sqlite:///{tmp_path / 'web.db'}", replies)


class Client:
    """An in-process browser: keeps its session cookie and sends its CSRF token."""

    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http
        self.csrf = ""

    async def start(self) -> Client:
        self.csrf = (await self.http.get("/api/session")).json()["csrf_token"]
        return self

    async def get(self, url: str) -> httpx.Response:
        return await self.http.get(url)

    async def post(self, url: str, body: Any = None) -> httpx.Response:
        return await self.http.post(url, json=body, headers={"X-CSRF-Token": self.csrf})


@pytest.fixture
async def clients(web_arena: Arena) -> AsyncIterator[Callable[[], Any]]:
    app = create_app(web_arena)
    made: list[httpx.AsyncClient] = []

    async def make() -> Client:
        http = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")
        made.append(http)
        return await Client(http).start()

    async with app.router.lifespan_context(app):
        yield make
    for h in made:
        await h.aclose()


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    from web.webtools import CHROMIUM, CHROMIUM_ARGS, require_chromium

    require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
