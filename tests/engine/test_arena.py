"""Battles end to end through the Arena, with scripted contestants on a real store."""

from __future__ import annotations

import pytest
from scripted import scripted_arena

from modelarena.arena import PROBE_AFTER_S, ArenaError
from modelarena.backends.base import BackendTimeout
from modelarena.battles.categories import UnknownCategory
from modelarena.battles.records import BattleStatus, Verdict


async def test_a_battle_streams_both_sides_and_stores_answers(sqlite_url: str) -> None:
    arena = scripted_arena(sqlite_url)
    battle = arena.start_battle("chat", "What is the capital of France?", session_id="s1")
    assert {battle.model_a, battle.model_b} == {"deepseek-v3", "gpt-4o"}
    assert 0 < (battle.pair_probability or 0) <= 1
    events = [e async for e in arena.stream_turn(battle.id, "What is the capital of France?")]
    assert {e.side for e in events if e.text} == {"a", "b"}
    assert sum(1 for e in events if e.answer is not None) == 2
    stored = arena.store.get_battle(battle.id)
    assert stored.status is BattleStatus.COMPLETE and stored.complete
    assert "Paris" in stored.answer(0, "a").content  # type: ignore[union-attr]
    gpt_side = "a" if stored.model_a == "gpt-4o" else "b"
    style = stored.answer(0, gpt_side).style  # type: ignore[union-attr]
    assert style is not None and (style.bold, style.lists) == (1, 2)
    vote = arena.vote(battle.id, "a", voter="s1")
    assert vote.counted and vote.verdict is Verdict.A


async def test_follow_up_turn_continues_both_conversations(sqlite_url: str) -> None:
    arena = scripted_arena(sqlite_url)
    battle = arena.start_battle("chat", "first", models=["deepseek-v3", "gpt-4o"])
    await arena.run_turn(battle.id, "first")
    await arena.run_turn(battle.id, "second")
    stored = arena.store.get_battle(battle.id)
    assert stored.turns == 2 and stored.complete
    calls = arena._backends["deepseek-v3"].calls  # type: ignore[attr-defined]
    roles = [m.role for m in calls[-1]]
    assert roles == ["system", "user", "assistant", "user"]
    assert calls[-1][1].content == "first" and calls[-1][3].content == "second"


async def test_a_failing_model_fails_the_battle_and_is_never_counted(sqlite_url: str) -> None:
    arena = scripted_arena(
        sqlite_url,
        {
            "deepseek-v3": [BackendTimeout("the model took too long")],
            "gpt-4o": ["fine"],
        },
    )
    battle = arena.start_battle("chat", "hi", models=["deepseek-v3", "gpt-4o"])
    events = [e async for e in arena.stream_turn(battle.id, "hi")]
    assert any(e.error == "the model took too long" for e in events)
    stored = arena.store.get_battle(battle.id)
    assert stored.status is BattleStatus.FAILED and stored.failure_reason == "timeout"
    vote = arena.vote(battle.id, "b", voter="x")
    assert not vote.counted and vote.reason == "battle_failed"
    with pytest.raises(ArenaError):
        await arena.run_turn(battle.id, "again")


async def test_a_model_that_keeps_failing_leaves_pairing_and_is_probed_later(
    sqlite_url: str,
) -> None:
    arena = scripted_arena(
        sqlite_url,
        {
            "deepseek-v3": [BackendTimeout("slow")],
            "gpt-4o": ["ok"],
            "qwen3-235b-a22b": ["ok"],
        },
    )
    for _ in range(3):
        b = arena.start_battle("chat", "hi", models=["deepseek-v3", "gpt-4o"])
        await arena.run_turn(b.id, "hi")
    assert "deepseek-v3" in arena.excluded_models()
    for _ in range(20):
        b = arena.start_battle("chat", "hi")
        assert "deepseek-v3" not in (b.model_a, b.model_b)
    import time

    assert "deepseek-v3" not in arena.excluded_models(time.monotonic() + PROBE_AFTER_S + 1)


async def test_identity_leak_is_flagged_and_the_vote_not_counted(sqlite_url: str) -> None:
    arena = scripted_arena(
        sqlite_url,
        {
            "deepseek-v3": ["As DeepSeek, I think the answer is 4."],
            "gpt-4o": ["4"],
        },
    )
    b = arena.start_battle("chat", "2+2?", models=["deepseek-v3", "gpt-4o"])
    stored = await arena.run_turn(b.id, "2+2?")
    assert stored.identity_leak == "deepseek"
    vote = arena.vote(b.id, "a", voter="x")
    assert (vote.counted, vote.reason) == (False, "identity_leak")


async def test_bad_input_is_refused_without_side_effects(sqlite_url: str) -> None:
    arena = scripted_arena(sqlite_url, max_prompt_chars=50)
    with pytest.raises(ArenaError, match="empty"):
        arena.start_battle("chat", "   ")
    with pytest.raises(ArenaError, match="limit is 50"):
        arena.start_battle("chat", "x" * 51)
    with pytest.raises(UnknownCategory, match="website"):
        arena.start_battle("poetry", "hi")
    assert arena.store.recent_battles(with_votes=False) == []


async def test_votes_on_one_prompt_are_capped(sqlite_url: str) -> None:
    arena = scripted_arena(sqlite_url, votes_per_prompt=2)
    results = []
    for _ in range(3):
        b = arena.start_battle("chat", "Same prompt")
        await arena.run_turn(b.id, "Same prompt")
        results.append(arena.vote(b.id, "a", voter="v"))
    assert [r.counted for r in results] == [True, True, False]
    assert results[-1].reason == "prompt_cap"


async def test_no_follow_up_after_the_vote(sqlite_url: str) -> None:
    arena = scripted_arena(sqlite_url)
    b = arena.start_battle("chat", "hi")
    await arena.run_turn(b.id, "hi")
    arena.vote(b.id, "tie", voter="v")
    with pytest.raises(ArenaError):
        await arena.run_turn(b.id, "more")
