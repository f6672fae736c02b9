"""Battles end to end through the Arena, with scripted contestants on a real store."""

from __future__ import annotations

import asyncio
import threading
from collections import Counter
from typing import Any

import pytest
from scripted import backdate_turn, scripted_arena

from modelarena.arena import PROBE_AFTER_S, ArenaError
from modelarena.backends.base import BackendTimeout
from modelarena.battles.categories import UnknownCategory
from modelarena.battles.records import Answer, BattleStatus, Verdict
from modelarena.store import VoteRejected


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
    calls = arena.backend("deepseek-v3").calls  # type: ignore[attr-defined]
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


# ------------------------------------------------- votes against follow-ups, lost turns
def test_a_vote_and_a_follow_up_at_once_are_never_both_accepted(db_url: str) -> None:
    """Both sent at the same moment, many times: either the vote is taken and the turn
    refused, or the turn is generated and the vote refused (``incomplete``); never a turn
    generated after the reveal, nor a vote taken on answers the voter had not seen."""
    arena = scripted_arena(db_url)
    for model in arena.contestants.values():  # a turn takes a while, as a real one does
        model.options["delay_s"] = 0.01
    winners: Counter[str] = Counter()
    for _ in range(40):
        b = arena.start_battle("chat", "hi", session_id="s")
        asyncio.run(arena.run_turn(b.id, "hi"))
        start = threading.Barrier(2)
        outcome: dict[str, str] = {}
        vote_saw: list[int] = []

        def vote(
            battle_id: str = b.id,
            start: threading.Barrier = start,
            outcome: dict[str, str] = outcome,
            vote_saw: list[int] = vote_saw,
        ) -> None:
            start.wait()
            try:
                record = arena.vote(battle_id, "a", voter="s", owner="s")
                outcome["vote"] = "accepted"
                assert record.battle is not None
                vote_saw.append(record.battle.turns)
            except VoteRejected as exc:
                outcome["vote"] = exc.code

        def follow_up(
            battle_id: str = b.id,
            start: threading.Barrier = start,
            outcome: dict[str, str] = outcome,
        ) -> None:
            start.wait()
            try:
                asyncio.run(arena.run_turn(battle_id, "and then?"))
                outcome["turn"] = "accepted"
            except ArenaError as exc:
                outcome["turn"] = exc.code

        threads = [threading.Thread(target=vote), threading.Thread(target=follow_up)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        stored = arena.store.get_battle(b.id)
        voted = [v for v in arena.store.votes_for_battle(b.id) if v.source == "human"]
        if outcome == {"vote": "accepted", "turn": "accepted"}:
            # not at once after all: the vote came after the new turn's answers, and was
            # cast on them (a thread can be delayed that long on a busy machine)
            assert vote_saw == [2] and stored.turns == 2, (outcome, vote_saw)
            winners["one after the other"] += 1
        elif outcome["vote"] == "accepted":
            assert outcome["turn"] == "battle_voted" and stored.turns == 1 and voted
            winners["vote"] += 1
        else:
            assert outcome == {"vote": "incomplete", "turn": "accepted"}
            assert stored.turns == 2 and stored.complete and not voted
            winners["turn"] += 1
    assert sum(winners.values()) == 40


def test_a_turn_lost_in_a_crash_is_marked_failed_after_its_time_limit(db_url: str) -> None:
    arena = scripted_arena(db_url)
    limit = arena.turn_limit_s()
    assert limit == 2 * 120.0 + 15.0  # twice the models' timeout_s, plus a margin
    fresh = arena.start_battle("chat", "hi", session_id="s")  # pending, maybe generating
    lost = arena.start_battle("chat", "hi", session_id="s")
    backdate_turn(arena, lost.id, limit + 5)
    assert arena.battle(fresh.id).status is BattleStatus.PENDING
    assert arena.recover_lost_turns() == 1
    assert arena.recover_lost_turns() == 0
    failed = arena.store.get_battle(lost.id)
    assert (failed.status, failed.failure_reason) == (BattleStatus.FAILED, "lost")
    assert arena.store.get_battle(fresh.id).status is BattleStatus.PENDING

    # a follow-up turn lost the same way is found when the battle is read
    b = arena.start_battle("chat", "first", session_id="s")
    asyncio.run(arena.run_turn(b.id, "first"))
    assert arena.claim_turn(b.id, owner="s") == 1
    backdate_turn(arena, b.id, limit - 5)
    assert arena.battle(b.id).status is BattleStatus.PENDING  # could still be generating
    backdate_turn(arena, b.id, limit + 5)
    assert arena.battle(b.id).status is BattleStatus.FAILED
    # answers that arrive late leave it failed; it can never be counted
    arena.store.save_answers(b.id, [Answer("a", 1, "x", "late"), Answer("b", 1, "x", "late")])
    assert arena.store.get_battle(b.id).status is BattleStatus.FAILED
    with pytest.raises(VoteRejected) as refused:
        arena.vote(b.id, "a", voter="s", owner="s", refuse_failed=True)
    assert refused.value.code == "battle_failed"


def test_one_vote_door_for_people_and_judges(db_url: str) -> None:
    """People's votes reveal the battle and count against the prompt cap; a judge's do
    neither. The async door applies the same rules."""
    arena = scripted_arena(db_url, votes_per_prompt=1)
    ids = []
    for _ in range(3):
        b = arena.start_battle("chat", "Same prompt", session_id="s")
        asyncio.run(arena.run_turn(b.id, "Same prompt"))
        ids.append(b.id)
    first = arena.vote(ids[0], "a", voter="s")
    assert first.counted and first.battle is not None and not first.battle.anonymous

    async def async_votes() -> Any:
        try:
            with pytest.raises(VoteRejected) as refused:
                await arena.avote(ids[2], "a", voter="other", owner="other")
            assert refused.value.code == "not_your_battle"
            return await arena.avote(ids[1], "tie", voter="s", owner="s")
        finally:
            await arena.store.aclose()

    second = asyncio.run(async_votes())
    assert (second.counted, second.reason) == (False, "prompt_cap")
    assert second.battle is not None and not second.battle.anonymous
    judged = [arena.vote(i, "b", voter=None, source="judge:x") for i in ids[1:]]
    assert [v.counted for v in judged] == [True, True]  # no prompt cap for a judge
    assert arena.store.get_battle(ids[2]).anonymous  # nor a reveal
