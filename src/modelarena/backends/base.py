"""The one small interface every model backend implements.

A backend turns a conversation into a stream of :class:`Chunk` objects and ends with
exactly one chunk whose ``final`` field carries the :class:`AnswerStats`.  Backends are
async only; callers that are synchronous (the CLI) use ``asyncio.run`` at their edge.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Literal, Protocol, runtime_checkable

Role = Literal["system", "user", "assistant"]
CUT = "length"  # the finish reason of an answer stopped at a length limit (OpenAI's word)


@dataclass(frozen=True)
class Message:
    role: Role
    content: str


@dataclass(frozen=True)
class ToolCall:
    """A function call a model asked for (OpenAI tools interface); ``arguments`` is the JSON
    text as the model wrote it, which may not parse."""

    id: str
    name: str
    arguments: str


@dataclass(frozen=True)
class GenerationSettings:
    temperature: float | None = None
    top_p: float | None = None
    max_tokens: int = 1024
    seed: int | None = None
    timeout_s: float = 120.0


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
    apart from the answer.  The last chunk of a stream has ``final`` set.
    """

    text: str = ""
    reasoning: str = ""
    final: AnswerStats | None = field(default=None)


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
