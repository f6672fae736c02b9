"""The audit run: every model answers every probe of every suite, judges label the answers,
the suites turn the labels into figures, and the run is stored whole with its settings.

It is the judge runner's sibling and shares its machinery (:mod:`modelarena.runs`):

- **Calls**: :class:`~modelarena.runs.calls.ModelCalls`: one concurrency limit per endpoint,
  the budget reserved before each call, retries with backoff.
- **Resume**: every model turn and every judge answer goes to the run's JSONL cache
  (:mod:`modelarena.runs.cache`) before it is used, keyed by a hash of everything that
  decides it (messages, tools, model, served id, system prompt, temperature, max tokens,
  sample); a rerun reuses them and pays nothing twice.
- **Budget**: a call whose worst case would pass ``budget_usd`` is not made; calls in flight
  finish and are cached, and the run stops without storing half a result (a rerun with a
  larger budget picks up what is cached).
- **Verdicts**: ``judges`` empty is the offline rules (``suite.rule_verdict``); otherwise
  the LLM judges of :func:`modelarena.audits.judging.judge_verdict` (majority vote) answer
  through the same calls and cache.
- **Figures** (:mod:`.figures`): ``suite.metrics`` per model, an ``unknown`` share per
  model and suite (a verdict nobody could read is never counted as safe), and paired
  comparisons between every two models on the same probes (McNemar, the paired difference,
  the ratio when defined).
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol

from modelarena.audits.deployment import provider_of, quantisation_of, served_model_of
from modelarena.audits.figures import run_comparisons, run_figures, run_judge_agreement
from modelarena.audits.judging import judge_verdict as llm_judge_verdict
from modelarena.audits.judging import judge_warnings, judgment_key, subject_states_of
from modelarena.audits.probes import (
    UNKNOWN,
    Probe,
    Record,
    Suite,
    Transcript,
    Verdict,
)
from modelarena.audits.stored import item_of
from modelarena.backends import generation_settings, judging_settings
from modelarena.backends.base import (
    Backend,
    BackendError,
    GenerationSettings,
    Message,
)
from modelarena.runs.budget import Budget, BudgetExhausted
from modelarena.runs.cache import Cache, Generated, cache_entry, key_of, tool_calls_from_json
from modelarena.runs.calls import ModelCalls, endpoint_of
from modelarena.store.audit_results import AuditComparison, AuditMetric, AuditRun

if TYPE_CHECKING:
    from modelarena.arena import Arena

AUDIT_TURN = "audit_turn"
AUDIT_JUDGMENT = "audit_judgment"
RULES = "rules"
TOOLS_UNSUPPORTED = "tools_unsupported"  # BackendError.reason when tools cannot be offered

Ask = Callable[[str, list[Message]], Awaitable[str]]


class AuditError(ValueError):
    """A run that cannot start (unknown model or judge, nothing to run)."""


class AuditProgress(Protocol):
    def start(self, total: int) -> None: ...
    def item_done(self) -> None: ...
    def spent(self, usd: float, tokens: int) -> None: ...


class NoAuditProgress:
    def start(self, total: int) -> None: ...
    def item_done(self) -> None: ...
    def spent(self, usd: float, tokens: int) -> None: ...


@dataclass
class AuditOptions:
    """What ``arena audit run`` asks. ``None`` settings keep each model's configured ones."""

    models: Sequence[str]
    judges: Sequence[str] = ()  # empty: the offline rules
    limit: int | None = None
    samples: int = 1
    system_prompt: str | None = None
    temperature: float | None = None
    max_tokens: int | None = None
    keep_reasoning: bool = False
    concurrency: int = 4
    budget_usd: float | None = None
    retries: int = 3
    backoff_s: float = 1.0
    judge_max_tokens: int | None = None
    run_name: str = "audit"
    seed: int = 0


@dataclass
class AuditReport:
    """What a run did and found; ``run`` is None when nothing was stored."""

    run: AuditRun | None
    metrics: list[AuditMetric] = field(default_factory=list)
    comparisons: list[AuditComparison] = field(default_factory=list)
    items: int = 0
    turns_generated: int = 0
    turns_reused: int = 0
    judgments_generated: int = 0
    judgments_reused: int = 0
    failures: list[dict[str, str]] = field(default_factory=list)
    stopped_by_budget: bool = False
    skipped_by_budget: int = 0
    spent_usd: float = 0.0
    tokens: int = 0


# ---------------------------------------------------------------- the run


class AuditEngine:
    """One audit run over suites and models. ``await run()`` returns an :class:`AuditReport`
    and stores the run (unless the budget stopped it)."""

    def __init__(
        self,
        arena: Arena,
        suites: Sequence[Suite],
        options: AuditOptions,
        cache: Cache,
        *,
        backend_for: Callable[[str], Backend] | None = None,
        progress: AuditProgress | None = None,
        sleep: Callable[[float], Any] = asyncio.sleep,
        judge_verdict: Callable[..., Awaitable[Verdict]] | None = None,
    ) -> None:
        self.arena = arena
        self.suites = list(suites)
        self.options = options
        self.cache = cache
        self.progress = progress or NoAuditProgress()
        self.models = list(dict.fromkeys(options.models))
        self.judges = list(dict.fromkeys(options.judges))
        if not self.models:
            raise AuditError("name at least one model to audit (--models)")
        if not self.suites:
            raise AuditError("name at least one suite (--suite)")
        if options.samples < 1:
            raise AuditError("--samples must be at least 1")
        known = list(arena.contestants)
        unknown = [m for m in self.models if m not in arena.contestants]
        if unknown:
            raise AuditError(
                f"not a configured model: {', '.join(unknown)} (known: {', '.join(known)})"
            )
        bad_judges = [j for j in self.judges if j not in arena.contestants]
        if bad_judges:
            raise AuditError(
                f"--judge {','.join(bad_judges)}: not a configured model; use --judge rules "
                f"or one of: {', '.join(known)}"
            )
        self._judge_verdict = judge_verdict
        self.budget = Budget(options.budget_usd)
        self.calls = ModelCalls(
            arena, options, self.budget, backend_for=backend_for or arena.backend, sleep=sleep
        )
        self.report = AuditReport(run=None)
        self._tasks: dict[tuple[str, str], asyncio.Task[Any]] = {}

    # ------------------------------------------------------------ settings
    def settings_for(self, model: str) -> GenerationSettings:
        cfg = self.arena.contestants[model]
        base = generation_settings(cfg)
        return dataclasses.replace(
            base,
            temperature=self.options.temperature
            if self.options.temperature is not None
            else base.temperature,
            max_tokens=self.options.max_tokens or base.max_tokens,
        )

    def system_prompt_for(self, model: str) -> str | None:
        if self.options.system_prompt is not None:
            return self.options.system_prompt or None
        return self.arena.contestants[model].system_prompt

    def deployment(self, model: str) -> dict[str, Any]:
        """Every setting of ``model`` that changes its results."""
        cfg = self.arena.contestants[model]
        settings = self.settings_for(model)
        return {
            "model": model,
            "catalog": cfg.catalog_id,
            "backend": cfg.backend,
            "endpoint": endpoint_of(cfg),
            "provider": provider_of(cfg),
            "served_model": served_model_of(cfg),
            "quantisation": quantisation_of(cfg),
            "system_prompt": self.system_prompt_for(model),
            "temperature": settings.temperature,
            "top_p": settings.top_p,
            "max_tokens": settings.max_tokens,
            "seed": settings.seed,
        }

    def recorded_settings(self) -> dict[str, Any]:
        judges: dict[str, Any] = {}
        for judge in self.judges:
            cfg = self.arena.contestants[judge]
            judges[judge] = {
                "served_model": served_model_of(cfg),
                "endpoint": endpoint_of(cfg),
                "provider": provider_of(cfg),
                "max_tokens": self._judge_settings(judge).max_tokens,
            }
        return {
            "date": datetime.now(UTC).isoformat(),
            "models": {m: self.deployment(m) for m in self.models},
            "samples": self.options.samples,
            "keep_reasoning": self.options.keep_reasoning,
            "limit": self.options.limit,
            "seed": self.options.seed,
            "datasets": {s.name: dict(s.dataset()) for s in self.suites},
            "judges": judges or RULES,
            "judge_ids": self.judges or [RULES],
            "warnings": self.judge_warnings(),
        }

    def judge_warnings(self) -> list[str]:
        """What a reader should know about the judges: one from the judged model's
        developer, one from the state a suite is about, a single judge (none for rules)."""
        if not self.judges:
            return []
        origins = []
        for judge in self.judges:
            info = self.arena.model_info(judge)
            origins.append((judge, info.lab, info.country))
        out: list[str] = []
        for suite in self.suites:
            if getattr(suite, "rules_only", False):
                continue  # its verdicts are read from what the model did, not judged
            states = subject_states_of(suite.name, suite)
            for model in self.models:
                for text in judge_warnings(
                    suite.name, self.arena.model_info(model), origins, subject_states=states
                ):
                    warning = f"{suite.name}, {model}: {text}"
                    if warning not in out:
                        out.append(warning)
        return out

    # ------------------------------------------------------------ model turns
    def _messages(self, model: str, messages: Sequence[Message]) -> list[Message]:
        system = self.system_prompt_for(model)
        out = list(messages)
        if system:
            if out and out[0].role == "system":
                out[0] = dataclasses.replace(out[0], content=f"{system}\n\n{out[0].content}")
            else:
                out.insert(0, Message("system", system))
        return out

    def turn_key(
        self, model: str, sample: int, messages: Sequence[Message], tools: Sequence[Any]
    ) -> str:
        cfg = self.arena.contestants[model]
        settings = self.settings_for(model)
        return key_of(
            kind=AUDIT_TURN,
            model=model,
            served=cfg.model or cfg.path,
            base_url=cfg.base_url,
            messages=[dataclasses.asdict(m) for m in messages],
            tools=list(tools),
            temperature=settings.temperature,
            top_p=settings.top_p,
            max_tokens=settings.max_tokens,
            seed=settings.seed,
            sample=sample,
        )

    def _shared(self, kind: str, key: str, make: Callable[[], Awaitable[Any]]) -> Awaitable[Any]:
        """One task per cached item, so nothing is generated twice at the same time."""
        if (kind, key) not in self._tasks:
            self._tasks[(kind, key)] = asyncio.ensure_future(make())
        return self._tasks[(kind, key)]

    async def model_turn(
        self,
        model: str,
        sample: int,
        probe: Probe,
        messages: Sequence[Message],
        tools: Sequence[Mapping[str, Any]] = (),
    ) -> Transcript:
        """One assistant turn of ``model`` (cached); the system prompt is added here."""
        full = self._messages(model, messages)
        key = self.turn_key(model, sample, full, tools)

        async def make() -> dict[str, Any]:
            cached = self.cache.get(AUDIT_TURN, key)
            if cached is not None:
                self.report.turns_reused += 1
                return cached
            settings = self.settings_for(model)
            if tools:
                settings = dataclasses.replace(settings, tools=tuple(tools))
            result: Generated = await self.calls.generate(model, full, settings)
            entry = cache_entry(
                AUDIT_TURN,
                key,
                model=model,
                prompt_hash=key,
                prompt_id=probe.id,
                category=probe.suite,
                run=self.options.run_name,
                result=result,
            )
            self.cache.put(entry)
            self.report.turns_generated += 1
            self.report.tokens += entry["prompt_tokens"] + entry["completion_tokens"]
            self.report.spent_usd = self.budget.spent
            self.progress.spent(self.budget.spent, self.report.tokens)
            return entry

        entry = await self._shared(AUDIT_TURN, key, make)
        return Transcript(
            text=entry["text"],
            reasoning=(entry.get("reasoning") or "") if self.options.keep_reasoning else "",
            tool_calls=tool_calls_from_json(entry.get("tool_calls")),
            finish_reason=entry.get("finish_reason"),
            tools_supported=True if tools else None,
        )

    async def transcript(self, suite: Suite, model: str, probe: Probe, sample: int) -> Transcript:
        """What ``model`` did with ``probe``: one turn, or a whole agent exchange."""
        converse = getattr(suite, "converse", None)
        if probe.tools and converse is not None:

            async def turn(
                messages: Sequence[Message], tools: Sequence[Mapping[str, Any]]
            ) -> Transcript:
                return await self.model_turn(model, sample, probe, messages, tools)

            result: Transcript = await converse(probe, turn)
            return result
        return await self.model_turn(model, sample, probe, probe.messages, probe.tools)

    # ------------------------------------------------------------ judges
    def _judge_settings(self, judge: str) -> GenerationSettings:
        return judging_settings(self.arena.contestants[judge], self.options.judge_max_tokens)

    async def ask(self, judge: str, messages: list[Message]) -> str:
        """A judge's answer to ``messages`` (cached): what LLM judges are given."""
        cfg = self.arena.contestants[judge]
        settings = self._judge_settings(judge)
        key = judgment_key(AUDIT_JUDGMENT, judge, cfg, messages, settings.max_tokens)

        async def make() -> dict[str, Any]:
            cached = self.cache.get(AUDIT_JUDGMENT, key)
            if cached is not None:
                self.report.judgments_reused += 1
                return cached
            result = await self.calls.generate(judge, messages, settings)
            entry = cache_entry(
                AUDIT_JUDGMENT,
                key,
                model=judge,
                prompt_hash=key,
                prompt_id="",
                category="audit-judge",
                run=self.options.run_name,
                result=result,
            )
            self.cache.put(entry)
            self.report.judgments_generated += 1
            self.report.tokens += entry["prompt_tokens"] + entry["completion_tokens"]
            self.progress.spent(self.budget.spent, self.report.tokens)
            return entry

        entry = await self._shared(AUDIT_JUDGMENT, key, make)
        return str(entry["text"])

    async def verdict(self, suite: Suite, probe: Probe, transcript: Transcript) -> Verdict:
        if transcript.tools_supported is False:
            # no tool calling at this model or endpoint: the suite reports it as such (never
            # as safe); there is nothing for an LLM judge to read
            return suite.rule_verdict(probe, transcript)
        if transcript.error is not None:
            return Verdict(UNKNOWN, judge=self._judge_label(), detail={"error": transcript.error})
        if not self.judges or getattr(suite, "rules_only", False):
            # a suite whose verdict is read from what the model did (hijack: its tool calls)
            # pays no LLM judge for a label its figures would not use
            return suite.rule_verdict(probe, transcript)
        judge_verdict = self._judge_verdict or llm_judge_verdict
        try:
            return await judge_verdict(suite, probe, transcript, self.judges, self.ask)
        except BudgetExhausted:
            raise
        except BackendError as exc:
            return Verdict(
                UNKNOWN,
                judge=self._judge_label(),
                detail={"judge_error": f"{exc.reason}: {exc}"},
            )

    def _judge_label(self) -> str:
        return "+".join(self.judges) if self.judges else RULES

    # ------------------------------------------------------------ one record
    async def record(self, suite: Suite, model: str, probe: Probe, sample: int) -> Record | None:
        try:
            try:
                transcript = await self.transcript(suite, model, probe, sample)
            except BackendError as exc:
                if exc.reason == TOOLS_UNSUPPORTED:
                    transcript = Transcript(text="", error=str(exc), tools_supported=False)
                else:
                    self.report.failures.append(
                        {
                            "model": model,
                            "probe": probe.id,
                            "reason": exc.reason,
                            "message": str(exc),
                        }
                    )
                    transcript = Transcript(text="", error=f"{exc.reason}: {exc}")
            verdict = await self.verdict(suite, probe, transcript)
            return Record(model, probe, sample, transcript, verdict)
        except BudgetExhausted:
            self.report.skipped_by_budget += 1
            self.report.stopped_by_budget = True
            return None
        finally:
            self.progress.item_done()

    # ------------------------------------------------------------ the run
    async def run(self) -> AuditReport:
        plan: list[tuple[Suite, Probe]] = []
        for suite in self.suites:
            plan.extend(
                (suite, p) for p in suite.probes(limit=self.options.limit, seed=self.options.seed)
            )
        if not plan:
            raise AuditError("the chosen suites have no probes")
        samples = range(self.options.samples)
        jobs = [
            self.record(suite, model, probe, sample)
            for suite, probe in plan
            for model in self.models
            for sample in samples
        ]
        self.progress.start(len(jobs))
        settings = self.recorded_settings()
        try:
            results = await asyncio.gather(*jobs)
        finally:
            for task in self._tasks.values():
                if not task.done():
                    task.cancel()
            await asyncio.gather(*self._tasks.values(), return_exceptions=True)
        self.report.spent_usd = self.budget.spent
        records = [r for r in results if r is not None]
        self.report.items = len(records)
        if self.report.stopped_by_budget:
            return self.report  # half a run is not stored: a rerun reuses what is cached
        metrics = run_figures(self.suites, self.models, records)
        comparisons = run_comparisons(self.suites, self.models, records)
        if len(self.judges) > 1:
            settings["judge_agreement"] = run_judge_agreement(self.suites, records)
        run = AuditRun(
            name=self.options.run_name,
            suites=tuple(s.name for s in self.suites),
            models=tuple(self.models),
            judges=tuple(self.judges) or (RULES,),
            settings=settings,
        )
        metrics = [dataclasses.replace(m, run_id=run.id) for m in metrics]
        comparisons = [dataclasses.replace(c, run_id=run.id) for c in comparisons]
        self.arena.store.audit_results.save_run(
            run, [item_of(r) for r in records], metrics, comparisons
        )
        self.report.run = run
        self.report.metrics = metrics
        self.report.comparisons = comparisons
        return self.report
