"""A scripted model: replies from a list, streamed word by word. For tests and demos only.

It is a real :class:`Backend` registered as ``scripted`` like every other, so a config can
name it and tests of battles, votes and pages run without a model::

    [[models]]
    id = "echo"
    backend = "scripted"
    options = { replies = ["Hello!", { reasoning = "Think first. ", text = "Hi." }] }

A reply is text; a table with ``text`` and ``reasoning`` (thinking streamed before the
answer, counted among the completion tokens as OpenAI-compatible servers do) and optionally
``time_s`` (the answer's reported duration) and ``tool_calls`` (a list of
``{ name, arguments }``, arguments a table or JSON text; the calls an agent makes); or
``{ error = "timeout", message = "..." }``, a failure with that reason code. In Python a
reply may also be a :class:`BackendError` or a function of the conversation (and of the
offered tools, if it takes two arguments) returning text or such a table. Replies are used
in turn, cycling. ``options.delay_s`` waits before each piece; ``options.tools = false``
plays a model that cannot call tools (offered tools raise
:class:`BackendToolsUnsupported`).
"""

from __future__ import annotations

import asyncio
import inspect
import itertools
import json
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
    BackendToolsUnsupported,
    BackendUnavailable,
    Chunk,
    GenerationSettings,
    Message,
    ToolCall,
)

if TYPE_CHECKING:
    from modelarena.config import ModelConfig

ReplyTable = Mapping[str, Any]  # text, reasoning, time_s, tool_calls; or error, message
Reply = (
    str
    | ReplyTable
    | Callable[[list[Message]], str | ReplyTable]
    | Callable[[list[Message], Sequence[Mapping[str, Any]]], str | ReplyTable]
    | BackendError
)

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
    tools = options.pop("tools", True)
    if options:
        raise BackendUnavailable(
            f"model {cfg.id!r}: backend 'scripted' takes options replies, delay_s and "
            f"tools, not {', '.join(sorted(options))}"
        )
    if not isinstance(tools, bool):
        raise BackendUnavailable(f"model {cfg.id!r}: options.tools must be true or false")
    if not isinstance(replies, list) or not replies:
        raise BackendUnavailable(
            f"model {cfg.id!r}: backend 'scripted' needs options.replies, a list of answers"
        )
    if not isinstance(delay_s, int | float) or delay_s < 0:
        raise BackendUnavailable(f"model {cfg.id!r}: options.delay_s must be seconds (>= 0)")
    for reply in replies:
        _check(cfg.id, reply)
    return ScriptedBackend(replies, delay_s=float(delay_s), tools=tools)


def _check(model_id: str, reply: Any) -> None:
    if isinstance(reply, str):
        return
    if isinstance(reply, Mapping):
        keys = set(reply)
        texts = all(
            isinstance(v, str) for k, v in reply.items() if k not in ("time_s", "tool_calls")
        )
        timed = isinstance(reply.get("time_s", 0.0), int | float)
        errors = "error" in keys and keys <= {"error", "message"}
        answer = keys <= {"text", "reasoning", "time_s", "tool_calls"}
        if keys and texts and timed and (answer or errors):
            try:
                _tool_calls(reply.get("tool_calls") or [])
            except (TypeError, ValueError, KeyError):
                pass
            else:
                return
    raise BackendUnavailable(
        f"model {model_id!r}: a scripted reply is text, {{ text, reasoning, tool_calls }} "
        f"or {{ error, message }}, not {reply!r}"
    )


def _tool_calls(calls: Any) -> tuple[ToolCall, ...]:
    """``[{ name, arguments, id? }]`` as ToolCalls; arguments a table become JSON text."""
    if not isinstance(calls, list | tuple):
        raise TypeError("tool_calls must be a list")
    out: list[ToolCall] = []
    for i, call in enumerate(calls):
        if isinstance(call, ToolCall):
            out.append(call)
            continue
        if not isinstance(call, Mapping) or not isinstance(call["name"], str):
            raise TypeError("a tool call is a table with a name")
        arguments = call.get("arguments", {})
        if not isinstance(arguments, str):
            arguments = json.dumps(arguments, ensure_ascii=False)
        out.append(
            ToolCall(id=str(call.get("id") or f"call_{i}"), name=call["name"], arguments=arguments)
        )
    return tuple(out)


def _error(reply: ReplyTable) -> BackendError:
    reason = str(reply["error"])
    message = str(reply.get("message") or f"scripted failure ({reason})")
    cls = _ERRORS.get(reason)
    return cls(message) if cls else BackendError(message, reason=reason)


class ScriptedBackend:
    def __init__(
        self, replies: Sequence[Reply], *, delay_s: float = 0.0, tools: bool = True
    ) -> None:
        if not replies:
            raise ValueError("a scripted backend needs at least one reply")
        self._replies = itertools.cycle(list(replies))
        self.delay_s = delay_s
        self.tools = tools  # False: a model that cannot call tools
        self.calls: list[list[Message]] = []
        self.settings: list[GenerationSettings] = []

    async def stream(
        self, messages: list[Message], settings: GenerationSettings
    ) -> AsyncIterator[Chunk]:
        self.calls.append(messages)
        self.settings.append(settings)
        if settings.tools and not self.tools:
            raise BackendToolsUnsupported("this scripted model cannot call tools")
        reply = next(self._replies)
        if callable(reply) and not isinstance(reply, BackendError):
            reply = _call(reply, messages, settings.tools)
        reasoning, time_s = "", None
        tool_calls: tuple[ToolCall, ...] = ()
        if isinstance(reply, Mapping):
            if "error" in reply:
                raise _error(reply)
            reasoning, text = str(reply.get("reasoning", "")), str(reply.get("text", ""))
            time_s = reply.get("time_s")
            tool_calls = _tool_calls(reply.get("tool_calls") or [])
        elif isinstance(reply, BackendError):
            raise reply
        else:
            text = reply
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
        if tool_calls:
            yield Chunk(tool_calls=tool_calls)
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
                finish_reason=(CUT if stopped_at_limit else "tool_calls" if tool_calls else "stop"),
            )
        )

    async def aclose(self) -> None:
        return None


def _call(
    reply: Callable[..., str | ReplyTable],
    messages: list[Message],
    tools: Sequence[Mapping[str, Any]],
) -> str | ReplyTable:
    """A reply function, given the offered tools too if it takes a second argument."""
    try:
        takes_tools = len(inspect.signature(reply).parameters) >= 2
    except (TypeError, ValueError):
        takes_tools = False
    return reply(messages, tools) if takes_tools else reply(messages)
