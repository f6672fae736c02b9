"""The JSON API through the in-process ASGI client, with scripted models."""

from __future__ import annotations

import json
import os
import re
from typing import Any

import pytest
from sqlalchemy import func, select

from modelarena.arena import Arena
from modelarena.backends.base import BackendServerError
from modelarena.store.schema import answers, battles, votes
from modelarena.web.security import MAX_BODY_BYTES


def rows(arena: Arena) -> dict[str, int]:
    with arena.store.engine.connect() as conn:
        return {
            name: int(conn.execute(select(func.count()).select_from(t)).scalar_one())
            for name, t in (("battles", battles), ("answers", answers), ("votes", votes))
        }


def sse_events(text: str) -> list[tuple[str, dict[str, Any]]]:
    out = []
    for block in text.split("\n\n"):
        name = re.search(r"^event: (.+)$", block, re.M)
        data = re.search(r"^data: (.+)$", block, re.M)
        if name and data:
            out.append((name.group(1), json.loads(data.group(1))))
    return out


async def test_whole_flow_create_stream_vote_reveal(scripted, api_client) -> None:
    arena = scripted()
    c = await api_client(arena)
    r = await c.post(
        "/api/battles", {"prompt": "What is the capital of France?", "category": "chat"}
    )
    assert r.status_code == 201
    created = r.json()
    assert set(created) == {"id", "category", "turn", "status", "stream_url", "battle_url"}
    assert re.fullmatch(r"[0-9a-f]{24}", created["id"])

    stream = await c.get(created["stream_url"])
    assert stream.headers["content-type"].startswith("text/event-stream")
    events = sse_events(stream.text)
    names = [n for n, _ in events]
    assert names[0] == "start" and names[-1] == "done"
    assert names.count("side_done") == 2
    assert {d["side"] for n, d in events if n == "delta"} == {"a", "b"}
    done = events[-1][1]
    assert done["status"] == "complete" and done["can_vote"] is True
    finished = {d["side"]: d for n, d in events if n == "side_done"}
    assert all(f["ok"] and f["tokens"] > 0 and f["kind"] == "chat" for f in finished.values())
    assert any("<strong>Paris</strong>" in f["html"] for f in finished.values())

    view = (await c.get(f"/api/battles/{created['id']}")).json()
    assert view["anonymous"] is True and view["can_vote"] is True and view["reveal"] is None
    assert view["turns"][0]["prompt"] == "What is the capital of France?"

    r = await c.post(f"/api/battles/{created['id']}/vote", {"verdict": "a"})
    assert r.status_code == 200, r.text
    result = r.json()
    assert result["counted"] is True and result["verdict"] == "a"
    reveal = result["reveal"]
    assert {reveal["a"]["model"]["id"], reveal["b"]["model"]["id"]} == {"deepseek-v3", "gpt-4o"}
    for side in "ab":
        assert reveal[side]["completion_tokens"] > 0
        assert reveal[side]["model"]["lab"] in ("DeepSeek", "OpenAI")
        assert "cost_usd" in reveal[side] and "reasoning" in reveal[side]

    again = await c.get(f"/api/battles/{created['id']}/reveal")
    assert again.status_code == 200 and again.json()["a"] == reveal["a"]

    board = (await c.get("/api/leaderboard")).json()
    assert board["total_votes"] == 1
    winner = reveal["a"]["model"]["id"]
    assert board["rows"][0]["model"] == winner
    assert rows(arena) == {"battles": 1, "answers": 2, "votes": 1}


async def test_follow_up_turn_continues_both_conversations(scripted, api_client) -> None:
    arena = scripted(
        {
            "deepseek-v3": ["First answer A.", "Second answer A."],
            "gpt-4o": ["First answer B.", "Second answer B."],
        }
    )
    c = await api_client(arena)
    battle_id = await c.battle("Say something.")
    r = await c.post(f"/api/battles/{battle_id}/turns", {"prompt": "And then?"})
    assert r.status_code == 202 and r.json()["turn"] == 1
    events = sse_events((await c.get(r.json()["stream_url"])).text)
    assert events[0] == ("start", {"turn": 1, "design": False, "prompt": "And then?"})
    assert events[-1][1]["can_vote"] is True
    view = (await c.get(f"/api/battles/{battle_id}")).json()
    assert [t["prompt"] for t in view["turns"]] == ["Say something.", "And then?"]
    for backend in (arena.backend("deepseek-v3"), arena.backend("gpt-4o")):
        last = backend.calls[-1]  # type: ignore[attr-defined]
        assert [m.role for m in last][-3:] == ["user", "assistant", "user"]
        assert last[-3].content == "Say something." and last[-1].content == "And then?"
    assert (await c.post(f"/api/battles/{battle_id}/vote", {"verdict": "tie"})).status_code == 200
    after = await c.post(f"/api/battles/{battle_id}/turns", {"prompt": "More?"})
    assert after.status_code == 409 and after.json()["error"]["code"] == "battle_voted"


async def test_design_answer_is_extracted_and_network_blocked(scripted, api_client) -> None:
    page = "Sure!\n```html\n<!DOCTYPE html><html><body><h1>Bakery</h1></body></html>\n```\nEnjoy."
    arena = scripted({"deepseek-v3": [page], "gpt-4o": ["```svg\n<svg width='10'></svg>\n```"]})
    c = await api_client(arena)
    r = await c.post("/api/battles", {"prompt": "A bakery page", "category": "website"})
    events = sse_events((await c.get(r.json()["stream_url"])).text)
    assert events[0][1]["design"] is True
    assert not [d for n, d in events if n == "render"]  # no Markdown for designs
    for _, d in [e for e in events if e[0] == "side_done"]:
        assert d["kind"] == "design"
        assert "doc" not in d  # served at its own address (tests/web/test_designs.py)
        assert d["src"] == f"/designs/{r.json()['id']}/0/{d['side']}"
        assert "Enjoy." not in d["code"] and "```" not in d["code"]


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"prompt": "", "category": "chat"}, 400, "empty_prompt"),
        ({"prompt": "   \n\t ", "category": "chat"}, 400, "empty_prompt"),
        ({"prompt": "x" * 201, "category": "chat"}, 400, "prompt_too_long"),
        ({"prompt": "hello", "category": "poetry"}, 400, "unknown_category"),
        ({"category": "chat"}, 422, "invalid_request"),
        ({"prompt": 42, "category": "chat"}, 422, "invalid_request"),
        ({"prompt": ["a"], "category": "chat"}, 422, "invalid_request"),
    ],
)
async def test_bad_battle_requests_are_refused_without_side_effects(
    scripted, api_client, body: dict[str, Any], status: int, code: str
) -> None:
    arena = scripted(max_prompt_chars=200)
    c = await api_client(arena)
    before = rows(arena)
    r = await c.post("/api/battles", body)
    assert r.status_code == status, r.text
    error = r.json()["error"]
    assert error["code"] == code and len(error["message"]) > 5
    assert "Traceback" not in r.text
    assert rows(arena) == before == {"battles": 0, "answers": 0, "votes": 0}


async def test_malformed_json_body_gets_a_clear_422(scripted, api_client) -> None:
    arena = scripted()
    c = await api_client(arena)
    r = await c.post(
        "/api/battles",
        None,
        content=b'{"prompt": "hi", ',
        headers={"content-type": "application/json"},
    )
    assert r.status_code == 422
    assert r.json()["error"] == {
        "code": "invalid_request",
        "message": "the request body is not valid JSON",
    }
    assert rows(arena)["battles"] == 0


async def test_oversized_body_is_refused_with_413(scripted, api_client) -> None:
    arena = scripted()
    c = await api_client(arena)
    r = await c.post("/api/battles", {"prompt": "x" * (MAX_BODY_BYTES + 10), "category": "chat"})
    assert r.status_code == 413 and r.json()["error"]["code"] == "too_large"
    assert r.headers["x-content-type-options"] == "nosniff"
    assert rows(arena)["battles"] == 0


async def test_unknown_battle_is_404_everywhere(scripted, api_client) -> None:
    arena = scripted()
    c = await api_client(arena)
    missing = "0" * 24
    for method, url, body in (
        ("GET", f"/api/battles/{missing}", None),
        ("GET", f"/api/battles/{missing}/stream", None),
        ("GET", f"/api/battles/{missing}/reveal", None),
        ("POST", f"/api/battles/{missing}/vote", {"verdict": "a"}),
        ("POST", f"/api/battles/{missing}/turns", {"prompt": "hi"}),
    ):
        r = await (c.get(url) if method == "GET" else c.post(url, body))
        assert r.status_code == 404, url
        assert r.json()["error"]["code"] == "battle_not_found"
    assert rows(arena) == {"battles": 0, "answers": 0, "votes": 0}


async def test_second_vote_is_409_and_stores_nothing(scripted, api_client) -> None:
    arena = scripted()
    c = await api_client(arena)
    battle_id = await c.battle()
    assert (await c.post(f"/api/battles/{battle_id}/vote", {"verdict": "b"})).status_code == 200
    r = await c.post(f"/api/battles/{battle_id}/vote", {"verdict": "a"})
    assert r.status_code == 409 and r.json()["error"]["code"] == "duplicate"
    assert rows(arena)["votes"] == 1
    assert arena.store.votes_for_battle(battle_id)[0].verdict.value == "b"


async def test_vote_before_answers_complete_is_409(scripted, api_client) -> None:
    arena = scripted(delay_s=0.05)
    c = await api_client(arena)
    r = await c.post("/api/battles", {"prompt": "Slow please", "category": "chat"})
    battle_id = r.json()["id"]
    early = await c.post(f"/api/battles/{battle_id}/vote", {"verdict": "a"})
    assert early.status_code == 409 and early.json()["error"]["code"] == "incomplete"
    assert rows(arena)["votes"] == 0
    await c.get(f"/api/battles/{battle_id}/stream")
    assert (await c.post(f"/api/battles/{battle_id}/vote", {"verdict": "a"})).status_code == 200


async def test_unknown_verdict_is_400(scripted, api_client) -> None:
    arena = scripted()
    c = await api_client(arena)
    battle_id = await c.battle()
    r = await c.post(f"/api/battles/{battle_id}/vote", {"verdict": "c"})
    assert r.status_code == 400 and r.json()["error"]["code"] == "unknown_verdict"
    assert rows(arena)["votes"] == 0


async def test_reveal_before_the_vote_is_refused_and_changes_nothing(scripted, api_client) -> None:
    arena = scripted()
    c = await api_client(arena)
    battle_id = await c.battle()
    r = await c.get(f"/api/battles/{battle_id}/reveal")
    assert r.status_code == 409 and r.json()["error"]["code"] == "not_revealed"
    assert arena.store.get_battle(battle_id).anonymous is True
    vote = await c.post(f"/api/battles/{battle_id}/vote", {"verdict": "a"})
    assert vote.json()["counted"] is True


async def test_only_the_battles_owner_can_vote_or_follow_up(scripted, api_client) -> None:
    arena = scripted()
    owner = await api_client(arena)
    battle_id = await owner.battle()
    stranger = await api_client(arena)
    for url, body in (
        (f"/api/battles/{battle_id}/vote", {"verdict": "a"}),
        (f"/api/battles/{battle_id}/turns", {"prompt": "hi"}),
    ):
        r = await stranger.post(url, body)
        assert r.status_code == 403 and r.json()["error"]["code"] == "not_your_battle"
    assert rows(arena)["votes"] == 0


@pytest.mark.parametrize("token", [None, "", "wrong-token"])
async def test_state_changing_requests_need_the_csrf_token(scripted, api_client, token) -> None:
    arena = scripted()
    c = await api_client(arena)
    battle_id = await c.battle()
    headers = {} if token is None else {"X-CSRF-Token": token}
    for url, body in (
        ("/api/battles", {"prompt": "hi", "category": "chat"}),
        (f"/api/battles/{battle_id}/vote", {"verdict": "a"}),
        (f"/api/battles/{battle_id}/turns", {"prompt": "more"}),
    ):
        r = await c.post(url, body, csrf=False, headers=headers)
        assert r.status_code == 403, url
        assert r.json()["error"]["code"] == "csrf"
    assert rows(arena) == {"battles": 1, "answers": 2, "votes": 0}


async def test_a_forged_session_cookie_gets_a_fresh_session(scripted, api_client) -> None:
    arena = scripted()
    c = await api_client(arena)
    c.http.cookies.set("arena_session", "forged.value")
    r = await c.post("/api/battles", {"prompt": "hi", "category": "chat"})
    assert r.status_code == 403  # the new session's token differs from the old one


async def test_battle_rate_limit_answers_429_with_retry_after(scripted, api_client) -> None:
    arena = scripted(battles_per_minute=2)
    c = await api_client(arena)
    for _ in range(2):
        r = await c.post("/api/battles", {"prompt": "hi", "category": "chat"})
        assert r.status_code == 201
    r = await c.post("/api/battles", {"prompt": "hi", "category": "chat"})
    assert r.status_code == 429
    assert 0 < int(r.headers["Retry-After"]) <= 60
    error = r.json()["error"]
    assert error["code"] == "rate_limited" and "too many battles" in error["message"]
    assert rows(arena)["battles"] == 2
    # a refused request does not use up the quota of a valid one later, and bad input is
    # refused before it is counted
    assert (await c.post("/api/battles", {"prompt": "", "category": "chat"})).status_code == 400


async def test_vote_rate_limit_answers_429(scripted, api_client) -> None:
    arena = scripted(votes_per_day=1)
    c = await api_client(arena)
    first, second = await c.battle(), await c.battle("Another prompt")
    assert (await c.post(f"/api/battles/{first}/vote", {"verdict": "a"})).status_code == 200
    r = await c.post(f"/api/battles/{second}/vote", {"verdict": "a"})
    assert r.status_code == 429 and int(r.headers["Retry-After"]) > 0
    assert rows(arena)["votes"] == 1


@pytest.mark.parametrize(
    "url",
    [
        "/",
        "/leaderboard",
        "/models",
        "/api",
        "/api/leaderboard",
        "/api/models",
        "/static/app.css",
        "/no-such-page",
        "/api/no-such-thing",
        "/openapi.json",
    ],
)
async def test_security_headers_on_every_response(scripted, api_client, url: str) -> None:
    arena = scripted()
    c = await api_client(arena)
    r = await c.get(url)
    h = r.headers
    assert h["x-content-type-options"] == "nosniff"
    assert h["referrer-policy"] == "no-referrer"
    assert h["x-frame-options"] == "DENY"
    csp = h["content-security-policy"]
    assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
    assert "default-src 'self'" in csp
    assert "script-src 'self';" in csp  # no inline script on any page, designs or not
    assert "unsafe-inline" not in csp.split("script-src", 1)[1].split(";", 1)[0]


async def test_security_headers_on_the_event_stream(scripted, api_client) -> None:
    arena = scripted()
    c = await api_client(arena)
    battle_id = await c.battle()
    r = await c.get(f"/api/battles/{battle_id}/stream")
    assert r.headers["x-content-type-options"] == "nosniff"
    assert "frame-ancestors 'none'" in r.headers["content-security-policy"]


def parsed_elements(html: str) -> list[tuple[str, list[tuple[str, str | None]]]]:
    from html.parser import HTMLParser

    found: list[tuple[str, list[tuple[str, str | None]]]] = []

    class Collect(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            found.append((tag, attrs))

    Collect().feed(html)
    return found


XSS = (
    'Look: <script>alert("x")</script> and <img src=x onerror="alert(1)"> and '
    '<a href="javascript:alert(2)">link</a> [md link](javascript:alert(3)) '
    '<svg onload="alert(4)"></svg> <iframe src="https://example.com"></iframe>'
)


async def test_chat_answer_markup_is_sanitised(scripted, api_client) -> None:
    arena = scripted({"deepseek-v3": [XSS], "gpt-4o": [XSS]})
    c = await api_client(arena)
    r = await c.post("/api/battles", {"prompt": "hi", "category": "chat"})
    stream = (await c.get(r.json()["stream_url"])).text
    view = (await c.get(f"/api/battles/{r.json()['id']}")).json()
    htmls = [d["html"] for n, d in sse_events(stream) if n in ("render", "side_done")]
    htmls += [view["turns"][0][s]["html"] for s in "ab"]
    assert len(htmls) >= 4
    for html in htmls:
        for tag, attrs in parsed_elements(html):
            assert tag not in ("script", "img", "svg", "iframe", "style", "object"), html
            for name, value in attrs:
                assert not name.startswith("on"), html
                assert not (value or "").strip().lower().startswith("javascript:"), html
    complete = [d["html"] for n, d in sse_events(stream) if n == "side_done"]
    complete += [view["turns"][0][s]["html"] for s in "ab"]
    for html in complete:  # the complete answers: the markup is shown as text
        assert "&lt;script&gt;alert" in html and "&lt;img src=x onerror=" in html


def identity_strings(arena: Arena) -> set[str]:
    out: set[str] = set()
    for model_id in arena.contestants:
        info = arena.model_info(model_id)
        out |= {model_id, info.display_name}
        if info.entry:
            out |= {info.entry.id, info.entry.display_name, info.entry.lab}
    return {s for s in out if s}


async def test_no_identity_reaches_the_client_before_the_vote(scripted, api_client) -> None:
    arena = scripted(
        {
            "deepseek-v3": ["Answer one."],
            "gpt-4o": [BackendServerError("gpt-4o at OpenAI returned 500"), "Answer two."],
        }
    )
    c = await api_client(arena)
    secret = identity_strings(arena)
    assert {"deepseek-v3", "DeepSeek", "gpt-4o", "OpenAI", "GPT-4o"} <= secret
    await c.get("/")
    # a failed battle first: its error messages must not name the model either
    failed = await c.post("/api/battles", {"prompt": "hi", "category": "chat"})
    events = sse_events((await c.get(failed.json()["stream_url"])).text)
    assert events[-1][1]["status"] == "failed" and events[-1][1]["error"]
    await c.get(f"/api/battles/{failed.json()['id']}")
    battle_id = await c.battle("What is 2 + 2?")
    await c.get(f"/api/battles/{battle_id}")
    await c.get(f"/api/battles/{battle_id}/reveal")  # refused: still anonymous
    await c.get(f"/battles/{battle_id}")
    await c.post(f"/api/battles/{battle_id}/vote", {"verdict": "nonsense"})
    assert len(c.seen) >= 9
    for response in c.seen:
        blob = (
            response.text + "\n" + "\n".join(f"{k}: {v}" for k, v in response.headers.items())
        ).lower()
        for word in secret:
            assert word.lower() not in blob, (word, str(response.url))
    r = await c.post(f"/api/battles/{battle_id}/vote", {"verdict": "a"})
    assert any(w.lower() in r.text.lower() for w in secret)  # the reveal, after the vote


async def test_model_failure_fails_the_battle_cleanly(scripted, api_client) -> None:
    arena = scripted(
        {
            "deepseek-v3": ["fine"],
            "gpt-4o": [BackendServerError("upstream said 500 at /secret/path")],
        }
    )
    c = await api_client(arena)
    r = await c.post("/api/battles", {"prompt": "hi", "category": "chat"})
    battle_id = r.json()["id"]
    text = (await c.get(r.json()["stream_url"])).text
    events = sse_events(text)
    done = events[-1][1]
    assert done["status"] == "failed" and done["can_vote"] is False
    assert done["error"] == "The model's server returned an error."
    assert "/secret/path" not in text and "Traceback" not in text
    vote = await c.post(f"/api/battles/{battle_id}/vote", {"verdict": "a"})
    assert vote.status_code == 409 and vote.json()["error"]["code"] == "battle_failed"
    assert rows(arena)["votes"] == 0


async def test_identity_leak_is_flagged_and_the_vote_not_counted(scripted, api_client) -> None:
    arena = scripted({"deepseek-v3": ["I am Claude, made by Anthropic."], "gpt-4o": ["Hi."]})
    c = await api_client(arena)
    r = await c.post("/api/battles", {"prompt": "who are you", "category": "chat"})
    events = sse_events((await c.get(r.json()["stream_url"])).text)
    assert events[-1][1]["flagged"] is True
    vote = (await c.post(f"/api/battles/{r.json()['id']}/vote", {"verdict": "a"})).json()
    assert vote["counted"] is False and vote["not_counted_reason"] == "identity_leak"


async def test_stream_replays_for_a_late_client(scripted, api_client) -> None:
    arena = scripted()
    c = await api_client(arena)
    battle_id = await c.battle()
    c.app.state.ctx.turns.runs.clear()  # as after a restart: replay from the store
    events = sse_events((await c.get(f"/api/battles/{battle_id}/stream")).text)
    assert [n for n, _ in events][-1] == "done" and events[-1][1]["can_vote"] is True
    assert {d["side"] for n, d in events if n == "side_done"} == {"a", "b"}


async def test_leaderboard_filters_and_errors(scripted, api_client) -> None:
    arena = scripted()
    c = await api_client(arena)
    battle_id = await c.battle()
    await c.post(f"/api/battles/{battle_id}/vote", {"verdict": "a"})
    everything = (await c.get("/api/leaderboard")).json()
    assert len(everything["rows"]) == 2
    assert everything["matrix"]["battles"] == [[0, 1], [1, 0]]
    open_only = (await c.get("/api/leaderboard?open=true")).json()
    assert [r["model"] for r in open_only["rows"]] == ["deepseek-v3"]
    us = (await c.get("/api/leaderboard?country=us&min_votes=1")).json()
    assert [r["model"] for r in us["rows"]] == ["gpt-4o"]
    assert (await c.get("/api/leaderboard?category=website")).json()["rows"] == []
    for bad in (
        "open=maybe",
        "license=free-ish",
        "category=poetry",
        "min_votes=-1",
        "min_votes=lots",
        "source=robots",
    ):
        r = await c.get(f"/api/leaderboard?{bad}")
        assert r.status_code == 400 and r.json()["error"]["code"] == "bad_filter", bad


async def test_one_tie_vote_shows_not_enough_votes(scripted, api_client) -> None:
    # was "1000 -0 / +0" and a "top rated" model after one tie vote
    arena = scripted()
    c = await api_client(arena)
    battle_id = await c.battle()
    await c.post(f"/api/battles/{battle_id}/vote", {"verdict": "tie"})
    board = (await c.get("/api/leaderboard")).json()
    assert [(r["ci_lower"], r["ci_upper"], r["rank"]) for r in board["rows"]] == [
        (None, None, None)
    ] * 2
    assert board["headline"]["leaders"] == [] and board["fragile_pairs"] == []
    for url in ("/leaderboard", "/models", "/models/gpt-4o", "/api/models/gpt-4o"):
        page = await c.get(url)
        assert page.status_code == 200, url
    assert "not enough votes" in (await c.get("/models/gpt-4o")).text


async def test_models_and_openapi(scripted, api_client) -> None:
    arena = scripted()
    c = await api_client(arena)
    models = (await c.get("/api/models")).json()
    assert [m["id"] for m in models] == ["deepseek-v3", "gpt-4o"]
    assert all("backend" not in m and "api_key_env" not in m for m in models)
    assert (await c.get("/api/models/gpt-4o")).json()["model"]["lab"] == "OpenAI"
    assert (await c.get("/api/models/nope")).status_code == 404
    schema = (await c.get("/openapi.json")).json()
    for path in (
        "/api/battles",
        "/api/battles/{battle_id}/stream",
        "/api/battles/{battle_id}/vote",
        "/api/battles/{battle_id}/reveal",
        "/api/leaderboard",
        "/api/models",
        "/api/battles/{battle_id}",
        "/api/battles/{battle_id}/turns",
    ):
        assert path in schema["paths"], path


async def test_session_key_is_kept_next_to_the_database(scripted, api_client, db_file) -> None:
    arena = scripted()
    c = await api_client(arena)
    key_file = db_file.with_name(db_file.name + ".secret")
    assert key_file.is_file() and oct(os.stat(key_file).st_mode & 0o777) == "0o600"
    battle_id = await c.battle()
    # a restarted app (same database) accepts the same cookie and token
    c2 = await api_client(arena)
    c2.http.cookies = c.http.cookies
    c2.csrf = c.csrf
    r = await c2.post(f"/api/battles/{battle_id}/vote", {"verdict": "a"})
    assert r.status_code == 200, r.text


# A model that thinks out loud before answering (reasoning_content).
THINKER = [{"reasoning": "SECRET-PLAN step by step ", "text": "The answer is 4."}]


async def test_reasoning_is_withheld_until_the_reveal(scripted, api_client) -> None:
    arena = scripted({"deepseek-v3": THINKER, "gpt-4o": THINKER})
    c = await api_client(arena)
    r = await c.post("/api/battles", {"prompt": "2 + 2?", "category": "chat"})
    stream = (await c.get(r.json()["stream_url"])).text
    events = sse_events(stream)
    assert not any("thinking" in d for n, d in events)  # not even that a side reasons
    view = await c.get(f"/api/battles/{r.json()['id']}")
    assert "SECRET-PLAN" not in stream and "SECRET-PLAN" not in view.text
    assert "The answer is 4." in view.text
    vote = (await c.post(f"/api/battles/{r.json()['id']}/vote", {"verdict": "tie"})).json()
    assert vote["reveal"]["a"]["reasoning"] == ["SECRET-PLAN step by step "]


async def test_a_stream_on_another_worker_waits_for_the_stored_answers(
    scripted, api_client
) -> None:
    worker1 = await api_client(scripted(delay_s=0.03))
    worker2 = await api_client(scripted())  # same database, another process in production
    worker2.http.cookies = worker1.http.cookies
    r = await worker1.post("/api/battles", {"prompt": "hi", "category": "chat"})
    assert r.status_code == 201
    events = sse_events((await worker2.get(r.json()["stream_url"])).text)
    assert events[0][0] == "waiting"
    assert events[-1][1]["status"] == "complete" and events[-1][1]["can_vote"] is True
    assert {d["side"] for n, d in events if n == "side_done"} == {"a", "b"}
    worker2.csrf = worker1.csrf
    vote = await worker2.post(f"/api/battles/{r.json()['id']}/vote", {"verdict": "a"})
    assert vote.status_code == 200, vote.text


async def test_a_lone_process_reports_a_lost_turn_at_once(scripted, api_client) -> None:
    arena = scripted()
    c = await api_client(arena, single_process=True)
    battle = arena.start_battle("chat", "hi", session_id="someone")  # pending, never run
    events = sse_events((await c.get(f"/api/battles/{battle.id}/stream")).text)
    assert events[-1][1]["status"] == "failed" and events[-1][1]["code"] == "lost"


async def test_a_vote_and_a_follow_up_sent_at_once_are_never_both_accepted(
    scripted, api_client
) -> None:
    """Sent together (in both orders), many times: one is accepted and the other refused
    (battle_voted or incomplete); no turn is ever generated after the reveal."""
    import asyncio

    arena = scripted(battles_per_minute=10_000, delay_s=0.01)  # a turn takes a while
    c = await api_client(arena)
    seen: set[tuple[int, int]] = set()
    for k in range(30):
        battle_id = await c.battle("hi")
        vote = c.post(f"/api/battles/{battle_id}/vote", {"verdict": "a"})
        turn = c.post(f"/api/battles/{battle_id}/turns", {"prompt": "more"})
        if k % 2:
            v, t = await asyncio.gather(vote, turn)
        else:
            t, v = await asyncio.gather(turn, vote)
        seen.add((v.status_code, t.status_code))
        assert not (v.status_code == 200 and t.status_code == 202), (k, v.text, t.text)
        if t.status_code == 202:
            events = sse_events((await c.get(t.json()["stream_url"])).text)
            assert events[-1][1]["status"] == "complete", events[-1]
            assert v.json()["error"]["code"] in ("incomplete", "turn_in_progress")
        else:
            assert t.json()["error"]["code"] == "battle_voted"
        stored = arena.store.get_battle(battle_id)
        assert not (arena.store.votes_for_battle(battle_id) and stored.turns > 1)
    assert seen <= {(200, 409), (409, 202)}
