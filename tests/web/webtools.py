"""Helpers shared by the web tests (imported by conftest.py and the tests)."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from scripted import scripted_model

from modelarena.arena import Arena
from modelarena.backends.scripted import Reply
from modelarena.config import Settings
from modelarena.store import Store

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
# Test runs write screenshots to test-artifacts/ (ignored by git); to refresh the docs:
#   ARENA_SCREENSHOTS_DIR=docs/screenshots python -m pytest tests/web -m browser
SCREENSHOTS = Path(
    os.environ.get("ARENA_SCREENSHOTS_DIR")
    or Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
).resolve()

# Two catalog models with well-known names, labs and ids: the anonymity tests look for them.
SCRIPTED_MODELS = ("deepseek-v3", "gpt-4o")


def require_chromium() -> None:
    """Skip a browser test where Chromium is missing; under CI, fail it instead."""
    if not Path(CHROMIUM).exists():
        message = "Chromium is not installed at /usr/bin/chromium (apt-get install chromium)"
        if os.environ.get("CI"):
            pytest.fail(message)  # CI must run the browser tests, never skip them
        pytest.skip(message)


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
    models = [scripted_model(m, script, delay_s) for m, script in replies.items()]
    return Arena(Settings(database_url=db_url, models=models, **settings), Store.open(db_url))


class ApiClient:
    """An in-process browser on ``app``: keeps its session cookie, sends its CSRF token and
    keeps every body it was answered (for the anonymity checks)."""

    def __init__(self, app: Any) -> None:
        self.http = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://testserver"
        )
        self.csrf = ""
        self.bodies: list[str] = []

    async def start(self) -> ApiClient:
        self.csrf = (await self.http.get("/api/session")).json()["csrf_token"]
        return self

    async def get(self, url: str) -> httpx.Response:
        r = await self.http.get(url)
        self.bodies.append(r.text)
        return r

    async def post(self, url: str, body: Any = None) -> httpx.Response:
        r = await self.http.post(url, json=body, headers={"X-CSRF-Token": self.csrf})
        self.bodies.append(r.text)
        return r


@contextmanager
def launched_chromium() -> Iterator[Any]:
    """Headless Chromium through Playwright (skipped where it is missing, failed under CI)."""
    require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


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


def screenshot(page: Any, name: str, **kw: Any) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / name
    # finish CSS animations first: a fade-in caught at its first frame looks like nothing
    kw.setdefault("animations", "disabled")
    page.screenshot(path=str(path), **kw)
    return path
