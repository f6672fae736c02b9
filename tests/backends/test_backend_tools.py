"""Tool calling in the backends: OpenAI-compatible tool-call deltas gathered into whole calls
(against a real HTTP server on loopback), a server that rejects tools, the scripted backend's
tool-calling replies, the local GGUF backend's honest refusal, and the calls of a run
(ModelCalls) keeping the calls in the Generated result and the cache."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from cli.fake_openai import LoopbackServer
from tool_calling import TOOLS, WEATHER, calls_of, collect

from modelarena.backends.base import (
    BackendAuthError,
    BackendError,
    BackendToolsUnsupported,
    BackendUnavailable,
    GenerationSettings,
    Message,
    ToolCall,
)
from modelarena.backends.openai_compat import OpenAICompatBackend
from modelarena.backends.scripted import ScriptedBackend
from modelarena.backends.scripted import from_config as scripted_from_config
from modelarena.config import ModelConfig

# ------------------------------------------------------------------ a fake server on loopback


def event(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion.chunk",
        "created": 0,
        "model": "fake",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }


def piece(index: int, arguments: str, **head: Any) -> dict[str, Any]:
    function: dict[str, Any] = {"arguments": arguments}
    if "name" in head:
        function["name"] = head.pop("name")
    return {"tool_calls": [{"index": index, **head, "function": function}]}


class FakeServer(LoopbackServer):
    """Answers each POST with the next reply: ``(status, json body)`` or a list of events."""

    def __init__(self, *replies: tuple[int, dict[str, Any]] | list[dict[str, Any]]) -> None:
        self.replies = list(replies)
        super().__init__(self._respond)

    def _respond(self, request: dict[str, Any]) -> tuple[int, str, bytes]:
        reply = self.replies[min(len(self.requests), len(self.replies)) - 1]
        if isinstance(reply, tuple):
            status, payload = reply
            return status, "application/json", json.dumps(payload).encode()
        text = "".join(f"data: {json.dumps(e)}\n\n" for e in reply)
        return 200, "text/event-stream", (text + "data: [DONE]\n\n").encode()

    @contextmanager
    def running(self) -> Iterator[OpenAICompatBackend]:
        with self.serving():
            yield OpenAICompatBackend(
                base_url=self.base_url, model="fake", api_key="sk-fake-KEY-123", max_retries=0
            )


ASK = [Message("user", "Weather in Paris and in Oslo?")]


def test_streamed_deltas_of_two_calls_are_gathered_into_whole_calls() -> None:
    events = [
        event({"role": "assistant", "content": None}),
        event(piece(0, "", id="call_a", type="function", name="get_weather")),
        event(piece(0, '{"ci')),
        event(piece(1, "", id="call_b", type="function", name="get_weather")),
        event(piece(0, 'ty": "Paris"}')),
        event(piece(1, '{"city": "Oslo"}')),
        event({}, "tool_calls"),
    ]
    with FakeServer(events).running() as backend:
        chunks, stats = asyncio.run(collect(backend, ASK))
    assert calls_of(chunks) == [
        ToolCall("call_a", "get_weather", '{"city": "Paris"}'),
        ToolCall("call_b", "get_weather", '{"city": "Oslo"}'),
    ]
    assert [c for c in chunks if c.tool_calls] == [chunks[-1]]  # one chunk, before the final
    assert stats.finish_reason == "tool_calls"
    assert stats.tokens_estimated and stats.completion_tokens == 5  # one per delta, no usage
    assert stats.time_to_first_token_s is not None


def test_tools_and_tool_turns_are_sent_as_the_chat_api_takes_them() -> None:
    history = [
        *ASK,
        Message("assistant", "", tool_calls=(ToolCall("call_a", "get_weather", '{"city":"P"}'),)),
        Message("tool", "sunny, 21 C", tool_call_id="call_a"),
    ]
    settings = GenerationSettings(tools=(WEATHER,), tool_choice="auto", max_tokens=8)
    server = FakeServer([event({"content": "Sunny."}), event({}, "stop")])
    with server.running() as backend:
        chunks, _ = asyncio.run(collect(backend, history, settings))
    assert "".join(c.text for c in chunks) == "Sunny." and not calls_of(chunks)
    sent = server.requests[0]
    assert sent["tools"] == [WEATHER] and sent["tool_choice"] == "auto"
    assert sent["messages"][1] == {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {
                "id": "call_a",
                "type": "function",
                "function": {"name": "get_weather", "arguments": '{"city":"P"}'},
            }
        ],
    }
    assert sent["messages"][2] == {
        "role": "tool",
        "tool_call_id": "call_a",
        "content": "sunny, 21 C",
    }


def test_without_tools_the_request_is_what_it_always_was() -> None:
    server = FakeServer([event({"content": "Hi"}), event({}, "stop")])
    with server.running() as backend:
        asyncio.run(collect(backend, [Message("user", "Hello")], GenerationSettings(max_tokens=8)))
    sent = server.requests[0]
    assert "tools" not in sent and "tool_choice" not in sent
    assert sent["messages"] == [{"role": "user", "content": "Hello"}]


def test_llama_cpp_style_deltas_repeating_the_name_give_one_clean_call() -> None:
    # llama-cpp-python sends the legacy function_call beside tool_calls, with the name and
    # id repeated in every piece
    def both(arguments: str) -> dict[str, Any]:
        delta = piece(0, arguments, id="call__0_get_weather", type="function", name="get_weather")
        delta["function_call"] = {"name": "get_weather", "arguments": arguments}
        return event(delta)

    events = [both('{"city": '), both('"Paris"}'), event({}, "tool_calls")]
    with FakeServer(events).running() as backend:
        chunks, _ = asyncio.run(collect(backend, ASK))
    assert calls_of(chunks) == [ToolCall("call__0_get_weather", "get_weather", '{"city": "Paris"}')]


def test_a_legacy_function_call_alone_is_a_call_with_an_id() -> None:
    events = [
        event({"function_call": {"name": "get_weather", "arguments": '{"city"'}}),
        event({"function_call": {"arguments": ': "Oslo"}'}}),
        event({}, "function_call"),
    ]
    with FakeServer(events).running() as backend:
        chunks, _ = asyncio.run(collect(backend, ASK))
    assert calls_of(chunks) == [ToolCall("call_0", "get_weather", '{"city": "Oslo"}')]


@pytest.mark.parametrize(
    ("status", "message"),
    [
        (400, '"auto" tool choice requires --enable-auto-tool-choice and --tool-call-parser'),
        (400, "registry.ollama.ai/library/gemma:2b does not support tools"),
        (400, "Function calling is not enabled for this model"),
        (500, "tools param requires --jinja flag"),  # llama.cpp's llama-server
    ],
)
def test_a_server_that_rejects_tools_says_tools_unsupported(status: int, message: str) -> None:
    server = FakeServer((status, {"error": {"message": message, "type": "server_error"}}))
    with server.running() as backend, pytest.raises(BackendToolsUnsupported) as caught:
        asyncio.run(collect(backend, ASK))
    assert caught.value.reason == "tools_unsupported" and not caught.value.retryable
    assert "does not accept tools" in str(caught.value)
    assert "sk-fake-KEY-123" not in str(caught.value)
    assert len(server.requests) == 1  # not retried


def test_other_rejections_are_not_mistaken_for_missing_tools() -> None:
    # the same words without tools offered: an ordinary bad request
    server = FakeServer((400, {"error": {"message": "tools are not supported"}}))
    with server.running() as backend, pytest.raises(BackendError) as caught:
        asyncio.run(collect(backend, ASK, GenerationSettings(max_tokens=8)))
    assert not isinstance(caught.value, BackendToolsUnsupported)
    assert caught.value.reason == "bad_request"
    # a server failing while tools were offered is still a server failure
    server = FakeServer((500, {"error": {"message": "out of memory while parsing tools"}}))
    with server.running() as backend, pytest.raises(BackendError) as caught:
        asyncio.run(collect(backend, ASK))
    assert caught.value.reason == "server_error"
    # bad credentials stay an auth error when tools are offered
    server = FakeServer((401, {"error": {"message": "invalid api key for tool use"}}))
    with server.running() as backend, pytest.raises(BackendAuthError):
        asyncio.run(collect(backend, ASK))


# ------------------------------------------------------------------ scripted backend


def test_scripted_replies_may_call_tools_and_see_the_tools() -> None:
    seen: list[Any] = []

    def reply(messages: list[Message], tools: Any) -> Any:
        seen.append(tools)
        return {
            "text": "Let me look.",
            "tool_calls": [{"name": "get_weather", "arguments": {"city": "Oslo"}}],
        }

    chunks, stats = asyncio.run(collect(ScriptedBackend([reply]), ASK))
    assert seen == [(WEATHER,)]
    assert "".join(c.text for c in chunks) == "Let me look."
    assert calls_of(chunks) == [ToolCall("call_0", "get_weather", '{"city": "Oslo"}')]
    assert stats.finish_reason == "tool_calls"


def test_a_scripted_model_without_tools_refuses_offered_tools_only() -> None:
    backend = ScriptedBackend(["plain answer"], tools=False)
    with pytest.raises(BackendToolsUnsupported):
        asyncio.run(collect(backend, ASK))
    chunks, _ = asyncio.run(collect(backend, ASK, GenerationSettings()))
    assert "".join(c.text for c in chunks) == "plain answer"


def test_scripted_tool_calls_from_a_config_file() -> None:
    call = {"name": "get_weather", "arguments": '{"city": "Rome"}', "id": "x1"}
    cfg = ModelConfig(
        id="agent",
        backend="scripted",
        options={"replies": [{"tool_calls": [call]}], "tools": True},
    )
    chunks, _ = asyncio.run(collect(scripted_from_config(cfg, {}), ASK))
    assert calls_of(chunks) == [ToolCall("x1", "get_weather", '{"city": "Rome"}')]
    bad = cfg.model_copy(update={"options": {"replies": [{"tool_calls": [{"arguments": {}}]}]}})
    with pytest.raises(BackendUnavailable, match="tool_calls"):
        scripted_from_config(bad, {})
    no = cfg.model_copy(update={"options": {"replies": ["x"], "tools": "no"}})
    with pytest.raises(BackendUnavailable, match="options.tools"):
        scripted_from_config(no, {})


# ------------------------------------------------------------------ local GGUF


def test_local_gguf_says_it_cannot_choose_tool_calls(bundled_gguf: Path) -> None:
    from modelarena.backends.local_gguf import _POOL, LocalGGUFBackend

    backend = LocalGGUFBackend(bundled_gguf, n_ctx=512)
    loads = _POOL.loads
    with pytest.raises(BackendToolsUnsupported, match="cannot choose tool calls"):
        asyncio.run(collect(backend, ASK))
    assert _POOL.loads == loads  # refused before any model was loaded


# ------------------------------------------------------------------ the calls of a run


def test_model_calls_keep_the_tool_calls_in_the_result_and_the_cache(sqlite_url: str) -> None:
    from dataclasses import dataclass

    from scripted import scripted_arena

    from modelarena.runs.budget import Budget
    from modelarena.runs.cache import cache_entry, tool_calls_from_json
    from modelarena.runs.calls import ModelCalls

    call = {"name": "get_weather", "arguments": {"city": "Oslo"}}
    arena = scripted_arena(sqlite_url, {"deepseek-v3": [{"tool_calls": [call]}], "gpt-4o": ["Hi."]})

    @dataclass
    class Policy:
        concurrency: int = 2
        retries: int = 0
        backoff_s: float = 0.0

    async def go() -> tuple[Any, Any]:
        calls = ModelCalls(arena, Policy(), Budget(None), backend_for=arena.backend)
        try:
            agent = await calls.generate("deepseek-v3", ASK, TOOLS)
            plain = await calls.generate("gpt-4o", ASK, GenerationSettings(max_tokens=8))
            return agent, plain
        finally:
            await arena.aclose()

    agent, plain = asyncio.run(go())
    assert agent.tool_calls == (ToolCall("call_0", "get_weather", '{"city": "Oslo"}'),)
    assert plain.tool_calls == () and plain.text == "Hi."
    entry = cache_entry(
        "answer", "k", model="agent", prompt_hash="h", prompt_id="p", category="c", run="r",
        result=agent,
    )  # fmt: skip
    assert tool_calls_from_json(json.loads(json.dumps(entry))["tool_calls"]) == agent.tool_calls
    plain_entry = cache_entry(
        "answer", "k", model="plain", prompt_hash="h", prompt_id="p", category="c", run="r",
        result=plain,
    )  # fmt: skip
    assert "tool_calls" not in plain_entry  # a judge's entries are unchanged
