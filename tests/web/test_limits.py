"""What one anonymous client can make the server do through the API: follow-up turns are
bounded in count and conversation size, with a clear refusal that leaves the battle votable."""

from __future__ import annotations

from typing import Any


async def test_a_follow_up_past_the_turn_limit_is_refused_clearly(
    scripted: Any, api_client: Any
) -> None:
    arena = scripted(max_turns=2)
    c = await api_client(arena)
    battle_id = await c.battle("First?")
    r = await c.post(f"/api/battles/{battle_id}/turns", {"prompt": "Second?"})
    assert r.status_code == 202
    await c.get(r.json()["stream_url"])
    refused = await c.post(f"/api/battles/{battle_id}/turns", {"prompt": "Third?"})
    assert refused.status_code == 409
    error = refused.json()["error"]
    assert error["code"] == "too_many_turns"
    assert "2 turns" in error["message"] and "new battle" in error["message"]
    view = (await c.get(f"/api/battles/{battle_id}")).json()
    assert len(view["turns"]) == 2 and view["can_vote"] is True
    assert (await c.post(f"/api/battles/{battle_id}/vote", {"verdict": "a"})).status_code == 200


async def test_a_follow_up_past_the_context_limit_is_refused_clearly(
    scripted: Any, api_client: Any
) -> None:
    arena = scripted(max_context_chars=2_000)
    c = await api_client(arena)
    battle_id = await c.battle("x" * 900)
    refused = await c.post(f"/api/battles/{battle_id}/turns", {"prompt": "y" * 1_000})
    assert refused.status_code == 409
    error = refused.json()["error"]
    assert error["code"] == "context_too_long" and "2,000" in error["message"]
    assert len((await c.get(f"/api/battles/{battle_id}")).json()["turns"]) == 1
