"""A scripted model: replies from a list, streamed word by word. For tests and demos only.

It is a real :class:`Backend` registered as ``scripted`` like every other, so a config can
name it and tests of battles, votes and pages run without a model::

    [[models]]
    id = "echo"
    backend = "scripted"
    options = { replies = ["Hello!", { reasoning = "Think first. ", text = "Hi." }] }

A reply is text; a table with ``text`` and ``reasoning`` (thinking streamed before the
answer, counted among the completion tokens as OpenAI-compatible servers do) and optionally
``time_s`` (the answer's reported duration); or ``{ error = "timeout", message = "..." }``, a
failure with that reason code. In
Python a reply may also be a :class:`BackendError` or a function of the conversation.
Replies are used in turn, cycling. ``options.delay_s`` waits before each piece.
"""

from __future__ import annotations

import asyncio
import itertools
import re
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from modelarena.backends.base import (
    CUT,
    AnswerStats,
    BackendAuthError,
    BackendBadStream,
    BackendError,
    BackendRateLimited,
    BackendServerError,
    BackendTimeout,
    BackendUnavailable,
    Chunk,
    GenerationSettings,
    Message,
)

if TYPE_CHECKING:
    from modelarena.config import ModelConfig

Reply = str | Mapping[str, str | float] | Callable[[list[Message]], str] | BackendError

_ERRORS: dict[str, type[BackendError]] = {
    cls.reason: cls
    for cls in (
        BackendTimeout,
        BackendAuthError,
        BackendRateLimited,
        BackendServerError,
        BackendBadStream,
        BackendUnavailable,
    )
}


def from_config(cfg: ModelConfig, environ: Mapping[str, str]) -> ScriptedBackend:
    """The backend of a ``backend = "scripted"`` contestant (registered as ``scripted``)."""
    options = dict(cfg.options)
    replies = options.pop("replies", None)
    delay_s = options.pop("delay_s", 0.0)
    if options:
        raise BackendUnavailable(
            f"model {cfg.id!r}: backend 'scripted' takes options replies and delay_s, "
            f"not {', '.join(sorted(options))}"
        )
    if not isinstance(replies, list) or not replies:
        raise BackendUnavailable(
            f"model {cfg.id!r}: backend 'scripted' needs options.replies, a list of answers"
        )
    if not isinstance(delay_s, int | float) or delay_s < 0:
        raise BackendUnavailable(f"model {cfg.id!r}: options.delay_s must be seconds (>= 0)")
    for reply in replies:
        _check(cfg.id, reply)
    return ScriptedBackend(replies, delay_s=float(delay_s))


def _check(model_id: str, reply: Any) -> None:
    if isinstance(reply, str):
        return
    if isinstance(reply, Mapping):
        keys = set(reply)
        texts = all(isinstance(v, str) for k, v in reply.items() if k != "time_s")
        timed = isinstance(reply.get("time_s", 0.0), int | float)
        errors = "error" in keys and keys <= {"error", "message"}
        if keys and texts and timed and (keys <= {"text", "reasoning", "time_s"} or errors):
            return
    raise BackendUnavailable(
        f"model {model_id!r}: a scripted reply is text, {{ text, reasoning }} or "
        f"{{ error, message }}, not {reply!r}"
    )


def _error(reply: Mapping[str, str | float]) -> BackendError:
    reason = str(reply["error"])
    message = str(reply.get("message") or f"scripted failure ({reason})")
    cls = _ERRORS.get(reason)
    return cls(message) if cls else BackendError(message, reason=reason)


class ScriptedBackend:
    def __init__(self, replies: Sequence[Reply], *, delay_s: float = 0.0) -> None:
        if not replies:
            raise ValueError("a scripted backend needs at least one reply")
        self._replies = itertools.cycle(list(replies))
        self.delay_s = delay_s
        self.calls: list[list[Message]] = []

    async def stream(
        self, messages: list[Message], settings: GenerationSettings
    ) -> AsyncIterator[Chunk]:
        self.calls.append(messages)
        reply = next(self._replies)
        reasoning, time_s = "", None
        if isinstance(reply, Mapping):
            if "error" in reply:
                raise _error(reply)
            reasoning, text = str(reply.get("reasoning", "")), str(reply.get("text", ""))
            time_s = reply.get("time_s")
        elif isinstance(reply, BackendError):
            raise reply
        else:
            text = reply(messages) if callable(reply) else reply
        pieces = re.findall(r"\S+\s*|\s+", text) or [""]
        stopped_at_limit = len(pieces) > max(1, settings.max_tokens)
        pieces = pieces[: max(1, settings.max_tokens)]
        thoughts = re.findall(r"\S+\s*|\s+", reasoning)
        for thought in thoughts:
            if self.delay_s:
                await asyncio.sleep(self.delay_s)
            yield Chunk(reasoning=thought)
        for piece in pieces:
            if self.delay_s:
                await asyncio.sleep(self.delay_s)
            yield Chunk(text=piece)
        yield Chunk(
            final=AnswerStats(
                prompt_tokens=sum(len(m.content.split()) for m in messages),
                # as OpenAI-compatible servers count: the reasoning is among the completion
                completion_tokens=len(pieces) + len(thoughts),
                reasoning_tokens=len(thoughts) or None,
                time_to_first_token_s=self.delay_s,
                total_time_s=float(
                    self.delay_s * (len(pieces) + len(thoughts)) if time_s is None else time_s
                ),
                finish_reason=CUT if stopped_at_limit else "stop",
            )
        )

    async def aclose(self) -> None:
        return None
