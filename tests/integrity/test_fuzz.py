"""API fuzzing: schemathesis generates requests from the OpenAPI schema; no 500s.

Bounded: a dozen derandomised examples per operation (the same cases every run), with a
valid session, CSRF token and admin token so that requests get past the front door and
exercise the handlers behind it. Schemathesis's own pytest plugin does not support the
pytest in use, so the operations are driven with Hypothesis directly.
"""

from __future__ import annotations

from typing import Any

import pytest

schemathesis = pytest.importorskip("schemathesis")
from fastapi.testclient import TestClient  # noqa: E402
from hypothesis import HealthCheck, given, settings  # noqa: E402
from scripted import scripted_arena  # noqa: E402

ADMIN = "fuzz-admin-token"
EXAMPLES = 12


def _app(url: str) -> Any:
    from modelarena.web.app import create_app

    # four models, so that a tournament (four answers to one prompt) can start too
    replies = {
        m: [f"An answer from {m}."] for m in ("deepseek-v3", "gpt-4o", "qwen3-max", "glm-4.6")
    }
    arena = scripted_arena(
        url, replies, admin_token=ADMIN, votes_per_day=100_000, battles_per_minute=100_000
    )
    app = create_app(arena)  # mounts the admin API
    return app


@pytest.mark.slow
def test_no_server_errors(sqlite_url: str) -> None:
    app = _app(sqlite_url)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    operations = [r.ok() for r in schema.get_all_operations()]
    labels = [op.label for op in operations]
    assert "POST /api/battles/{battle_id}/vote" in labels
    assert "POST /api/admin/voters/{voter_id}/ban" in labels
    failures: list[str] = []
    statuses: list[int] = []
    with TestClient(app, raise_server_exceptions=False) as client:
        r = client.get("/api/session")
        headers = {"X-CSRF-Token": r.json()["csrf_token"], "Authorization": f"Bearer {ADMIN}"}
        for op in operations:
            if op.path.endswith("/stream"):
                continue  # a live stream; covered by the web tests
            _fuzz(op, client, headers, failures, statuses)
    assert failures == []
    assert len(statuses) >= 8 * EXAMPLES  # it really ran
    assert any(200 <= s < 300 for s in statuses) and any(400 <= s < 500 for s in statuses)


def _fuzz(
    op: Any, client: TestClient, headers: dict[str, str], failures: list[str], statuses: list[int]
) -> None:
    @given(case=op.as_strategy())
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def run(case: Any) -> None:
        kwargs = case.as_transport_kwargs(base_url="http://testserver")
        kwargs["headers"] = {**(kwargs.get("headers") or {}), **headers}
        method = kwargs.pop("method")
        url = kwargs.pop("url")
        response = client.request(
            method,
            url,
            **{
                k: v
                for k, v in kwargs.items()
                if k in ("headers", "params", "json", "content", "data", "files")
            },
        )
        statuses.append(response.status_code)
        if response.status_code >= 500:
            failures.append(f"{op.label} {kwargs} -> {response.status_code} {response.text[:200]}")

    run()
