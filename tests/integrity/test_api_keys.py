"""An API key (from the env var a model's ``api_key_env`` names) never reaches a page, a
log line or an error message, even when the provider echoes it back in its errors."""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Iterator

import pytest
import uvicorn
from fastapi.testclient import TestClient

from modelarena.arena import Arena
from modelarena.config import ModelConfig, Settings
from modelarena.store import Store

KEY = "sk-test-" + "Zq8" * 12 + "-never-show-me"
ENV = "ARENA_TEST_PROVIDER_KEY"


def _provider_app(calls: dict[str, int]):  # type: ignore[no-untyped-def]
    """A hostile OpenAI-compatible server: every error it sends quotes the caller's key."""

    async def app(scope, receive, send):  # type: ignore[no-untyped-def]
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                else:
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        headers = dict(scope["headers"])
        auth = headers.get(b"authorization", b"").decode()
        calls["n"] += 1
        calls["with_key"] += KEY in auth
        kind = calls["n"] % 4
        status, body, ctype = {
            0: (
                401,
                f'{{"error": {{"message": "Incorrect API key provided: {auth}", '
                f'"type": "invalid_request_error", "code": "invalid_api_key"}}}}',
                "application/json",
            ),
            1: (500, f"Internal error while serving key {auth}", "text/plain"),
            2: (200, f"data: {{not json {auth}\n\n", "text/event-stream"),
            3: (429, f'{{"error": {{"message": "Rate limit for {auth}"}}}}', "application/json"),
        }[kind]
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [(b"content-type", ctype.encode())],
            }
        )
        await send({"type": "http.response.body", "body": body.encode()})

    return app


CALLS = {"n": 0, "with_key": 0}


@pytest.fixture
def provider() -> Iterator[str]:
    CALLS.update(n=0, with_key=0)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config = uvicorn.Config(
        _provider_app(CALLS), host="127.0.0.1", port=port, log_level="error", lifespan="on"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        server.should_exit = True
        thread.join(10)


def test_api_key_never_shown(
    provider: str,
    sqlite_url: str,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    from modelarena.web.app import create_app

    monkeypatch.setenv(ENV, KEY)
    models = [
        ModelConfig(
            id=m,
            catalog=m,
            backend="openai",
            base_url=provider,
            model=m,
            api_key_env=ENV,
            timeout_s=10,
            max_tokens=16,
        )
        for m in ("deepseek-v3", "gpt-4o")
    ]
    arena = Arena(
        Settings(database_url=sqlite_url, models=models, admin_token="t0ken"),
        Store.open(sqlite_url),
    )
    seen: list[str] = []
    caplog.set_level(logging.DEBUG)
    with TestClient(create_app(arena), raise_server_exceptions=False) as client:
        token = client.get("/api/session").json()["csrf_token"]
        ids = []
        for k in range(4):
            r = client.post(
                "/api/battles", json={"prompt": f"hello {k}"}, headers={"X-CSRF-Token": token}
            )
            seen.append(r.text)
            if r.status_code == 503:  # failing models are taken out of pairing
                assert r.json()["error"]["code"] == "not_enough_models"
                break
            assert r.status_code == 201, r.text
            ids.append(r.json()["id"])
            stream = client.get(f"/api/battles/{ids[-1]}/stream")
            seen.append(stream.text)
        for battle in ids:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                r = client.get(f"/api/battles/{battle}")
                if r.json()["status"] != "pending" and not r.json().get("generating"):
                    break
                time.sleep(0.05)
            seen.append(r.text)
            assert r.json()["status"] == "failed", r.text
            seen.append(client.get(f"/battles/{battle}").text)
            seen.append(
                client.post(
                    f"/api/battles/{battle}/vote",
                    json={"verdict": "a"},
                    headers={"X-CSRF-Token": token},
                ).text
            )
        for path in (
            "/",
            "/leaderboard",
            "/models",
            "/models/gpt-4o",
            "/api/models",
            "/api/models/gpt-4o",
            "/api/health",
            "/api/leaderboard",
            "/openapi.json",
            "/api",
            "/nope",
        ):
            seen.append(client.get(path).text)
        seen.append(
            client.get("/api/admin/integrity", headers={"Authorization": "Bearer t0ken"}).text
        )
    store_text = repr([b.failure_message for b in arena.store.recent_battles(with_votes=False)])
    logs = [r.getMessage() for r in caplog.records]
    logs += [str(r.exc_info[1]) for r in caplog.records if r.exc_info]
    fragment = KEY[8:30]  # any sizeable piece of it
    for where, texts in (("responses", seen), ("logs", logs), ("store", [store_text])):
        leaks = [t[:200] for t in texts if KEY in t or fragment in t]
        assert leaks == [], f"the key leaked into {where}: {leaks}"
    assert CALLS["with_key"] >= 4  # the provider did receive the key, and quoted it
    assert len(ids) >= 2 and any("failed" in t for t in seen)  # the errors really happened
