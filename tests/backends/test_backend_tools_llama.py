"""Tool calling with the real bundled model: through llama-cpp-python in-process (a call
forced by ``tool_choice``, constrained by a grammar) and through a real ``llama_cpp.server``
(the tools offered are accepted; a forced call's streamed pieces, which repeat the name and
carry the legacy ``function_call`` too, are gathered into one clean call)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from fixtures_llama import LlamaServer
from tool_calling import WEATHER, calls_of, collect

from modelarena.backends.base import Backend, GenerationSettings, Message, ToolCall
from modelarena.backends.local_gguf import LocalGGUFBackend
from modelarena.backends.openai_compat import OpenAICompatBackend

pytestmark = pytest.mark.llama

ASK = [Message("user", "What is the weather in Paris?")]
FORCED = GenerationSettings(
    max_tokens=48,
    temperature=0.0,
    seed=1,
    timeout_s=120.0,
    tools=(WEATHER,),
    tool_choice={"type": "function", "function": {"name": "get_weather"}},
)


async def forced_calls(
    backend: Backend, settings: GenerationSettings
) -> tuple[list[ToolCall], str]:
    chunks, stats = await collect(backend, ASK, settings)
    return calls_of(chunks), str(stats.finish_reason)


def check_forced(calls: list[ToolCall], finish: str) -> None:
    assert len(calls) == 1 and calls[0].name == "get_weather" and calls[0].id
    if finish != "length":  # a grammar-constrained answer that was not cut is valid JSON
        assert isinstance(json.loads(calls[0].arguments), dict)
    else:
        assert calls[0].arguments.startswith("{")


def test_local_gguf_makes_a_forced_call(bundled_gguf: Path) -> None:
    backend = LocalGGUFBackend(bundled_gguf, n_ctx=1024)
    calls, finish = asyncio.run(forced_calls(backend, FORCED))
    check_forced(calls, finish)


def test_llama_server_forced_call_is_gathered_whole(llama_server: LlamaServer) -> None:
    backend = OpenAICompatBackend(base_url=llama_server.base_url, model=llama_server.model_name)
    calls, finish = asyncio.run(forced_calls(backend, FORCED))
    check_forced(calls, finish)


def test_llama_server_accepts_offered_tools_and_the_answer_is_kept_as_it_is(
    llama_server: LlamaServer,
) -> None:
    """SmolLM2's chat template has no tools, so the server takes them and the model answers
    in words; whatever it does is recorded, and a call, if any, names an offered tool."""
    backend = OpenAICompatBackend(base_url=llama_server.base_url, model=llama_server.model_name)
    settings = GenerationSettings(max_tokens=24, temperature=0.0, seed=1, tools=(WEATHER,))
    calls, finish = asyncio.run(forced_calls(backend, settings))
    assert finish in ("stop", "length", "tool_calls")
    assert all(c.name == "get_weather" for c in calls)
    assert (finish == "tool_calls") == bool(calls)
