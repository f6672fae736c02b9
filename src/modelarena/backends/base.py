"""The one small interface every model backend implements.

A backend turns a conversation into a stream of :class:`Chunk` objects and ends with
exactly one chunk whose ``final`` field carries the :class:`AnswerStats`.  Backends are
async only; callers that are synchronous (the CLI) use ``asyncio.run`` at their edge.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, runtime_checkable

Role = Literal["system", "user", "assistant", "tool"]
CUT = "length"  # the finish reason of an answer stopped at a length limit (OpenAI's word)


@dataclass(frozen=True)
class ToolCall:
    """A function call a model asked for (OpenAI tools interface); ``arguments`` is the JSON
    text as the model wrote it, which may not parse."""

    id: str
    name: str
    arguments: str


@dataclass(frozen=True)
class Message:
    """One turn of a conversation.

    An assistant turn may carry the ``tool_calls`` the model made (``content`` may then be
    empty); a ``"tool"`` turn is the result of one call, ``tool_call_id`` naming it. A user
    turn may carry ``images`` (PNG bytes, after its text), for models that accept them (the
    OpenAI-compatible backend sends them as image parts; others do not take them).
    """

    role: Role
    content: str
    tool_calls: tuple[ToolCall, ...] = ()
    tool_call_id: str | None = None
    images: tuple[bytes, ...] = ()


# ``tool_choice`` as OpenAI takes it: "auto", "none", "required", or
# {"type": "function", "function": {"name": ...}}.
ToolChoice = str | Mapping[str, Any]


@dataclass(frozen=True)
class GenerationSettings:
    """Sampling settings of one call. ``tools`` (OpenAI tool schemas) offered to the model;
    empty, the default, offers none and the request is exactly what it was without tools."""

    temperature: float | None = None
    top_p: float | None = None
    max_tokens: int = 1024
    seed: int | None = None
    timeout_s: float = 120.0
    tools: tuple[Mapping[str, Any], ...] = ()
    tool_choice: ToolChoice | None = None


@dataclass(frozen=True)
class AnswerStats:
    """What we measured about one answer. Times are wall-clock seconds."""

    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    reasoning_tokens: int | None = None
    time_to_first_token_s: float | None = None
    total_time_s: float = 0.0
    finish_reason: str | None = None
    # True when the server reported no usage and the token counts are our own estimate.
    tokens_estimated: bool = False


@dataclass(frozen=True)
class Chunk:
    """A piece of a streamed answer.

    ``text`` is answer text, ``reasoning`` is thinking text (``reasoning_content``) kept
    apart from the answer.  ``tool_calls`` are whole calls: a backend gathers a stream's
    partial tool-call deltas and yields the finished calls once, in one chunk before the
    final one.  The last chunk of a stream has ``final`` set.
    """

    text: str = ""
    reasoning: str = ""
    final: AnswerStats | None = field(default=None)
    tool_calls: tuple[ToolCall, ...] = ()


class BackendError(Exception):
    """A model failed to answer. ``reason`` is a short stable code stored with the battle.

    The message must be safe to show to a user: it never contains an API key, and it never
    names the model (callers add identity only after the vote).
    """

    reason: str = "backend_error"
    retryable: bool = True

    def __init__(self, message: str, *, reason: str | None = None) -> None:
        super().__init__(message)
        if reason is not None:
            self.reason = reason


class BackendTimeout(BackendError):
    reason = "timeout"


class BackendAuthError(BackendError):
    reason = "auth"
    retryable = False


class BackendRateLimited(BackendError):
    reason = "rate_limited"


class BackendServerError(BackendError):
    reason = "server_error"


class BackendBadStream(BackendError):
    reason = "malformed_stream"


class BackendToolsUnsupported(BackendError):
    """Tools were offered but this model or server cannot take them (the server rejected
    the ``tools`` field, or the model's chat format has no way to call a tool). A result
    to report as such, never as a model that chose not to call tools."""

    reason = "tools_unsupported"
    retryable = False


class BackendUnavailable(BackendError):
    """The backend cannot run here at all (missing extra, missing file, bad URL)."""

    reason = "unavailable"
    retryable = False


@runtime_checkable
class Backend(Protocol):
    """A model that can answer a conversation, streaming."""

    def stream(
        self, messages: list[Message], settings: GenerationSettings
    ) -> AsyncIterator[Chunk]: ...

    async def aclose(self) -> None: ...
