"""Any OpenAI-compatible chat completions server, streamed through the official SDK.

One class serves OpenAI, DeepSeek, DashScope, Moonshot, Zhipu, MiniMax, OpenRouter, vLLM,
SGLang, Ollama and llama.cpp: they differ only in ``base_url``, the model name and the key.

Error messages are shown to voters, so they are generic on purpose: they never contain the
API key, the model name or the server's address (which would reveal the provider in a blind
battle).  The original exception stays chained (``raise ... from exc``) for the logs.
"""

from __future__ import annotations

import asyncio
import sys
import time
from base64 import b64encode
from collections.abc import AsyncIterator, Mapping
from typing import TYPE_CHECKING, Any

import openai

from modelarena.backends.base import (
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

# Local servers (llama.cpp, Ollama, vLLM without --api-key) ignore the key, but the SDK
# insists on one.
NO_KEY = "not-needed"


def from_config(cfg: ModelConfig, environ: Mapping[str, str]) -> OpenAICompatBackend:
    """The backend of a ``backend = "openai"`` contestant (registered as ``openai``)."""
    if not cfg.base_url:
        raise BackendUnavailable(f"model {cfg.id!r}: backend 'openai' needs base_url")
    api_key: str | None = None
    if cfg.api_key_env:
        api_key = environ.get(cfg.api_key_env) or None
        if api_key is None:
            raise BackendUnavailable(
                f"model {cfg.id!r}: environment variable {cfg.api_key_env} is not set "
                "(it should hold the API key)"
            )
    return OpenAICompatBackend(base_url=cfg.base_url, model=cfg.model or cfg.id, api_key=api_key)


class OpenAICompatBackend:
    """Streams chat completions from one model on one OpenAI-compatible server."""

    def __init__(
        self,
        *,
        base_url: str,
        model: str,
        api_key: str | None = None,
        http_client: Any = None,
        max_retries: int = 2,
    ) -> None:
        """``http_client``: an ``httpx.AsyncClient`` (or ``httpx2`` for openai>=3), e.g.
        one on an ``httpx.MockTransport`` in tests.  Closing the backend closes it."""
        self.model = model
        self._key = api_key or NO_KEY
        # Key and URL always passed explicitly: the SDK would otherwise fall back to
        # OPENAI_API_KEY / OPENAI_BASE_URL, and a contestant uses only its own config.
        self._client = openai.AsyncOpenAI(
            base_url=base_url,
            api_key=self._key,
            http_client=http_client,
            max_retries=max_retries,
        )
        # Compatibility knobs learnt from the server's 400 answers (see _adapt).
        self._send_stream_options = True
        self._max_tokens_field = "max_tokens"

    async def aclose(self) -> None:
        await self._client.close()

    def stream(self, messages: list[Message], settings: GenerationSettings) -> AsyncIterator[Chunk]:
        """Answer chunks, then one final chunk with the stats.

        ``time_to_first_token_s`` counts the first token of either kind (answer or
        reasoning).  Without usage from the server, token counts are one per delta and
        ``tokens_estimated`` is set.  Tool calls streamed in pieces are gathered and
        yielded whole in one chunk before the final one; a server that rejects the offered
        tools raises :class:`BackendToolsUnsupported`.
        """
        return self._stream(messages, settings)

    async def _stream(
        self, messages: list[Message], settings: GenerationSettings
    ) -> AsyncIterator[Chunk]:
        started = time.perf_counter()
        deadline = started + settings.timeout_s
        try:
            # Bounds the SDK's own retries too: timeout_s is for the whole answer.
            async with asyncio.timeout(settings.timeout_s):
                response = await self._open(messages, settings, deadline)
        except TimeoutError as exc:
            raise BackendTimeout(f"no answer within {settings.timeout_s:g} s") from exc
        state = _StreamState()
        try:
            iterator = response.__aiter__()
            while True:
                remaining = deadline - time.perf_counter()
                if remaining <= 0:
                    raise BackendTimeout(f"no complete answer within {settings.timeout_s:g} s")
                try:
                    # The timeout wraps one read only, never a yield, so it cannot fire
                    # while the consumer holds the answer.
                    async with asyncio.timeout(remaining):
                        raw = await iterator.__anext__()
                except StopAsyncIteration:
                    break
                except TimeoutError as exc:
                    raise BackendTimeout(
                        f"no complete answer within {settings.timeout_s:g} s"
                    ) from exc
                chunk = state.take(raw)
                if chunk is not None:
                    if state.first_token_at is None:
                        state.first_token_at = time.perf_counter()
                    yield chunk
        except BackendError:
            raise
        except Exception as exc:
            raise self._translate(exc, mid_answer=True) from exc
        finally:
            await response.close()
        if state.finish_reason is None:
            raise BackendBadStream("the answer stream ended before the answer was finished")
        calls = state.tool_calls()
        if calls:
            yield Chunk(tool_calls=calls)
        yield Chunk(final=state.stats(started))

    async def _open(
        self, messages: list[Message], settings: GenerationSettings, deadline: float
    ) -> openai.AsyncStream[Any]:
        """Start the request; retry once without a knob the server rejects."""
        for _attempt in range(3):
            try:
                stream: openai.AsyncStream[Any] = await self._client.chat.completions.create(
                    **self._request(messages, settings, deadline)
                )
                return stream
            except openai.BadRequestError as exc:
                if not self._adapt(exc):
                    raise self._rejected_tools(exc, settings) or self._translate(exc) from exc
            except openai.APIStatusError as exc:
                raise self._rejected_tools(exc, settings) or self._translate(exc) from exc
            except Exception as exc:
                raise self._translate(exc) from exc
        raise BackendError("the server rejected the request", reason="bad_request")

    def _request(
        self, messages: list[Message], settings: GenerationSettings, deadline: float
    ) -> dict[str, Any]:
        remaining = max(deadline - time.perf_counter(), 0.001)
        request: dict[str, Any] = {
            "model": self.model,
            "messages": [_message(m) for m in messages],
            "stream": True,
            self._max_tokens_field: settings.max_tokens,
            "timeout": remaining,
        }
        if self._send_stream_options:
            request["stream_options"] = {"include_usage": True}
        if settings.temperature is not None:
            request["temperature"] = settings.temperature
        if settings.top_p is not None:
            request["top_p"] = settings.top_p
        if settings.seed is not None:
            request["seed"] = settings.seed
        if settings.tools:
            request["tools"] = [dict(tool) for tool in settings.tools]
            if settings.tool_choice is not None:
                request["tool_choice"] = settings.tool_choice
        return request

    def _rejected_tools(
        self, exc: openai.APIStatusError, settings: GenerationSettings
    ) -> BackendToolsUnsupported | None:
        """A 4xx naming tools or functions, to a request that offered tools: the server (or
        this model on it) does not do tool calling. vLLM, Ollama and providers name "tool"
        or "function" in that refusal; llama.cpp's llama-server without ``--jinja`` answers
        500 "tools param requires --jinja flag"."""
        if not settings.tools or exc.status_code in (401, 403, 404, 408, 429):
            return None
        text = self._safe(exc).lower()
        if "tool" not in text and "function" not in text:
            return None
        if exc.status_code >= 500 and "jinja" not in text and "support" not in text:
            return None  # a server failing while tools were offered is still a failure
        return BackendToolsUnsupported(
            f"the model's server does not accept tools (HTTP {exc.status_code}): {self._safe(exc)}"
        )

    def _adapt(self, exc: openai.BadRequestError) -> bool:
        """Learn from a 400 that names a parameter some servers do not support."""
        text = str(exc).lower()
        if self._send_stream_options and "stream_options" in text:
            self._send_stream_options = False
            return True
        if self._max_tokens_field == "max_tokens" and "max_completion_tokens" in text:
            # Newer OpenAI reasoning models accept only max_completion_tokens.
            self._max_tokens_field = "max_completion_tokens"
            return True
        return False

    def _translate(self, exc: BaseException, *, mid_answer: bool = False) -> BackendError:
        """Map SDK / transport errors onto the BackendError family, with safe messages.

        ``mid_answer``: the answer had started, so a broken connection is a broken stream.
        """
        if isinstance(exc, BackendError):
            return exc
        if isinstance(
            exc, (openai.APITimeoutError, TimeoutError, *_http_errors("TimeoutException"))
        ):
            return BackendTimeout("the model's server did not answer in time")
        if isinstance(exc, openai.AuthenticationError | openai.PermissionDeniedError):
            return BackendAuthError(
                f"the model's server refused the credentials (HTTP {exc.status_code}); "
                "check the API key variable"
            )
        if isinstance(exc, openai.RateLimitError):
            return BackendRateLimited("the model's server is rate limiting us (HTTP 429)")
        if isinstance(exc, openai.NotFoundError):
            return BackendUnavailable(
                "the model's server does not know the configured model name or path (HTTP 404)"
            )
        if isinstance(exc, openai.InternalServerError):
            return BackendServerError(
                f"the model's server failed (HTTP {exc.status_code}): {self._safe(exc)}"
            )
        if isinstance(exc, openai.APIStatusError):
            if exc.status_code >= 500:
                return BackendServerError(f"the model's server failed (HTTP {exc.status_code})")
            error = BackendError(
                f"the model's server rejected the request (HTTP {exc.status_code}): "
                f"{self._safe(exc)}",
                reason="bad_request",
            )
            error.retryable = False  # the same request would be rejected again
            return error
        broken: tuple[type[BaseException], ...] = (
            openai.APIConnectionError,
            *_http_errors("TransportError"),
        )
        if mid_answer and isinstance(exc, broken):
            return BackendBadStream("the connection broke in the middle of the answer")
        if isinstance(exc, openai.APIConnectionError):
            # Connection refused, DNS failure, TLS error: often transient (a server
            # restarting), so a server error (retryable) rather than "unavailable".
            return BackendServerError(
                "could not connect to the model's server", reason="unreachable"
            )
        if isinstance(exc, openai.APIError):
            # An error event inside the stream (OpenRouter sends these mid-answer).
            return BackendServerError(f"the model's server reported an error: {self._safe(exc)}")
        if isinstance(exc, _http_errors("TransportError")):
            return BackendServerError(
                "could not connect to the model's server", reason="unreachable"
            )
        if isinstance(exc, ValueError | TypeError | AttributeError | KeyError | IndexError):
            # json.JSONDecodeError is a ValueError: an unparseable chunk.
            return BackendBadStream("the server sent a chunk that is not valid")
        return BackendError(f"unexpected error from the model's server: {type(exc).__name__}")

    def _safe(self, exc: BaseException, limit: int = 200) -> str:
        """The server's own words, with the key and the model name blanked out."""
        message = getattr(exc, "message", None) or str(exc)
        body = getattr(exc, "body", None)
        if isinstance(body, dict):
            inner = body.get("error", body)
            if isinstance(inner, dict) and isinstance(inner.get("message"), str):
                message = inner["message"]
        text = str(message)
        for secret, mask in ((self._key, "***"), (self.model, "<model>")):
            if secret and secret != NO_KEY:
                text = text.replace(secret, mask)
        return text[:limit]


class _StreamState:
    """What we learn while reading one answer stream."""

    def __init__(self) -> None:
        self.first_token_at: float | None = None
        self.finish_reason: str | None = None
        self.usage: Any = None
        # Fallback token counts when the server sends no usage: one delta ~ one token.
        self.text_deltas = 0
        self.reasoning_deltas = 0
        # Tool calls in the making, by their index in the answer: [id, name, arguments].
        self.calls: dict[int, list[str]] = {}
        self.call_deltas = 0

    def take(self, raw: Any) -> Chunk | None:
        """Turn one SDK chunk into a Chunk (or None if it carried no text)."""
        if getattr(raw, "usage", None) is not None:
            self.usage = raw.usage
        choices = raw.choices or []
        if not isinstance(choices, list):
            raise BackendBadStream("the server sent a chunk that is not valid")
        text = reasoning = ""
        for choice in choices:
            if getattr(choice, "index", 0) not in (0, None):
                continue
            if choice.finish_reason is not None:
                self.finish_reason = str(choice.finish_reason)
            delta = choice.delta
            if delta is None:
                continue
            text = _as_text(delta.content)
            reasoning = _reasoning(delta)
            if self._take_calls(delta):
                self.call_deltas += 1
                if self.first_token_at is None:
                    self.first_token_at = time.perf_counter()
        if text:
            self.text_deltas += 1
        if reasoning:
            self.reasoning_deltas += 1
        return Chunk(text=text, reasoning=reasoning) if text or reasoning else None

    def _take_calls(self, delta: Any) -> bool:
        """Add one delta's pieces of tool calls: the first piece of a call brings its id
        and name, the following ones more of its JSON arguments. The legacy
        ``function_call`` field counts as call 0."""
        pieces = getattr(delta, "tool_calls", None) or []
        legacy = getattr(delta, "function_call", None)
        if not isinstance(pieces, list):
            raise BackendBadStream("the server sent a chunk that is not valid")
        found = [
            (getattr(p, "index", None), getattr(p, "id", None), getattr(p, "function", None))
            for p in pieces
        ]
        if legacy is not None and not found:
            # llama-cpp-python sends both fields with the same text: one is enough
            found.append((0, None, legacy))
        for index, call_id, function in found:
            if index is None:  # some servers send whole calls without an index
                index = len(self.calls)
            call = self.calls.setdefault(int(index), ["", "", ""])
            if call_id:
                call[0] = str(call_id)
            if function is not None:
                name = _as_text(getattr(function, "name", None))
                if name != call[1]:  # llama-cpp-python repeats the name in every piece
                    call[1] += name
                call[2] += _as_text(getattr(function, "arguments", None))
        return bool(found)

    def tool_calls(self) -> tuple[ToolCall, ...]:
        """The finished calls in order; a call the server sent no id for gets one."""
        return tuple(
            ToolCall(id=call_id or f"call_{index}", name=name, arguments=arguments)
            for index, (call_id, name, arguments) in sorted(self.calls.items())
        )

    def stats(self, started: float) -> AnswerStats:
        now = time.perf_counter()
        ttft = None if self.first_token_at is None else self.first_token_at - started
        usage = self.usage
        if usage is None:
            return AnswerStats(
                prompt_tokens=None,
                completion_tokens=self.text_deltas + self.reasoning_deltas + self.call_deltas,
                reasoning_tokens=self.reasoning_deltas or None,
                time_to_first_token_s=ttft,
                total_time_s=now - started,
                finish_reason=self.finish_reason,
                tokens_estimated=True,
            )
        details = getattr(usage, "completion_tokens_details", None)
        reasoning_tokens = getattr(details, "reasoning_tokens", None) if details else None
        if reasoning_tokens is None and self.reasoning_deltas:
            reasoning_tokens = self.reasoning_deltas
        return AnswerStats(
            prompt_tokens=getattr(usage, "prompt_tokens", None),
            completion_tokens=getattr(usage, "completion_tokens", None),
            reasoning_tokens=reasoning_tokens,
            time_to_first_token_s=ttft,
            total_time_s=now - started,
            finish_reason=self.finish_reason,
        )


def _message(message: Message) -> dict[str, Any]:
    """One message as the chat completions API takes it."""
    if message.role == "tool":
        return {"role": "tool", "tool_call_id": message.tool_call_id, "content": message.content}
    out: dict[str, Any] = {"role": message.role, "content": message.content}
    if message.images:  # OpenAI's content parts: the text, then each image as a data: URL
        out["content"] = [
            {"type": "text", "text": message.content},
            *(
                {
                    "type": "image_url",
                    "image_url": {"url": "data:image/png;base64," + b64encode(png).decode()},
                }
                for png in message.images
            ),
        ]
    if message.tool_calls:
        out["content"] = message.content or None
        out["tool_calls"] = [
            {
                "id": call.id,
                "type": "function",
                "function": {"name": call.name, "arguments": call.arguments},
            }
            for call in message.tool_calls
        ]
    return out


def _reasoning(delta: Any) -> str:
    """Thinking text: ``reasoning_content`` (DeepSeek, Qwen, vLLM) or ``reasoning``
    (OpenRouter).  Some servers send both with the same text, so take one."""
    extra = getattr(delta, "model_extra", None) or {}
    for name in ("reasoning_content", "reasoning"):
        value = getattr(delta, name, None) if name not in extra else extra[name]
        text = _as_text(value)
        if text:
            return text
    return ""


def _as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    # A number or a structure where a string belongs: we cannot read this chunk.
    raise BackendBadStream("the server sent a chunk that is not valid")


def _http_errors(name: str) -> tuple[type[BaseException], ...]:
    """An exception class from httpx and httpx2, whichever are loaded.

    Errors after the response has started (a read timeout, a dropped connection) reach us
    unwrapped by the SDK.  openai<3 is built on httpx, openai>=3 on httpx2 and accepts
    either client; a module that is not loaded cannot have raised.
    """
    found: list[type[BaseException]] = []
    for module_name in ("httpx2", "httpx"):
        module = sys.modules.get(module_name)
        error = getattr(module, name, None)
        if isinstance(error, type) and issubclass(error, BaseException):
            found.append(error)
    return tuple(found)
