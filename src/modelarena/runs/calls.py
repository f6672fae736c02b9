"""Calling the models of a run (a judge run, an audit): one concurrency limit per endpoint,
the budget reserved before each call, retries with backoff, and each answer's stream gathered
into one :class:`~modelarena.runs.cache.Generated` result (tokens estimated where a server
does not report them, cost at catalog prices, and the tool calls when tools were offered)."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import random
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from modelarena.backends.base import (
    AnswerStats,
    Backend,
    BackendError,
    BackendTimeout,
    GenerationSettings,
    Message,
    ToolCall,
)
from modelarena.battles.style import approx_tokens
from modelarena.config import ModelConfig
from modelarena.runs.budget import Budget
from modelarena.runs.cache import Generated

if TYPE_CHECKING:
    from modelarena.arena import Arena


class CallPolicy(Protocol):
    """How hard a run may press its endpoints (a judge run's or an audit's options)."""

    concurrency: int
    retries: int
    backoff_s: float


def endpoint_of(cfg: ModelConfig) -> str:
    """What a concurrency limit is shared by: the server URL, or the local file."""
    if cfg.base_url:
        return cfg.base_url.rstrip("/")
    if cfg.path:
        return f"gguf:{cfg.path}"
    return f"model:{cfg.id}"


class ModelCalls:
    """The calls of one run: ``await generate(model, messages, settings)``."""

    def __init__(
        self,
        arena: Arena,
        options: CallPolicy,
        budget: Budget,
        *,
        backend_for: Callable[[str], Backend],
        sleep: Callable[[float], Any] = asyncio.sleep,
    ) -> None:
        self.arena = arena
        self.options = options
        self.budget = budget
        self.backend_for = backend_for
        self._sleep = sleep
        self._limits: dict[str, asyncio.Semaphore] = {}

    def _limit(self, cfg: ModelConfig) -> asyncio.Semaphore:
        key = endpoint_of(cfg)
        if key not in self._limits:
            size = max(1, min(self.options.concurrency, cfg.max_concurrency))
            self._limits[key] = asyncio.Semaphore(size)
        return self._limits[key]

    def _estimate(self, model: str, messages: list[Message], settings: GenerationSettings) -> float:
        # Worst case: ~3 characters a token for the prompt, every allowed output token.
        chars = sum(len(m.content) for m in messages)
        if settings.tools:
            chars += len(json.dumps(list(settings.tools), default=str))
        cost = self.arena.model_info(model).cost_usd(chars // 3 + 16, settings.max_tokens)
        return cost or 0.0

    async def generate(
        self, model: str, messages: list[Message], settings: GenerationSettings
    ) -> Generated:
        """One call with the endpoint's limit, the budget and retries. Raises
        :class:`BudgetExhausted` (nothing called) or the last :class:`BackendError`."""
        cfg = self.arena.contestants[model]
        async with self._limit(cfg):
            estimate = self._estimate(model, messages, settings)
            await self.budget.reserve(estimate)  # raises BudgetExhausted
            try:
                result = await self._call(model, messages, settings)
            except BaseException:
                await asyncio.shield(self.budget.release(estimate))
                raise
            await self.budget.settle(estimate, result.cost_usd or 0.0)
            return result

    async def _call(
        self, model: str, messages: list[Message], settings: GenerationSettings
    ) -> Generated:
        for attempt in range(self.options.retries + 1):
            try:
                return await self._stream(model, messages, settings)
            except BackendError as exc:
                if not exc.retryable or attempt >= self.options.retries:
                    raise
                delay = self.options.backoff_s * (2**attempt) * (0.5 + random.random())
                await self._sleep(delay)
        raise AssertionError("unreachable")

    async def _stream(
        self, model: str, messages: list[Message], settings: GenerationSettings
    ) -> Generated:
        backend = self.backend_for(model)
        text: list[str] = []
        reasoning: list[str] = []
        tool_calls: list[ToolCall] = []
        stats: AnswerStats | None = None
        try:
            # a hard stop on top of the backend's own timeout
            async with asyncio.timeout(settings.timeout_s * 2):
                async for chunk in backend.stream(messages, settings):
                    text.append(chunk.text)
                    reasoning.append(chunk.reasoning)
                    tool_calls.extend(chunk.tool_calls)
                    if chunk.final is not None:
                        stats = chunk.final
        except TimeoutError as exc:
            raise BackendTimeout(f"no complete answer within {settings.timeout_s:g} s") from exc
        if stats is None:
            raise BackendError(
                "the answer stream ended without its statistics", reason="malformed_stream"
            )
        content = "".join(text)
        if stats.prompt_tokens is None or stats.completion_tokens is None:
            stats = dataclasses.replace(
                stats,
                prompt_tokens=stats.prompt_tokens
                if stats.prompt_tokens is not None
                else approx_tokens(" ".join(m.content for m in messages)),
                completion_tokens=stats.completion_tokens
                if stats.completion_tokens is not None
                else approx_tokens(content + "".join(c.name + c.arguments for c in tool_calls)),
                tokens_estimated=True,
            )
        cost = self.arena.model_info(model).cost_usd(stats.prompt_tokens, stats.completion_tokens)
        return Generated(content, "".join(reasoning), stats, cost, tuple(tool_calls))
