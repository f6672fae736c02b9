"""A local HTTP server with the Hugging Face Hub's API shapes, for the real huggingface_hub
client (``HfApi(endpoint=server.url)``) in tests: the Hub is not reachable from them.

- ``GET /api/models?limit=N&expand=...[&cursor=K]``: a page of the listing, each model with
  the expanded fields only (plus ``id``, ``_id``, ``modelId`` as the Hub sends), and a
  ``Link: <...>; rel="next"`` header while more remain (the Hub's cursor paging).
- ``GET /api/models/{org}/{name}?expand=...``: model info, with ``cardData`` and
  ``baseModels``; 404 with the Hub's error body for an unknown repo.
- ``rate_limit_on``: request numbers (1-based, counted over every request) answered with
  ``429`` and ``Retry-After: <retry_after>`` instead.

Every request is logged (time, path, status) so a test can check waits and paging.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

LIST_ONLY_ABSENT = ("baseModels",)  # the listing does not expand these (as on the Hub)


@dataclass
class Logged:
    at: float
    path: str
    status: int


@dataclass
class HubState:
    models: list[dict[str, Any]]
    rate_limit_on: set[int] = field(default_factory=set)
    retry_after: int = 1
    listed: int | None = None  # the listing shows only the first `listed` models
    requests: int = 0
    log: list[Logged] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _project(model: dict[str, Any], expand: list[str], listing: bool) -> dict[str, Any]:
    out = {"_id": f"id-{model['id']}", "id": model["id"], "modelId": model["id"]}
    for key in expand:
        if listing and key in LIST_ONLY_ABSENT:
            continue
        if key in model:
            out[key] = model[key]
    return out


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet tests
        pass

    def _send(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)
        state = self.server.hub
        with state.lock:
            state.log.append(Logged(time.monotonic(), self.path, status))

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        state = self.server.hub
        with state.lock:
            state.requests += 1
            number = state.requests
        if number in state.rate_limit_on:
            self._send(
                429,
                {"error": "You have been rate-limited"},
                {"Retry-After": str(state.retry_after)},
            )
            return
        url = urlsplit(self.path)
        query = parse_qs(url.query)
        expand = query.get("expand", []) + query.get("expand[]", [])
        if url.path == "/api/models":
            limit = int(query.get("limit", ["1000"])[0])
            cursor = int(query.get("cursor", ["0"])[0])
            listing = state.models[: state.listed]
            page = listing[cursor : cursor + limit]
            headers = {}
            if cursor + limit < len(listing):
                params = [("limit", str(limit)), *[("expand", e) for e in expand]]
                params.append(("cursor", str(cursor + limit)))
                host = f"http://{self.server.server_address[0]}:{self.server.server_address[1]}"
                headers["Link"] = f'<{host}/api/models?{urlencode(params)}>; rel="next"'
            self._send(200, [_project(m, expand, True) for m in page], headers)
            return
        if url.path.startswith("/api/models/"):
            repo = url.path.removeprefix("/api/models/")
            found = next((m for m in state.models if m["id"].lower() == repo.lower()), None)
            if found is None:
                self._send(404, {"error": "Repository not found"}, {"X-Error-Code": "RepoNotFound"})
                return
            self._send(200, _project(found, expand or list(found), False))
            return
        self._send(404, {"error": "not found"})


class _Server(ThreadingHTTPServer):
    hub: HubState


class HubServer:
    """``with HubServer(models) as hub: HfApi(endpoint=hub.url)``."""

    def __init__(self, models: list[dict[str, Any]], *, listed: int | None = None) -> None:
        """``listed``: only the first ``listed`` models appear in the listing (the others
        answer model info only, like parents outside a filtered listing)."""
        self.state = HubState(models=models, listed=listed)
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.hub = self.state
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def __enter__(self) -> HubServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
