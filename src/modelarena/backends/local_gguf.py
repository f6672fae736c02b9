"""A local GGUF model run in-process by llama-cpp-python (the ``local`` extra).

llama-cpp-python is imported lazily so the base install stays light.  Generation is
blocking C code, so it runs in a worker thread and hands chunks to the event loop through
an ``asyncio.Queue``; a stop flag checked at every token ends it promptly when the consumer
stops iterating.

Loaded models are pooled per ``(path, n_ctx, n_threads)`` for the whole process.  A
``Llama`` object holds one KV cache and cannot generate two answers at once, so each
instance is lent to one generation at a time; when both sides of a battle use the same
file (the bundled default) the pool loads a second instance instead of making one side
wait.  Instances are reused afterwards, so a file is loaded at most as many times as it
has generated concurrently.

Tools: llama-cpp-python's chat template handler renders a conversation with the model's own
template but never reads tool calls back out of the answer, so a model run here cannot
*choose* to call a tool. Tools offered with ``tool_choice`` naming one function are passed
on (llama-cpp constrains the answer to that function's arguments with a grammar); tools
offered any other way raise :class:`BackendToolsUnsupported`, so an audit reports the
model as unable to call tools rather than as one that chose not to.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
import time
from collections.abc import AsyncIterator, Generator, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from modelarena.backends.base import (
    AnswerStats,
    BackendError,
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

INSTALL_HINT = (
    "pip install 'modelarena[local]'  (if the build fails or the program crashes with "
    "'illegal instruction', reinstall with CMAKE_ARGS=\"-DGGML_NATIVE=OFF\" "
    "pip install --force-reinstall --no-cache-dir llama-cpp-python)"
)
THREAD_NAME = "modelarena-gguf"
# More simultaneous answers than this from one file wait for a free instance.
MAX_INSTANCES_PER_MODEL = 4


def from_config(cfg: ModelConfig, environ: Mapping[str, str]) -> LocalGGUFBackend:
    """The backend of a ``backend = "gguf"`` contestant (registered as ``gguf``)."""
    if not cfg.path:
        raise BackendUnavailable(f"model {cfg.id!r}: backend 'gguf' needs path")
    try:
        return LocalGGUFBackend(cfg.path, n_ctx=cfg.n_ctx, n_threads=cfg.n_threads)
    except BackendUnavailable as exc:
        raise BackendUnavailable(f"model {cfg.id!r}: {exc}") from exc


def default_threads() -> int:
    # Half the cores: the two sides of a battle generate at the same time.
    return max(1, (os.cpu_count() or 2) // 2)


def import_llama_cpp() -> Any:
    """The ``llama_cpp`` module, or BackendUnavailable saying how to install it."""
    try:
        import llama_cpp
    except ImportError as exc:
        message = f"local GGUF models need llama-cpp-python: {INSTALL_HINT}"
        raise BackendUnavailable(message) from exc
    return llama_cpp


class LocalGGUFBackend:
    """Streams chat completions from a GGUF file using its own chat template."""

    def __init__(
        self, path: str | os.PathLike[str], *, n_ctx: int = 4096, n_threads: int | None = None
    ) -> None:
        import_llama_cpp()  # fail at configuration time, not in the first battle
        self.path = Path(path).expanduser()
        if not self.path.is_file():
            raise BackendUnavailable(f"GGUF file not found: {self.path}")
        self._key = (str(self.path.resolve()), n_ctx, n_threads or default_threads())

    async def aclose(self) -> None:
        # Loaded instances stay in the process-wide pool for other contestants.
        return None

    def stream(self, messages: list[Message], settings: GenerationSettings) -> AsyncIterator[Chunk]:
        return self._stream(messages, settings)

    async def _stream(
        self, messages: list[Message], settings: GenerationSettings
    ) -> AsyncIterator[Chunk]:
        if settings.tools and not _forced(settings):
            raise BackendToolsUnsupported(
                "a local GGUF model cannot choose tool calls: llama-cpp-python does not read "
                "tool calls out of its answers (serve the model with a tool-calling server, "
                "e.g. llama.cpp's llama-server --jinja, vLLM or Ollama, as backend 'openai')"
            )
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[_Item] = asyncio.Queue()
        job = _Job(
            key=self._key,
            messages=[_message(m) for m in messages],
            settings=settings,
            loop=loop,
            queue=queue,
        )
        started = time.perf_counter()
        deadline = started + settings.timeout_s
        first_token_at: float | None = None
        finish_reason: str | None = None
        tool_calls: tuple[ToolCall, ...] = ()
        thread = threading.Thread(target=job.run, name=THREAD_NAME, daemon=True)
        thread.start()
        try:
            while True:
                try:
                    async with asyncio.timeout(max(deadline - time.perf_counter(), 0.0)):
                        item = await queue.get()
                except TimeoutError as exc:
                    raise BackendTimeout(
                        f"no complete answer within {settings.timeout_s:g} s"
                    ) from exc
                if isinstance(item, BaseException):
                    raise _translate(item) from item
                if isinstance(item, _Done):
                    finish_reason, tool_calls = item.finish_reason, item.tool_calls
                    break
                if first_token_at is None:
                    first_token_at = time.perf_counter()
                yield Chunk(text=item)
        finally:
            # Consumer stopped, timed out or failed: the worker stops at its next token.
            job.stop.set()
        if tool_calls:
            yield Chunk(tool_calls=tool_calls)
        yield Chunk(
            final=AnswerStats(
                prompt_tokens=job.prompt_tokens,
                completion_tokens=job.completion_tokens,
                time_to_first_token_s=(
                    None if first_token_at is None else first_token_at - started
                ),
                total_time_s=time.perf_counter() - started,
                finish_reason=finish_reason,
            )
        )


@dataclass
class _Done:
    finish_reason: str | None
    tool_calls: tuple[ToolCall, ...] = ()


def _forced(settings: GenerationSettings) -> bool:
    """Whether ``tool_choice`` names one function (the only tool calling llama-cpp does
    with a model's own chat template)."""
    choice = settings.tool_choice
    return isinstance(choice, Mapping) and isinstance(choice.get("function"), Mapping)


def _message(message: Message) -> dict[str, Any]:
    """A message for llama-cpp; templates read ``content``, so it is never None."""
    out: dict[str, Any] = {"role": message.role, "content": message.content}
    if message.tool_calls:
        out["tool_calls"] = [
            {"id": c.id, "type": "function", "function": {"name": c.name, "arguments": c.arguments}}
            for c in message.tool_calls
        ]
    if message.tool_call_id is not None:
        out["tool_call_id"] = message.tool_call_id
    return out


_Item = str | _Done | BaseException


@dataclass
class _Job:
    """One generation, run in a worker thread."""

    key: tuple[str, int, int]
    messages: list[dict[str, Any]]
    settings: GenerationSettings
    loop: asyncio.AbstractEventLoop
    queue: asyncio.Queue[_Item]
    stop: threading.Event = field(default_factory=threading.Event)
    prompt_tokens: int | None = None
    completion_tokens: int = 0
    calls: dict[int, list[str]] = field(default_factory=dict)  # index -> [id, name, args]

    def run(self) -> None:
        try:
            with _POOL.borrow(self.key) as llama:
                finish_reason = self._generate(llama)
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer to raise
            self._send(exc)
            return
        calls = tuple(
            ToolCall(id=c[0] or f"call_{i}", name=c[1], arguments=c[2])
            for i, c in sorted(self.calls.items())
        )
        # Sent only once the model is back in the pool, so the next turn can reuse it.
        self._send(_Done(finish_reason, calls))

    def _generate(self, llama: Any) -> str | None:
        kwargs: dict[str, Any] = {
            "messages": self.messages,
            "stream": True,
            "max_tokens": self.settings.max_tokens,
            "logits_processor": [self._count],
        }
        if self.settings.temperature is not None:
            kwargs["temperature"] = self.settings.temperature
        if self.settings.top_p is not None:
            kwargs["top_p"] = self.settings.top_p
        if self.settings.seed is not None:
            kwargs["seed"] = self.settings.seed
        if self.settings.tools:
            kwargs["tools"] = [dict(t) for t in self.settings.tools]
            kwargs["tool_choice"] = self.settings.tool_choice
        finish_reason: str | None = None
        chunks: Generator[dict[str, Any], None, None] = llama.create_chat_completion(**kwargs)
        try:
            for chunk in chunks:
                if self.stop.is_set():
                    return finish_reason
                choice = chunk["choices"][0]
                delta = choice.get("delta") or {}
                text = delta.get("content")
                if text:
                    self._send(text)
                self._take_calls(delta.get("tool_calls") or [])
                finish_reason = choice.get("finish_reason") or finish_reason
        finally:
            # Closing the generator runs llama-cpp's own cleanup now, in this thread.
            chunks.close()
        return finish_reason

    def _take_calls(self, pieces: list[dict[str, Any]]) -> None:
        """Gather streamed tool-call pieces (llama-cpp repeats id and name in each)."""
        for piece in pieces:
            call = self.calls.setdefault(int(piece.get("index") or 0), ["", "", ""])
            function = piece.get("function") or {}
            call[0] = call[0] or str(piece.get("id") or "")
            call[1] = call[1] or str(function.get("name") or "")
            call[2] += str(function.get("arguments") or "")

    def _count(self, input_ids: Any, scores: Any) -> Any:
        # A logits processor runs once before each sampled token, so it gives exact token
        # counts (llama-cpp streams carry no usage).  It runs inside a C callback that
        # swallows exceptions, so stopping is left to the chunk loop above.
        if self.prompt_tokens is None:
            self.prompt_tokens = len(input_ids)
        self.completion_tokens += 1
        return scores

    def _send(self, item: _Item) -> None:
        try:
            self.loop.call_soon_threadsafe(self.queue.put_nowait, item)
        except RuntimeError:
            self.stop.set()  # the event loop is gone: nobody is listening


def _translate(exc: BaseException) -> BackendError:
    if isinstance(exc, BackendError):
        return exc
    text = str(exc).lower()
    if isinstance(exc, ValueError) and ("context window" in text or "exceed" in text):
        error = BackendError(
            "the conversation is too long for this model's context window",
            reason="context_length",
        )
        error.retryable = False
        return error
    return BackendServerError(f"the local model failed while generating: {type(exc).__name__}")


_LOAD_LOCK = threading.Lock()


class _Pool:
    """Process-wide loaded models, lent to one generation at a time."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._idle: dict[tuple[str, int, int], list[Any]] = {}
        self._slots: dict[tuple[str, int, int], threading.Semaphore] = {}
        self.loads = 0  # how many times a file was loaded (for tests and logs)

    @contextlib.contextmanager
    def borrow(self, key: tuple[str, int, int]) -> Iterator[Any]:
        with self._lock:
            slots = self._slots.setdefault(key, threading.Semaphore(MAX_INSTANCES_PER_MODEL))
        with slots:
            with self._lock:
                idle = self._idle.setdefault(key, [])
                llama = idle.pop() if idle else None
            if llama is None:
                llama = self._load(key)
            try:
                yield llama
            finally:
                with self._lock:
                    self._idle[key].append(llama)

    def _load(self, key: tuple[str, int, int]) -> Any:
        llama_cpp = import_llama_cpp()
        path, n_ctx, n_threads = key
        try:
            # One load at a time: with verbose=False llama-cpp silences the process by
            # swapping file descriptors 1 and 2; two loads at once interleave the swaps and
            # can leave stdout pointing at /dev/null for good.
            with _LOAD_LOCK:
                llama = llama_cpp.Llama(
                    model_path=path, n_ctx=n_ctx, n_threads=n_threads, verbose=False
                )
        except (ValueError, OSError, RuntimeError) as exc:
            # The path may name the model, and this message can reach a voter.
            raise BackendUnavailable("could not load the local model file") from exc
        with self._lock:
            self.loads += 1
        return llama

    def clear(self) -> None:
        """Forget idle instances (they are freed when garbage collected)."""
        with self._lock:
            self._idle.clear()


_POOL = _Pool()
