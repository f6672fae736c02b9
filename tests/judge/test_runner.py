"""The runner's faults, limits and resume, with a scripted endpoint and a counting fake.

Real answers come from llama.cpp in test_end_to_end.py; here the endpoint is scripted so
faults (a 500, a 401, a judge that answers garbage) happen on cue.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from modelarena.arena import Arena
from modelarena.backends.base import AnswerStats, Backend, Chunk, GenerationSettings, Message
from modelarena.config import ModelConfig, Settings
from modelarena.judge.prompts import PromptItem
from modelarena.judge.report import RunOptions
from modelarena.judge.runner import JudgeRun
from modelarena.runs.cache import Cache
from modelarena.store import Store

PROMPTS = [
    PromptItem("What is the capital of France?", "chat", "p1"),
    PromptItem("Name a primary colour.", "chat", "p2"),
]
PRICED = {"id": "smollm2-135m-instruct", "price_input_per_m": 1000.0, "price_output_per_m": 1000.0}


def make_arena(url: str, ids: list[str], **settings: Any) -> Arena:
    models = [
        ModelConfig(
            id=m,
            catalog="smollm2-135m-instruct",
            backend="openai",
            base_url="http://scripted.invalid/v1",
            model=m,
            max_tokens=16,
        )
        for m in ids
    ]
    return Arena(Settings(database_url=url, models=models, **settings), Store.open(url))


def shown_first(request: httpx.Request) -> str:
    user = json.loads(request.content)["messages"][-1]["content"]
    return user.split("[Answer A]\n", 1)[1].split("\n[End of answer A]", 1)[0]


async def test_retry_after_a_500_then_success(
    sqlite_url: str, tmp_path: Path, scripted_openai: Any
) -> None:
    arena = make_arena(sqlite_url, ["m1", "m2", "jd"])
    s = scripted_openai
    m1, m1_script = s.backend(s.status(500), s.answer("Paris."))
    m2, _ = s.backend(s.answer("Lyon."))

    def judge_reply(request: httpx.Request) -> httpx.Response:
        verdict = "[[A>B]]" if shown_first(request) == "Paris." else "[[B>A]]"
        return s.answer(f"{verdict} Paris is right.")(request)

    jd, jd_script = s.backend(judge_reply)
    backends = {"m1": m1, "m2": m2, "jd": jd}
    delays: list[float] = []

    async def no_sleep(seconds: float) -> None:
        delays.append(seconds)

    run = JudgeRun(
        arena,
        PROMPTS[:1],
        RunOptions(models=["m1", "m2"], judge="jd"),
        Cache(tmp_path / "c.jsonl"),
        backend_for=backends.__getitem__,
        sleep=no_sleep,
    )
    report = await run.run()
    assert len(m1_script.requests) == 2  # the 500, then the retry
    assert len(delays) == 1 and delays[0] > 0
    assert len(jd_script.requests) == 2  # two passes, sides swapped
    assert report.votes_counted == 1 and report.failures == []
    [vote] = [
        v for b in arena.store.recent_battles(limit=5) for v in arena.store.votes_for_battle(b.id)
    ]
    battle = arena.store.get_battle(vote.battle_id)
    winner = battle.model_a if vote.verdict.value == "a" else battle.model_b
    assert winner == "m1" and vote.counted and vote.source == "judge:jd"
    assert battle.source == "judge"
    for b in backends.values():
        await b.aclose()
    arena.store.close()


async def test_non_retryable_error_is_reported_not_retried(
    sqlite_url: str, tmp_path: Path, scripted_openai: Any
) -> None:
    arena = make_arena(sqlite_url, ["m1", "m2"])
    s = scripted_openai
    m1, m1_script = s.backend(s.status(401))
    m2, _ = s.backend(s.answer("Lyon."))
    run = JudgeRun(
        arena,
        PROMPTS[:1],
        RunOptions(models=["m1", "m2"], judge="m2"),
        Cache(tmp_path / "c.jsonl"),
        backend_for={"m1": m1, "m2": m2}.__getitem__,
    )
    report = await run.run()
    assert len(m1_script.requests) == 1
    assert [f["reason"] for f in report.failures] == ["auth"]
    assert report.battles == 0 and arena.store.sources() == []
    await m1.aclose()
    await m2.aclose()
    arena.store.close()


async def test_garbage_verdict_is_stored_and_never_counted(
    sqlite_url: str, tmp_path: Path, scripted_openai: Any
) -> None:
    arena = make_arena(sqlite_url, ["m1", "m2", "jd"])
    s = scripted_openai
    m1, _ = s.backend(s.answer("Paris."))
    m2, _ = s.backend(s.answer("Lyon."))
    jd, _ = s.backend(s.answer("Both answers are answers. [[A>>B]] or [[B>A]], who knows"))
    run = JudgeRun(
        arena,
        PROMPTS[:1],
        RunOptions(models=["m1", "m2"], judge="jd"),
        Cache(tmp_path / "c.jsonl"),
        backend_for={"m1": m1, "m2": m2, "jd": jd}.__getitem__,
    )
    report = await run.run()
    assert report.unparseable == 1 and report.votes_counted == 0
    [battle] = arena.store.recent_battles(with_votes=False)
    [vote] = arena.store.votes_for_battle(battle.id)
    assert not vote.counted and vote.reason == "judge_unparseable"
    cells = arena.store.pair_cells(sources=["judge:jd"])
    assert cells.models == []  # nothing counted
    export = next(r for r in arena.store.export_rows() if r["battle_id"] == battle.id)
    assert "who knows" in export["detail"]
    for b in (m1, m2, jd):
        await b.aclose()
    arena.store.close()


class CountingFake:
    """An in-process model: answers instantly, counts every call, can be made to wait."""

    def __init__(
        self,
        name: str,
        calls: list[tuple[str, str]],
        gate: asyncio.Event | None = None,
        reply: str | None = None,
    ) -> None:
        self.name, self.calls, self.gate, self.reply = name, calls, gate, reply
        self.in_flight = 0
        self.max_in_flight = 0

    def stream(self, messages: list[Message], settings: GenerationSettings) -> AsyncIterator[Chunk]:
        return self._stream(messages)

    async def _stream(self, messages: list[Message]) -> AsyncIterator[Chunk]:
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            await asyncio.sleep(0.01)
            if self.gate is not None:
                await self.gate.wait()
            text = messages[-1].content
            self.calls.append((self.name, text))
            out = self.reply if self.reply is not None else f"{self.name} says {len(text)}"
            yield Chunk(text=out)
            yield Chunk(
                final=AnswerStats(prompt_tokens=20, completion_tokens=5, finish_reason="stop")
            )
        finally:
            self.in_flight -= 1

    async def aclose(self) -> None:
        return None


async def test_per_endpoint_concurrency_limit(sqlite_url: str, tmp_path: Path) -> None:
    arena = make_arena(sqlite_url, ["m1", "m2", "m3"])
    calls: list[tuple[str, str]] = []
    fakes = {
        m: CountingFake(m, calls, reply="[[A>B]]" if m == "m3" else None)
        for m in ("m1", "m2", "m3")
    }
    in_flight = {"now": 0, "max": 0}

    class Shared:  # all three models share one endpoint: count across them
        def __init__(self, inner: CountingFake) -> None:
            self.inner = inner

        def stream(
            self, messages: list[Message], settings: GenerationSettings
        ) -> AsyncIterator[Chunk]:
            return self._s(messages, settings)

        async def _s(
            self, messages: list[Message], settings: GenerationSettings
        ) -> AsyncIterator[Chunk]:
            in_flight["now"] += 1
            in_flight["max"] = max(in_flight["max"], in_flight["now"])
            try:
                async for c in self.inner.stream(messages, settings):
                    yield c
            finally:
                in_flight["now"] -= 1

        async def aclose(self) -> None:
            return None

    prompts = [PromptItem(f"Question number {i}?", "chat", f"q{i}") for i in range(6)]
    run = JudgeRun(
        arena,
        prompts,
        RunOptions(models=["m1", "m2", "m3"], judge="m3", concurrency=2),
        Cache(tmp_path / "c.jsonl"),
        backend_for=lambda m: Shared(fakes[m]),
    )  # type: ignore[arg-type,return-value]
    report = await run.run()
    assert in_flight["max"] == 2
    assert report.battles == 6 * 3
    arena.store.close()


async def test_cancelled_run_resumes_without_paying_twice(sqlite_url: str, tmp_path: Path) -> None:
    arena = make_arena(sqlite_url, ["m1", "m2", "m3"])
    calls: list[tuple[str, str]] = []
    fakes: dict[str, Backend] = {m: CountingFake(m, calls) for m in ("m1", "m2")}
    fakes["m3"] = CountingFake("m3", calls, reply="[[B>A]] better")
    prompts = [PromptItem(f"Question number {i}?", "chat", f"q{i}") for i in range(4)]
    options = RunOptions(models=["m1", "m2"], judge="m3", concurrency=1)
    cache_path = tmp_path / "c.jsonl"

    first = JudgeRun(arena, prompts, options, Cache(cache_path), backend_for=fakes.__getitem__)
    task = asyncio.ensure_future(first.run())
    while len(calls) < 5:  # interrupt mid-run
        await asyncio.sleep(0.005)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    done_first = len(calls)
    assert 5 <= done_first < 4 * 2 + 4 * 2

    second = JudgeRun(arena, prompts, options, Cache(cache_path), backend_for=fakes.__getitem__)
    report = await second.run()
    # 8 answers (4 prompts x 2 models) and 8 judgments (4 battles x 2 passes), each once
    assert len(calls) == 16
    assert len(set(calls)) == 16
    assert report.answers_reused + report.answers_generated == 8
    assert report.answers_generated + report.judgments_generated == 16 - done_first
    assert report.battles == 4 and report.votes_counted == 4

    third = JudgeRun(arena, prompts, options, Cache(cache_path), backend_for=fakes.__getitem__)
    again = await third.run()
    assert len(calls) == 16  # nothing new
    assert again.battles_reused == 4 and again.battles_stored == 0
    votes = [v for r in arena.store.export_rows() for v in [r] if v["source"] == "judge:m3"]
    assert len(votes) == 4  # one vote per battle, never duplicated
    arena.store.close()


async def test_budget_stops_cleanly_and_a_rerun_finishes(sqlite_url: str, tmp_path: Path) -> None:
    arena = make_arena(sqlite_url, ["m1", "m2", "m3"], catalog=[PRICED])
    calls: list[tuple[str, str]] = []
    fakes: dict[str, Backend] = {m: CountingFake(m, calls) for m in ("m1", "m2")}
    fakes["m3"] = CountingFake("m3", calls, reply="[[A=B]]")
    prompts = [PromptItem(f"Question number {i}?", "chat", f"q{i}") for i in range(3)]
    cache_path = tmp_path / "c.jsonl"
    # each call really costs 25 tokens x $1000/M = $0.025; its worst case is ~$0.1
    budget = 0.2
    first = JudgeRun(
        arena,
        prompts,
        RunOptions(models=["m1", "m2"], judge="m3", budget_usd=budget),
        Cache(cache_path),
        backend_for=fakes.__getitem__,
    )
    report = await first.run()
    assert report.stopped_by_budget and report.skipped_by_budget > 0
    assert 0 < report.spent_usd <= budget
    assert report.spent_usd == pytest.approx(0.025 * len(calls))
    n_first = len(calls)
    assert 0 < n_first < 12

    second = JudgeRun(
        arena,
        prompts,
        RunOptions(models=["m1", "m2"], judge="m3"),
        Cache(cache_path),
        backend_for=fakes.__getitem__,
    )
    report2 = await second.run()
    assert not report2.stopped_by_budget
    assert len(calls) == 12 and len(set(calls)) == 12
    assert report2.battles == 3
    assert report2.spent_usd == pytest.approx(0.025 * (12 - n_first))
    arena.store.close()


async def test_judging_the_human_voted_battles(sqlite_url: str, tmp_path: Path) -> None:
    from modelarena.judge.agreement import agreement_report

    from .helpers import add_battle

    arena = make_arena(sqlite_url, ["m-a", "m-b", "jd"])
    for human in ("a", "a", "b"):
        add_battle(arena.store, human=human)
    add_battle(arena.store)  # no human vote: not judged
    calls: list[tuple[str, str]] = []
    # the judge always prefers "answer a" (the text of side a), in either position

    def reply(messages: list[Message]) -> str:
        first = messages[-1].content.split("[Answer A]\n", 1)[1]
        return "[[A>B]]" if first.startswith("answer a") else "[[B>A]]"

    class Judge(CountingFake):
        async def _stream(self, messages: list[Message]) -> AsyncIterator[Chunk]:
            self.calls.append((self.name, messages[-1].content))
            yield Chunk(text=reply(messages))
            yield Chunk(
                final=AnswerStats(prompt_tokens=9, completion_tokens=3, finish_reason="stop")
            )

    judge = Judge("jd", calls)
    job = JudgeRun(
        arena,
        [],
        RunOptions(models=[], judge="jd"),
        Cache(tmp_path / "h.jsonl"),
        backend_for=lambda m: judge,
    )
    todo = job.stored_battles_to_judge()
    assert len(todo) == 3
    report = await job.run_stored(todo)
    # the three battles have the same prompt and answers: judged once, reused twice
    assert len(calls) == 2
    assert report.battles_stored == 3 and report.votes_counted == 3
    assert job.stored_battles_to_judge() == []
    rep = agreement_report(arena.store, "judge:jd", rounds=50)
    assert rep.battles_both == 3
    assert rep.agreement.value == pytest.approx(2 / 3)
    arena.store.close()


async def test_a_model_that_hangs_times_out_and_is_reported(
    sqlite_url: str, tmp_path: Path
) -> None:
    url = sqlite_url
    models = [
        ModelConfig(id=m, backend="openai", base_url=f"http://h{m}.invalid/v1", timeout_s=0.05)
        for m in ("m1", "m2")
    ]
    arena = Arena(Settings(database_url=url, models=models), Store.open(url))
    calls: list[tuple[str, str]] = []
    hang = CountingFake("m1", calls, gate=asyncio.Event())  # the gate never opens
    fine = CountingFake("m2", calls, reply="[[A>B]]")

    async def no_sleep(seconds: float) -> None:
        return None

    run = JudgeRun(
        arena,
        PROMPTS[:1],
        RunOptions(models=["m1", "m2"], judge="m2", retries=2),
        Cache(tmp_path / "c.jsonl"),
        backend_for={"m1": hang, "m2": fine}.__getitem__,
        sleep=no_sleep,
    )
    report = await run.run()
    assert [f["reason"] for f in report.failures] == ["timeout"]
    assert report.battles == 0
    assert hang.max_in_flight == 1
    arena.store.close()
