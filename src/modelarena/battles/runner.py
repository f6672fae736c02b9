"""Generate both answers of a battle turn at once and merge their streams.

The runner knows nothing of storage or of the web: it takes two backends and two
conversations, and yields :class:`StreamEvent` objects as text arrives on either side. The
last event of each side carries its finished :class:`Answer` (with ``error`` set when the
model failed), so callers can store it.

The runner bounds what it takes of an answer, whatever the backend does
(:class:`AnswerLimits`): past the limit it stops reading, closes the stream and marks the
answer cut (``finish_reason`` ``"length"``, as a model stopped by its own ``max_tokens``).
:func:`turn_refusal` bounds a battle's follow-up turns, by count and by the characters the
conversation would send again.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, replace

from modelarena.backends.base import (
    CUT,
    AnswerStats,
    Backend,
    BackendError,
    Chunk,
    GenerationSettings,
    Message,
)
from modelarena.battles.categories import Category
from modelarena.battles.records import Answer
from modelarena.battles.style import style_counts

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AnswerLimits:
    """The most the app takes of one answer: ``max_tokens`` streamed pieces (reasoning
    included; each piece a backend streams holds at least one token) and ``max_chars``
    characters of answer text (and as many of reasoning text)."""

    max_tokens: int = 8192
    max_chars: int = 40_000

    def cap(self, settings: GenerationSettings) -> GenerationSettings:
        """``settings`` asking the backend for no more tokens than the limit."""
        return replace(settings, max_tokens=min(settings.max_tokens, self.max_tokens))


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


def context_chars(messages: Sequence[Message]) -> int:
    """The characters a conversation sends to a model (every turn is sent again)."""
    return sum(len(m.content) for m in messages)


def turn_refusal(
    turns: int, contexts: Sequence[int], *, max_turns: int, max_context_chars: int
) -> tuple[str, str] | None:
    """Why a battle with ``turns`` turns may not take another one whose conversations
    (one per side) would send ``contexts`` characters: ``(code, message)``, or None."""
    if turns >= max_turns:
        return (
            "too_many_turns",
            f"this battle has {turns} turns, the most one battle may have; "
            "vote, or start a new battle",
        )
    longest = max(contexts, default=0)
    if longest > max_context_chars:
        return (
            "context_too_long",
            f"this follow-up would send {longest:,} characters of conversation to the "
            f"models; the limit is {max_context_chars:,}. Vote, or start a new battle "
            "(with a shorter prompt)",
        )
    return None


async def _run_side(
    side: str,
    backend: Backend,
    messages: list[Message],
    settings: GenerationSettings,
    turn: int,
    prompt: str,
    queue: asyncio.Queue[StreamEvent],
    limits: AnswerLimits,
) -> None:
    text: list[str] = []
    reasoning: list[str] = []
    stats = AnswerStats()
    started = time.perf_counter()
    first: float | None = None
    error: str | None = None
    message: str | None = None
    pieces = n_text = n_reasoning = 0
    cut = False
    stream: AsyncIterator[Chunk] | None = None
    try:
        stream = backend.stream(messages, limits.cap(settings))
        async with asyncio.timeout(settings.timeout_s * 2):  # a hard stop on top of the backend's
            async for chunk in stream:
                if chunk.text or chunk.reasoning:
                    if pieces >= limits.max_tokens:
                        cut = True
                        break
                    pieces += 1
                    first = time.perf_counter() if first is None else first
                    piece = chunk.text[: limits.max_chars - n_text]
                    thought = chunk.reasoning[: limits.max_chars - n_reasoning]
                    n_text, n_reasoning = n_text + len(piece), n_reasoning + len(thought)
                    if piece or thought:
                        text.append(piece)
                        reasoning.append(thought)
                        await queue.put(StreamEvent(side, piece, thought))
                    if len(piece) < len(chunk.text) or len(thought) < len(chunk.reasoning):
                        cut = True
                        break
                if chunk.final is not None:
                    stats = chunk.final
        if cut:  # the backend's own figures, if any, never came
            stats = AnswerStats(
                completion_tokens=pieces,
                time_to_first_token_s=None if first is None else first - started,
                total_time_s=time.perf_counter() - started,
                finish_reason=CUT,
                tokens_estimated=True,
            )
    except BackendError as exc:
        error, message = exc.reason, str(exc)
    except TimeoutError:
        error, message = "timeout", "the model took too long to answer"
    except Exception:  # noqa: BLE001 - a broken backend must fail the battle, not the server
        # the traceback goes to the log; the arena then names the model (side stays blind here)
        log.exception("a backend raised an unexpected error (side %s)", side)
        error, message = "backend_error", "the model failed unexpectedly"
    finally:
        close = getattr(stream, "aclose", None)
        if close is not None:  # stop the backend's generation (and its connection) now
            try:
                await close()
            except Exception:  # noqa: BLE001 - its answer is complete; a cleanup error is not
                log.debug("closing a %s stream failed", side, exc_info=True)
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
    limits: AnswerLimits | None = None,
) -> AsyncIterator[StreamEvent]:
    """Yield events from both sides as they come; ends when both sides have finished.
    Each answer is bounded by ``limits`` (the defaults of :class:`AnswerLimits` if None)."""
    queue: asyncio.Queue[StreamEvent] = asyncio.Queue()
    bound = limits or AnswerLimits()
    tasks = [
        asyncio.create_task(
            _run_side(side, backends[i], messages[i], settings[i], turn, prompt, queue, bound)
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
