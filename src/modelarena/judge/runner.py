"""The automatic arena: every chosen model answers a prompt set, a judge votes on each pair.

Each model answers each prompt once (an answer is shared by every pair it takes part in);
each pair of answers is judged twice, sides swapped (:mod:`.judge`); the battle, both
answers and the judge's vote (source ``judge:<model>``) are stored like any other battle.

- **Concurrency** (the calls are made by :mod:`.calls`): one ``asyncio.Semaphore`` per
  endpoint (``base_url``, or the GGUF file), sized ``min(--concurrency, the model's
  max_concurrency)``; the judge shares its endpoint's limit.
- **Retries**: a retryable :class:`BackendError` is retried with exponential backoff and
  jitter; a failed answer drops its battles from this run (a rerun tries again).
- **Resume**: every finished answer, judgment and battle goes to a JSONL cache
  (:mod:`.cache`) before it is used; a rerun reuses them, so nothing is paid twice.
- **Budget**: before each call, its worst case (prompt + ``max_tokens`` at catalog prices)
  is reserved; a call that would take spending past ``budget_usd`` is not made and the run
  stops cleanly: calls in flight finish and are kept, battles whose parts are all cached
  still complete.
"""

from __future__ import annotations

import asyncio
import functools
import itertools
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from typing import TYPE_CHECKING, Any

from modelarena.backends import generation_settings, judging_settings
from modelarena.backends.base import (
    Backend,
    BackendError,
    GenerationSettings,
    Message,
)
from modelarena.battles.categories import get_category
from modelarena.battles.identity import find_identity_leak
from modelarena.battles.runner import build_messages
from modelarena.judge.judge import (
    NOT_COUNTED_UNPARSEABLE,
    RUBRIC_VERSION,
    Combined,
    JudgePass,
    combine,
    judge_messages,
)
from modelarena.judge.report import NoProgress, Progress, RunOptions, RunReport, Usage
from modelarena.runs.budget import Budget, BudgetExhausted
from modelarena.runs.cache import (
    ANSWER,
    BATTLE,
    JUDGMENT,
    Cache,
    Generated,
    answer_from_entry,
    cache_entry,
    key_of,
    text_hash,
)
from modelarena.runs.calls import ModelCalls
from modelarena.store import HUMAN, BattleNotFound, VoteRejected

if TYPE_CHECKING:
    from modelarena.arena import Arena
    from modelarena.judge.prompts import PromptItem

JUDGE_SOURCE_PREFIX = "judge:"
JUDGE_BATTLE_SOURCE = "judge"


def judge_source(judge: str) -> str:
    return f"{JUDGE_SOURCE_PREFIX}{judge}"


class JudgeRunError(ValueError):
    """A run that cannot start (unknown model, nothing to compare)."""


def plan_pairs(models: Sequence[str], baseline: str | None) -> list[tuple[str, str]]:
    """Every model against the baseline, or every pair of models."""
    if baseline is not None:
        return [(m, baseline) for m in models if m != baseline]
    return list(itertools.combinations(models, 2))


class JudgeRun:
    """One automatic-arena run over a prompt set. ``await run()`` returns a report."""

    def __init__(
        self,
        arena: Arena,
        prompts: Sequence[PromptItem],
        options: RunOptions,
        cache: Cache,
        *,
        backend_for: Callable[[str], Backend] | None = None,
        progress: Progress | None = None,
        sleep: Callable[[float], Any] = asyncio.sleep,
        screenshot: Callable[[str], Awaitable[bytes | None]] | None = None,
    ) -> None:
        self.arena = arena
        # design answers shown to the judge as screenshots (answer text -> PNG, or None when
        # it did not render) instead of their code; given by the caller (the CLI renders)
        self.screenshot = screenshot
        self.store = arena.store
        self.options = options
        self.cache = cache
        self.progress = progress or NoProgress()
        models = list(dict.fromkeys(options.models))
        if options.baseline and options.baseline not in models:
            models.append(options.baseline)
        unknown = [m for m in [*models, options.judge] if m not in arena.contestants]
        if unknown:
            known = ", ".join(arena.contestants)
            raise JudgeRunError(f"not a configured model: {', '.join(unknown)} (known: {known})")
        self.models = models
        self.pairs = plan_pairs(models, options.baseline)
        self.prompts = list(prompts)
        self.source = judge_source(options.judge)
        self.budget = Budget(options.budget_usd)
        self.calls = ModelCalls(
            arena, options, self.budget, backend_for=backend_for or arena.backend, sleep=sleep
        )
        self._tasks: dict[tuple[str, str], asyncio.Task[Any]] = {}
        self.report = RunReport(options.judge, self.source, self.pairs, len(self.prompts))
        self._words = arena.identity_words()

    # ------------------------------------------------------------ plumbing
    async def _generate(
        self, model: str, messages: list[Message], settings: GenerationSettings
    ) -> Generated:
        result = await self.calls.generate(model, messages, settings)
        self.report.spent_usd = self.budget.spent
        return result

    def _generated_entry(
        self,
        kind: str,
        key: str,
        model: str,
        item: PromptItem,
        result: Generated,
        usage: Usage,
    ) -> dict[str, Any]:
        """Cache a fresh answer or judgment before it is used, and count what it cost."""
        entry = cache_entry(
            kind,
            key,
            model=model,
            prompt_hash=item.hash,
            prompt_id=item.id,
            category=item.category,
            run=self.options.run_name,
            result=result,
        )
        self.cache.put(entry)
        usage.add(entry["prompt_tokens"], entry["completion_tokens"], result.cost_usd)
        self.progress.spent(self.budget.spent, self._tokens())
        return entry

    def _tokens(self) -> int:
        usages = [*self.report.usage.values(), self.report.judge_usage]
        return sum(u.prompt_tokens + u.completion_tokens for u in usages)

    def _shared(self, kind: str, key: str, make: Callable[[], Any]) -> asyncio.Task[Any]:
        """One task per cached item, so concurrent battles never generate it twice."""
        if (kind, key) not in self._tasks:
            self._tasks[(kind, key)] = asyncio.ensure_future(make())
        return self._tasks[(kind, key)]

    # ------------------------------------------------------------ answers
    def answer_key(self, item: PromptItem, model: str) -> str:
        cfg = self.arena.contestants[model]
        return key_of(
            kind=ANSWER,
            prompt=item.hash,
            category=item.category,
            model=model,
            served=cfg.model or cfg.path,
            system=cfg.system_prompt,
            temperature=cfg.temperature,
            top_p=cfg.top_p,
            max_tokens=cfg.max_tokens,
            seed=cfg.seed,
        )

    async def _answer(self, item: PromptItem, model: str) -> dict[str, Any]:
        key = self.answer_key(item, model)
        cached = self.cache.get(ANSWER, key)
        if cached is not None:
            self.report.answers_reused += 1
            self.progress.answer_done()
            return cached
        cfg = self.arena.contestants[model]
        messages = build_messages(get_category(item.category), [], item.prompt, cfg.system_prompt)
        result = await self._generate(model, messages, generation_settings(cfg))
        usage = self.report.usage.setdefault(model, Usage())
        entry = self._generated_entry(ANSWER, key, model, item, result, usage)
        self.report.answers_generated += 1
        self.progress.answer_done()
        return entry

    # ------------------------------------------------------------ judgments
    def judge_settings(self) -> GenerationSettings:
        cfg = self.arena.contestants[self.options.judge]
        return judging_settings(cfg, self.options.judge_max_tokens)

    async def judge_pass(self, item: PromptItem, first: str, second: str, order: str) -> JudgePass:
        judge = self.options.judge
        settings = self.judge_settings()
        cfg = self.arena.contestants[judge]
        category = get_category(item.category)
        looks = self.screenshot is not None and category.design
        key = key_of(
            **({"view": "screenshots"} if looks else {}),
            kind=JUDGMENT,
            judge=judge,
            served=cfg.model or cfg.path,
            rubric=RUBRIC_VERSION,
            max_tokens=settings.max_tokens,
            category=item.category,
            prompt=item.hash,
            first=text_hash(first),
            second=text_hash(second),
        )

        async def make() -> dict[str, Any]:
            cached = self.cache.get(JUDGMENT, key)
            if cached is not None:
                self.report.judgments_reused += 1
                return cached
            shots = None
            if looks and self.screenshot is not None:
                pair = await asyncio.gather(self.screenshot(first), self.screenshot(second))
                shots = (pair[0], pair[1])
            messages = judge_messages(category, item.prompt, first, second, screenshots=shots)
            result = await self._generate(judge, messages, settings)
            entry = self._generated_entry(
                JUDGMENT, key, judge, item, result, self.report.judge_usage
            )
            self.report.judgments_generated += 1
            return entry

        entry = await self._shared(JUDGMENT, key, make)
        return JudgePass.from_text(order, entry["text"])

    async def judge_pair(self, item: PromptItem, answer_a: str, answer_b: str) -> Combined:
        first, second = await asyncio.gather(
            self.judge_pass(item, answer_a, answer_b, "ab"),
            self.judge_pass(item, answer_b, answer_a, "ba"),
        )
        return combine(first, second)

    # ------------------------------------------------------------ battles
    async def _battle(self, item: PromptItem, x: str, y: str) -> None:
        try:
            await self._battle_inner(item, x, y)
        except BudgetExhausted:
            self.report.skipped_by_budget += 1
            self.report.stopped_by_budget = True
        except BackendError as exc:
            self.report.failures.append(
                {
                    "prompt": item.id or item.hash,
                    "pair": f"{x} vs {y}",
                    "reason": exc.reason,
                    "message": str(exc),
                }
            )
        finally:
            self.progress.battle_done()

    async def _battle_inner(self, item: PromptItem, x: str, y: str) -> None:
        # Sides by a coin flip that is the same on every rerun.
        a, b = (x, y) if int(key_of(p=item.hash, x=x, y=y), 16) % 2 == 0 else (y, x)
        tasks = [
            self._shared(ANSWER, self.answer_key(item, m), functools.partial(self._answer, item, m))
            for m in (a, b)
        ]
        ans_a, ans_b = await asyncio.gather(*tasks)
        bkey = key_of(
            kind=BATTLE, source=self.source, a=ans_a["key"], b=ans_b["key"], rubric=RUBRIC_VERSION
        )
        battle_id = self._stored_battle(bkey)
        if battle_id is not None and self._has_vote(battle_id):
            self.report.battles_reused += 1
            await self._tally_cached(item, ans_a, ans_b, a, b)
            return
        combined = await self.judge_pair(item, ans_a["text"], ans_b["text"])
        if battle_id is None:
            battle_id = self._store_battle(item, a, b, ans_a, ans_b)
            self.cache.put(
                {
                    "kind": BATTLE,
                    "key": bkey,
                    "battle_id": battle_id,
                    "source": self.source,
                    "run": self.options.run_name,
                    "model_a": a,
                    "model_b": b,
                    "prompt_hash": item.hash,
                }
            )
        self._store_verdict(battle_id, combined)
        self.report.battles_stored += 1
        self._tally(item, a, b, combined)

    def _store_verdict(self, battle_id: str, combined: Combined) -> bool:
        """Store the judge's vote; False when this judge already voted on the battle."""
        try:
            self.arena.vote(
                battle_id,
                combined.verdict,
                voter=None,
                source=self.source,
                not_counted_reason=None if combined.counted else NOT_COUNTED_UNPARSEABLE,
                detail=combined.detail(self.options.judge),
            )
        except VoteRejected as exc:
            if exc.code != "duplicate":
                raise
            return False
        return True

    async def _tally_cached(
        self, item: PromptItem, ans_a: dict[str, Any], ans_b: dict[str, Any], a: str, b: str
    ) -> None:
        combined = await self.judge_pair(item, ans_a["text"], ans_b["text"])  # from the cache
        self._tally(item, a, b, combined)

    def _tally(self, item: PromptItem, a: str, b: str, combined: Combined) -> None:
        if not combined.counted:
            self.report.unparseable += 1
            return
        self.report.votes_counted += 1
        for model in (a, b):
            self.report.wins.setdefault(model, [0.0, 0.0, 0.0])
        if combined.verdict.value == "a":
            self.report.wins[a][0] += 1
            self.report.wins[b][1] += 1
        elif combined.verdict.value == "b":
            self.report.wins[b][0] += 1
            self.report.wins[a][1] += 1
        else:
            self.report.wins[a][2] += 1
            self.report.wins[b][2] += 1
        if combined.consistent is False:
            self.report.inconsistent.append(
                {
                    "prompt": item.id or item.hash[:12],
                    "model_a": a,
                    "model_b": b,
                    "labels": [p.label.value if p.label else None for p in combined.passes],
                }
            )

    def _stored_battle(self, bkey: str) -> str | None:
        entry = self.cache.get(BATTLE, bkey)
        if entry is None:
            return None
        try:
            self.store.get_battle(entry["battle_id"])
        except BattleNotFound:  # the cache outlived its database: store it again
            return None
        return str(entry["battle_id"])

    def _has_vote(self, battle_id: str) -> bool:
        return any(v.source == self.source for v in self.store.votes_for_battle(battle_id))

    def _store_battle(
        self, item: PromptItem, a: str, b: str, ans_a: dict[str, Any], ans_b: dict[str, Any]
    ) -> str:
        battle = self.store.create_battle(
            category=item.category,
            model_a=a,
            model_b=b,
            pair_probability=None,
            session_id=f"judge-run:{self.options.run_name}"[:64],
            source=JUDGE_BATTLE_SOURCE,
            prompt=item.prompt,
        )
        answers = [
            answer_from_entry(side, item.prompt, entry)
            for side, entry in (("a", ans_a), ("b", ans_b))
        ]
        leak = None
        for answer in answers:
            leak = leak or find_identity_leak(answer.content, self._words, prompt=item.prompt)
        self.store.save_answers(battle.id, answers, identity_leak=leak)
        return battle.id

    # ------------------------------------------------------------ the run
    async def run(self) -> RunReport:
        if not self.pairs:
            raise JudgeRunError("name at least two models (or models and a --baseline)")
        items = []
        for item in self.prompts:
            try:
                self.arena.validate_prompt(item.prompt)
            except ValueError as exc:
                self.report.failures.append(
                    {
                        "prompt": item.id or item.hash,
                        "pair": "-",
                        "reason": "bad_prompt",
                        "message": str(exc),
                    }
                )
                continue
            items.append(item)
        answers = len(items) * len(self.models)
        self.progress.start(answers, len(items) * len(self.pairs))
        return await self._run_all(
            [self._battle(item, x, y) for item in items for x, y in self.pairs]
        )

    async def _run_all(self, jobs: Sequence[Coroutine[Any, Any, None]]) -> RunReport:
        try:
            await asyncio.gather(*jobs)
        finally:
            for task in self._tasks.values():
                if not task.done():
                    task.cancel()
            # tasks whose battles all stopped early: collect their outcome quietly
            await asyncio.gather(*self._tasks.values(), return_exceptions=True)
        self.report.spent_usd = self.budget.spent
        return self.report

    # ------------------------------------------------------------ stored battles
    def stored_battles_to_judge(self, limit: int | None = None) -> list[str]:
        """Single-turn battles with a counted human vote and no vote from this judge yet."""
        judged = set(self.store.voted_battle_ids(self.source, counted_only=False))
        todo = [b for b in self.store.voted_battle_ids(HUMAN) if b not in judged]
        return todo[:limit] if limit is not None else todo

    async def run_stored(self, battle_ids: Sequence[str]) -> RunReport:
        """Judge battles already in the store (e.g. the human-voted ones) on their answers."""
        self.progress.start(0, len(battle_ids))
        return await self._run_all([self._judge_stored(b) for b in battle_ids])

    async def _judge_stored(self, battle_id: str) -> None:
        from modelarena.judge.prompts import PromptItem

        battle = self.store.get_battle(battle_id)
        first_a, first_b = battle.answer(0, "a"), battle.answer(0, "b")
        try:
            if battle.turns != 1 or first_a is None or first_b is None:
                self.report.failures.append(
                    {"prompt": battle_id, "pair": "-", "reason": "not_single_turn", "message": ""}
                )
                return
            item = PromptItem(first_a.prompt, battle.category, battle_id)
            combined = await self.judge_pair(item, first_a.content, first_b.content)
            if self._store_verdict(battle_id, combined):
                self.report.battles_stored += 1
            else:
                self.report.battles_reused += 1
            self._tally(item, battle.model_a, battle.model_b, combined)
        except BudgetExhausted:
            self.report.skipped_by_budget += 1
            self.report.stopped_by_budget = True
        except BackendError as exc:
            self.report.failures.append(
                {"prompt": battle_id, "pair": "-", "reason": exc.reason, "message": str(exc)}
            )
        finally:
            self.progress.battle_done()
