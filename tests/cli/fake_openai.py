"""A real OpenAI-compatible chat server on loopback, for the CLI run as a user runs it.

It speaks HTTP/1.1 with keep-alive, as llama.cpp, vLLM and the providers do, so the client
keeps its connection pooled after an answer (which is what made ``arena battle`` die with
"Event loop is closed" when the client was closed on a second event loop).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


def _sse(text: str) -> bytes:
    words = text.split(" ")
    events: list[dict[str, Any]] = [
        {"choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}}]}
    ]
    for i, word in enumerate(words):
        piece = word if i == len(words) - 1 else word + " "
        events.append({"choices": [{"index": 0, "delta": {"content": piece}}]})
    events.append({"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
    events.append({"choices": [], "usage": {"prompt_tokens": 5, "completion_tokens": len(words)}})
    body = "".join(
        "data: " + json.dumps({"id": "x", "object": "chat.completion.chunk", **e}) + "\n\n"
        for e in events
    )
    return (body + "data: [DONE]\n\n").encode()


Respond = Callable[[dict[str, Any]], tuple[int, str, bytes]]


class LoopbackServer:
    """A real HTTP/1.1 server on a free loopback port: each POST's JSON body is kept in
    ``requests`` and answered with ``respond(body)``, a ``(status, content type, body)``."""

    def __init__(self, respond: Respond) -> None:
        self.requests: list[dict[str, Any]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                return None

            def do_POST(self) -> None:  # noqa: N802 - the http.server API
                length = int(self.headers.get("content-length") or 0)
                outer.requests.append(json.loads(self.rfile.read(length) or b"{}"))
                status, kind, body = respond(outer.requests[-1])
                self.send_response(status)
                self.send_header("content-type", kind)
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.base_url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    @contextmanager
    def serving(self) -> Iterator[None]:
        thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        thread.start()
        try:
            yield
        finally:
            self.server.shutdown()
            self.server.server_close()
            thread.join(timeout=5)


class FakeOpenAI(LoopbackServer):
    """Streams ``reply`` word by word to every chat request."""

    def __init__(self, reply: str = "Hello from the loopback model.") -> None:
        self.reply = reply
        super().__init__(lambda _: (200, "text/event-stream", _sse(self.reply)))

    @contextmanager
    def running(self) -> Iterator[FakeOpenAI]:
        with self.serving():
            yield self


def openai_models_toml(base_url: str, db_url: str, *, key_env: str | None = None) -> str:
    """Two ``backend = "openai"`` contestants on one server, as an operator writes them."""
    text = f'database_url = "{db_url}"\n'
    for model_id in ("deepseek-v3", "gpt-4o"):
        text += (
            f'\n[[models]]\nid = "{model_id}"\nbackend = "openai"\n'
            f'base_url = "{base_url}"\nmodel = "{model_id}"\nmax_tokens = 16\ntimeout_s = 20\n'
        )
        if key_env:
            text += f'api_key_env = "{key_env}"\n'
    return text
