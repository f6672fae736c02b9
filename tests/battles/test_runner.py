"""Bounds on what a battle can take from a backend and send to it (battles/runner.py, and the
arena's use of them): answers in tokens and characters, follow-up turns in count and size."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import Any

import pytest
from scripted import scripted_arena

from modelarena.arena import ArenaError
from modelarena.backends import register_backend
from modelarena.backends.base import CUT, AnswerStats, Chunk, GenerationSettings, Message
from modelarena.battles.records import Answer, BattleStatus
from modelarena.battles.runner import AnswerLimits, stream_both, turn_refusal
from modelarena.config import ModelConfig, Settings
from modelarena.store import Store


class Endless:
    """A backend that never stops (whatever ``max_tokens`` says), or sends ``chunk`` once."""

    def __init__(self, chunk: str = "word ", times: int | None = None) -> None:
        self.chunk, self.times = chunk, times
        self.sent = 0
        self.closed = False
        self.asked_tokens: int | None = None

    async def stream(
        self, messages: list[Message], settings: GenerationSettings
    ) -> AsyncIterator[Chunk]:
        self.asked_tokens = settings.max_tokens
        try:
            while self.times is None or self.sent < self.times:
                self.sent += 1
                yield Chunk(text=self.chunk)
            yield Chunk(final=AnswerStats(completion_tokens=self.sent, finish_reason="stop"))
        finally:
            self.closed = True

    async def aclose(self) -> None:
        return None


async def answers(
    backends: tuple[Any, Any], limits: AnswerLimits, max_tokens: int = 1024
) -> dict[str, Answer]:
    settings = GenerationSettings(max_tokens=max_tokens, timeout_s=2.0)
    messages = [Message("user", "Write forever.")]
    out = {}
    pair = (settings, settings)
    async for event in stream_both(backends, (messages, messages), pair, 0, "p", limits):
        if event.answer is not None:
            out[event.side] = event.answer
    return out


async def test_a_backend_that_never_stops_is_cut_at_the_token_bound_and_marked() -> None:
    a, b = Endless(), Endless(times=3)
    got = await answers((a, b), AnswerLimits(max_tokens=50, max_chars=10_000))
    assert got["a"].error is None
    assert got["a"].content == "word " * 50
    assert got["a"].stats.finish_reason == CUT and got["a"].stats.completion_tokens == 50
    assert a.closed and a.asked_tokens == 50  # asked for no more; its stream closed at once
    # the side that stopped on its own keeps its own figures
    assert got["b"].content == "word " * 3 and got["b"].stats.finish_reason == "stop"


async def test_a_huge_chunk_is_cut_at_the_character_bound_and_marked() -> None:
    a, b = Endless("x" * 1_000_000, times=1), Endless("y" * 10, times=10)
    got = await answers((a, b), AnswerLimits(max_tokens=1000, max_chars=1000))
    assert got["a"].content == "x" * 1000 and got["a"].stats.finish_reason == CUT
    assert got["b"].content == "y" * 100 and got["b"].stats.finish_reason == "stop"


async def test_an_answer_exactly_at_the_bound_is_not_marked_cut() -> None:
    a, b = Endless("ab", times=5), Endless("cd", times=5)
    got = await answers((a, b), AnswerLimits(max_tokens=5, max_chars=10))
    assert got["a"].content == "ab" * 5 and got["a"].stats.finish_reason == "stop"


def test_turn_refusal_names_the_limit() -> None:
    assert turn_refusal(2, [100, 120], max_turns=3, max_context_chars=1000) is None
    code, message = turn_refusal(3, [10, 10], max_turns=3, max_context_chars=1000) or ("", "")
    assert code == "too_many_turns" and "3 turns" in message and "new battle" in message
    code, message = turn_refusal(1, [900, 1200], max_turns=3, max_context_chars=1000) or ("", "")
    assert code == "context_too_long" and "1,200" in message and "1,000" in message


def _endless_factory(cfg: ModelConfig, environ: Mapping[str, str]) -> Endless:
    return Endless(str(cfg.options.get("chunk", "word ")))


async def test_the_arena_stores_an_endless_answer_cut_at_its_settings(sqlite_url: str) -> None:
    register_backend("endless-test", _endless_factory)
    models = [
        ModelConfig(id=m, catalog=m, backend="endless-test", options={"chunk": "la "})
        for m in ("deepseek-v3", "gpt-4o")
    ]
    settings = Settings(
        database_url=sqlite_url, models=models, max_answer_tokens=40, max_answer_chars=90
    )
    arena = type(scripted_arena(sqlite_url))(settings, Store.open(sqlite_url))
    battle = arena.start_battle("chat", "Sing.", models=["deepseek-v3", "gpt-4o"])
    stored = await arena.run_turn(battle.id, "Sing.")
    assert stored.status is BattleStatus.COMPLETE
    for side in "ab":
        answer = stored.answer(0, side)
        assert answer is not None and answer.content == "la " * 30  # 90 characters
        assert answer.stats.finish_reason == CUT


async def test_follow_ups_past_the_turn_limit_are_refused_clearly(sqlite_url: str) -> None:
    arena = scripted_arena(sqlite_url, max_turns=2)
    battle = arena.start_battle("chat", "one", models=["deepseek-v3", "gpt-4o"])
    await arena.run_turn(battle.id, "one")
    await arena.run_turn(battle.id, "two")
    with pytest.raises(ArenaError) as err:
        await arena.run_turn(battle.id, "three")
    assert err.value.code == "too_many_turns" and "2 turns" in str(err.value)
    stored = arena.store.get_battle(battle.id)
    assert stored.turns == 2 and stored.status is BattleStatus.COMPLETE  # still votable


async def test_follow_ups_past_the_context_limit_are_refused_clearly(sqlite_url: str) -> None:
    arena = scripted_arena(sqlite_url, max_context_chars=600)
    battle = arena.start_battle("chat", "x" * 200, models=["deepseek-v3", "gpt-4o"])
    await arena.run_turn(battle.id, "x" * 200)
    with pytest.raises(ArenaError) as err:
        await arena.run_turn(battle.id, "y" * 400)
    assert err.value.code == "context_too_long" and "600" in str(err.value)
    assert arena.store.get_battle(battle.id).turns == 1
