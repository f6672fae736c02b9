"""The event stream of a turn: what it shows before the vote (no sign of reasoning), the one
duration of an answer, and turns lost in a crash."""

from __future__ import annotations

from typing import Any

from scripted import backdate_turn
from test_api import sse_events


def thinking(*, reasoning: bool, total_time_s: float = 1.234) -> list[dict[str, Any]]:
    """Thinks out loud (reasoning_content) before it answers: a scripted reply (the scripted
    backend counts the reasoning among the completion tokens, as servers do)."""
    thoughts = "SECRET-PLAN step by step " if reasoning else ""
    return [{"reasoning": thoughts, "text": "The answer is 4.", "time_s": total_time_s}]


def _side(events: list[tuple[str, dict[str, Any]]], side: str) -> list[tuple[str, Any]]:
    """One side's events as the voter sees them, without the clock."""
    out = []
    for name, data in events:
        if data.get("side") == side:
            shown = {k: v for k, v in data.items() if k not in ("side", "elapsed_s")}
            out.append((name, shown))
    return out


async def test_the_stream_shows_no_sign_of_reasoning_before_the_vote(scripted, api_client) -> None:
    """One side reasons, the other does not, and both give the same answer: before the vote
    their streams are the same event for event (no "thinking" delta, no reasoning tokens in
    a count); the reasoning is shown in the reveal."""
    arena = scripted({"deepseek-v3": thinking(reasoning=True), "gpt-4o": thinking(reasoning=False)})
    c = await api_client(arena)
    r = await c.post("/api/battles", {"prompt": "2 + 2?", "category": "chat"})
    battle_id = r.json()["id"]
    stream = (await c.get(r.json()["stream_url"])).text
    events = sse_events(stream)
    assert "SECRET-PLAN" not in stream and "thinking" not in stream
    assert _side(events, "a") == _side(events, "b")
    assert [d["tokens"] for n, d in events if n == "side_done"] == [4, 4]
    view = (await c.get(f"/api/battles/{battle_id}")).json()
    shown = view["turns"][0]
    assert shown["a"]["tokens"] == shown["b"]["tokens"] == 4
    assert "SECRET-PLAN" not in str(view)
    vote = (await c.post(f"/api/battles/{battle_id}/vote", {"verdict": "tie"})).json()
    stored = arena.store.get_battle(battle_id)
    thinker = "a" if stored.model_a == "deepseek-v3" else "b"
    assert vote["reveal"][thinker]["reasoning"] == ["SECRET-PLAN step by step "]
    assert vote["reveal"][thinker]["completion_tokens"] == 8  # all of it, after the vote


async def test_an_answer_has_one_duration_in_the_pane_and_in_the_reveal(
    scripted, api_client
) -> None:
    """The time a pane ends on (side_done), the battle view's and the reveal's are the
    answer's one stored duration; over two turns the reveal shows their sum."""
    arena = scripted(
        {
            "deepseek-v3": thinking(reasoning=True, total_time_s=1.234),
            "gpt-4o": thinking(reasoning=False, total_time_s=0.5),
        }
    )
    c = await api_client(arena)
    battle_id = await c.battle("2 + 2?")
    first = sse_events((await c.get(f"/api/battles/{battle_id}/stream")).text)  # replayed
    r = await c.post(f"/api/battles/{battle_id}/turns", {"prompt": "and 3 + 3?"})
    second = sse_events((await c.get(r.json()["stream_url"])).text)
    view = (await c.get(f"/api/battles/{battle_id}")).json()
    reveal = (await c.post(f"/api/battles/{battle_id}/vote", {"verdict": "a"})).json()["reveal"]
    stored = arena.store.get_battle(battle_id)
    for side in "ab":
        expected = (
            1.23 if (stored.model_a if side == "a" else stored.model_b) == "deepseek-v3" else 0.5
        )
        panes = [
            next(d["elapsed_s"] for n, d in events if n == "side_done" and d["side"] == side)
            for events in (first, second)
        ]
        assert panes == [expected, expected]
        assert [t[side]["time_s"] for t in view["turns"]] == [expected, expected]
        assert reveal[side]["time_s"] == round(2 * expected, 2)


async def test_a_turn_lost_in_a_crash_fails_and_the_voter_can_retry(scripted, api_client) -> None:
    """A turn left pending by a dead process: once older than any turn can take, reading
    the battle marks it failed (the page then offers a retry) and its stream ends at once;
    a starting server does the same for every such turn."""
    arena = scripted()
    c = await api_client(arena)
    lost = arena.start_battle("chat", "hi", session_id="someone")  # nobody generates it
    recent = arena.start_battle("chat", "hi", session_id="someone")
    backdate_turn(arena, lost.id, 3600)
    view = (await c.get(f"/api/battles/{lost.id}")).json()
    assert view["status"] == "failed" and view["can_vote"] is False
    assert view["failure"] == "This turn was interrupted (the server stopped while generating it)."
    events = sse_events((await c.get(f"/api/battles/{lost.id}/stream")).text)
    assert events[-1][0] == "done" and events[-1][1]["status"] == "failed"
    assert (await c.get(f"/api/battles/{recent.id}")).json()["status"] == "pending"

    lost_again = arena.start_battle("chat", "hi", session_id="someone")
    backdate_turn(arena, lost_again.id, 3600)
    app = c.app  # type: ignore[attr-defined]
    async with app.router.lifespan_context(app):
        stored = arena.store.get_battle(lost_again.id)
        assert (stored.status.value, stored.failure_reason) == ("failed", "lost")
        assert arena.store.get_battle(recent.id).status.value == "pending"


def test_a_long_answer_is_rendered_less_often() -> None:
    from modelarena.web.sse import RENDER_CHARS, RENDER_EVERY_S, render_due

    # a short answer: every RENDER_EVERY_S
    assert render_due(RENDER_EVERY_S, 0.0, 100) and not render_due(RENDER_EVERY_S / 2, 0.0, 100)
    # ten times the size: a tenth as often, so the bytes sent per second stay the same
    long = 10 * RENDER_CHARS
    assert not render_due(5 * RENDER_EVERY_S, 0.0, long)
    assert render_due(10 * RENDER_EVERY_S, 0.0, long)
