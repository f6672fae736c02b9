"""Generate both answers of a battle turn at once and merge their streams.

The runner knows nothing of storage or of the web: it takes two backends and two
conversations, and yields :class:`StreamEvent` objects as text arrives on either side. The
last event of each side carries its finished :class:`Answer` (with ``error`` set when the
model failed), so callers can store it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass

from modelarena.backends.base import (
    AnswerStats,
    Backend,
    BackendError,
    GenerationSettings,
    Message,
)
from modelarena.battles.categories import Category
from modelarena.battles.records import Answer
from modelarena.battles.style import style_counts


@dataclass(frozen=True)
class StreamEvent:
    side: str
    text: str = ""
    reasoning: str = ""
    answer: Answer | None = None  # set on the side's last event
    error: str | None = None  # a message safe to show before the reveal


def build_messages(
    category: Category,
    history: Sequence[tuple[str, str]],
    prompt: str,
    model_system_prompt: str | None = None,
) -> list[Message]:
    system = category.system_prompt
    if model_system_prompt:
        system = f"{model_system_prompt}\n\n{system}"
    messages = [Message("system", system)]
    for user, assistant in history:
        messages.append(Message("user", user))
        messages.append(Message("assistant", assistant))
    messages.append(Message("user", prompt))
    return messages


async def _run_side(
    side: str,
    backend: Backend,
    messages: list[Message],
    settings: GenerationSettings,
    turn: int,
    prompt: str,
    queue: asyncio.Queue[StreamEvent],
) -> None:
    text: list[str] = []
    reasoning: list[str] = []
    stats = AnswerStats()
    started = time.perf_counter()
    error: str | None = None
    message: str | None = None
    try:
        async with asyncio.timeout(settings.timeout_s * 2):  # a hard stop on top of the backend's
            async for chunk in backend.stream(messages, settings):
                if chunk.text or chunk.reasoning:
                    text.append(chunk.text)
                    reasoning.append(chunk.reasoning)
                    await queue.put(StreamEvent(side, chunk.text, chunk.reasoning))
                if chunk.final is not None:
                    stats = chunk.final
    except BackendError as exc:
        error, message = exc.reason, str(exc)
    except TimeoutError:
        error, message = "timeout", "the model took too long to answer"
    except Exception:  # noqa: BLE001 - a broken backend must fail the battle, not the server
        error, message = "backend_error", "the model failed unexpectedly"
    if error is not None:
        stats = AnswerStats(total_time_s=time.perf_counter() - started)
    content = "".join(text)
    answer = Answer(
        side=side,
        turn=turn,
        prompt=prompt,
        content=content,
        reasoning="".join(reasoning),
        error=error,
        stats=stats,
        style=style_counts(content, stats.completion_tokens),
    )
    await queue.put(StreamEvent(side, answer=answer, error=message))


async def stream_both(
    backends: tuple[Backend, Backend],
    messages: tuple[list[Message], list[Message]],
    settings: tuple[GenerationSettings, GenerationSettings],
    turn: int,
    prompt: str,
) -> AsyncIterator[StreamEvent]:
    """Yield events from both sides as they come; ends when both sides have finished."""
    queue: asyncio.Queue[StreamEvent] = asyncio.Queue()
    tasks = [
        asyncio.create_task(
            _run_side(side, backends[i], messages[i], settings[i], turn, prompt, queue)
        )
        for i, side in enumerate("ab")
    ]
    finished = 0
    try:
        while finished < 2:
            event = await queue.get()
            if event.answer is not None:
                finished += 1
            yield event
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
