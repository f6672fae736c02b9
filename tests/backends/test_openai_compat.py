"""OpenAICompatBackend: faults against a scripted endpoint, answers from real llama.cpp."""

from __future__ import annotations

import time

import pytest
from fixtures_llama import LlamaServer, ScriptedOpenAI, free_port

from modelarena.backends import (
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
from modelarena.backends.openai_compat import OpenAICompatBackend

HELLO = [Message("user", "Say hello.")]
QUICK = GenerationSettings(max_tokens=24, temperature=0.0, seed=1, timeout_s=30.0)


async def collect(
    backend: OpenAICompatBackend,
    messages: list[Message] = HELLO,
    settings: GenerationSettings = QUICK,
) -> tuple[list[Chunk], AnswerStats]:
    chunks = [chunk async for chunk in backend.stream(messages, settings)]
    final = chunks[-1].final
    assert final is not None, "the last chunk must carry the stats"
    assert all(c.final is None for c in chunks[:-1]), "only the last chunk is final"
    return chunks[:-1], final


# ------------------------------------------------------------------ scripted faults


async def test_scripted_answer_sends_usage_request_and_reads_usage(
    scripted_openai: ScriptedOpenAI,
) -> None:
    backend, script = scripted_openai.backend(scripted_openai.answer("Hello there friend"))
    chunks, stats = await collect(backend)
    assert "".join(c.text for c in chunks) == "Hello there friend"
    assert (stats.prompt_tokens, stats.completion_tokens) == (7, 3)
    assert stats.finish_reason == "stop" and not stats.tokens_estimated
    sent = script.sent_json()
    assert sent["stream"] is True and sent["stream_options"] == {"include_usage": True}
    assert sent["max_tokens"] == 24 and sent["temperature"] == 0.0 and sent["seed"] == 1
    assert script.requests[0].headers["authorization"] == f"Bearer {scripted_openai.api_key}"
    await backend.aclose()


async def test_server_without_usage_gets_estimated_counts(
    scripted_openai: ScriptedOpenAI,
) -> None:
    backend, _ = scripted_openai.backend(scripted_openai.answer("one two three four", usage=False))
    _, stats = await collect(backend)
    assert stats.tokens_estimated and stats.completion_tokens == 4
    assert stats.prompt_tokens is None


async def test_stream_options_rejected_is_retried_without(
    scripted_openai: ScriptedOpenAI,
) -> None:
    backend, script = scripted_openai.backend(
        scripted_openai.status(400, "Unrecognized request argument: stream_options"),
        scripted_openai.answer("fine", usage=False),
    )
    chunks, _ = await collect(backend)
    assert [c.text for c in chunks] == ["fine"]
    assert "stream_options" not in script.sent_json(-1)


async def test_timeout_before_answer(scripted_openai: ScriptedOpenAI) -> None:
    backend, _ = scripted_openai.backend(scripted_openai.timeout())
    with pytest.raises(BackendTimeout):
        await collect(backend)


async def test_silent_server_times_out_at_the_deadline(scripted_openai: ScriptedOpenAI) -> None:
    backend, _ = scripted_openai.backend(scripted_openai.hang(30.0))
    started = time.perf_counter()
    with pytest.raises(BackendTimeout):
        await collect(backend, settings=GenerationSettings(timeout_s=0.3))
    assert time.perf_counter() - started < 2.0


async def test_stalled_stream_times_out_at_the_deadline(scripted_openai: ScriptedOpenAI) -> None:
    chunk = scripted_openai.chunk
    backend, _ = scripted_openai.backend(
        scripted_openai.sse([chunk("Hel"), chunk("lo", finish_reason="stop")], stall_s=5.0)
    )
    settings = GenerationSettings(max_tokens=24, timeout_s=0.3)
    seen: list[str] = []
    with pytest.raises(BackendTimeout):
        async for c in backend.stream(HELLO, settings):
            seen.append(c.text)
    assert seen == ["Hel"]


async def test_401_is_an_auth_error_without_the_key(scripted_openai: ScriptedOpenAI) -> None:
    # A server that echoes the key back must not get it into our message.
    leak = f"Incorrect API key provided: {scripted_openai.api_key}"
    backend, _ = scripted_openai.backend(scripted_openai.status(401, leak))
    with pytest.raises(BackendAuthError) as caught:
        await collect(backend)
    assert scripted_openai.api_key not in str(caught.value)
    assert not caught.value.retryable and caught.value.reason == "auth"


async def test_403_is_an_auth_error(scripted_openai: ScriptedOpenAI) -> None:
    backend, _ = scripted_openai.backend(scripted_openai.status(403))
    with pytest.raises(BackendAuthError):
        await collect(backend)


async def test_429_is_rate_limited(scripted_openai: ScriptedOpenAI) -> None:
    backend, _ = scripted_openai.backend(scripted_openai.status(429, "slow down"))
    with pytest.raises(BackendRateLimited) as caught:
        await collect(backend)
    assert caught.value.retryable


async def test_500_is_a_server_error(scripted_openai: ScriptedOpenAI) -> None:
    backend, _ = scripted_openai.backend(scripted_openai.status(500, "boom"))
    with pytest.raises(BackendServerError, match="boom") as caught:
        await collect(backend)
    assert caught.value.reason == "server_error"


@pytest.mark.parametrize("code", [400, 422, 500])
async def test_server_words_are_shown_without_key_or_model(
    scripted_openai: ScriptedOpenAI, code: int
) -> None:
    # Servers quote the request back; the quote must not reveal the key or the model.
    echo = f"bad request for {scripted_openai.model} with key {scripted_openai.api_key}"
    backend, _ = scripted_openai.backend(scripted_openai.status(code, echo))
    with pytest.raises(BackendError, match="bad request for") as caught:
        await collect(backend)
    assert scripted_openai.api_key not in str(caught.value)
    assert scripted_openai.model not in str(caught.value)


async def test_404_unknown_model_is_unavailable_and_does_not_name_it(
    scripted_openai: ScriptedOpenAI,
) -> None:
    message = f"The model `{scripted_openai.model}` does not exist"
    backend, _ = scripted_openai.backend(scripted_openai.status(404, message))
    with pytest.raises(BackendUnavailable) as caught:
        await collect(backend)
    assert scripted_openai.model not in str(caught.value)


async def test_connection_refused_is_a_clear_error(scripted_openai: ScriptedOpenAI) -> None:
    backend, _ = scripted_openai.backend(scripted_openai.refused())
    with pytest.raises(BackendServerError, match="could not connect") as caught:
        await collect(backend)
    assert caught.value.reason == "unreachable"


async def test_stream_cut_mid_answer_is_bad_stream(scripted_openai: ScriptedOpenAI) -> None:
    chunk = scripted_openai.chunk
    backend, _ = scripted_openai.backend(
        scripted_openai.sse([chunk("Hello"), chunk(" wor")], cut=True)
    )
    seen: list[str] = []
    with pytest.raises(BackendBadStream):
        async for c in backend.stream(HELLO, QUICK):
            seen.append(c.text)
    assert seen == ["Hello", " wor"]


async def test_stream_ending_without_finish_is_bad_stream(
    scripted_openai: ScriptedOpenAI,
) -> None:
    chunk = scripted_openai.chunk
    backend, _ = scripted_openai.backend(scripted_openai.sse([chunk("Hello")], done=False))
    with pytest.raises(BackendBadStream, match="before the answer was finished"):
        await collect(backend)


@pytest.mark.parametrize(
    "bad",
    [
        '{"choices": [{"index": 0, "delta": {"content": "Hi"',
        '{"choices": "oops"}',
        '{"choices": [{"index": 0, "delta": {"content": 42}, "finish_reason": null}]}',
    ],
    ids=["truncated-json", "choices-not-a-list", "content-not-text"],
)
async def test_malformed_chunk_is_bad_stream(scripted_openai: ScriptedOpenAI, bad: str) -> None:
    chunk = scripted_openai.chunk
    backend, _ = scripted_openai.backend(
        scripted_openai.sse([chunk("Hi"), bad, chunk(finish_reason="stop")])
    )
    with pytest.raises(BackendBadStream):
        await collect(backend)


async def test_error_event_inside_stream_is_a_server_error(
    scripted_openai: ScriptedOpenAI,
) -> None:
    backend, _ = scripted_openai.backend(
        scripted_openai.sse([scripted_openai.chunk("Hi"), {"error": {"message": "overloaded"}}])
    )
    with pytest.raises(BackendServerError, match="overloaded"):
        await collect(backend)


async def test_reasoning_is_kept_apart_from_the_answer(scripted_openai: ScriptedOpenAI) -> None:
    chunk = scripted_openai.chunk
    usage = {
        "prompt_tokens": 5,
        "completion_tokens": 9,
        "total_tokens": 14,
        "completion_tokens_details": {"reasoning_tokens": 6},
    }
    backend, _ = scripted_openai.backend(
        scripted_openai.sse(
            [
                chunk(reasoning_content="Let me think. "),
                chunk(reasoning="OpenRouter style."),  # OpenRouter's field name
                chunk("The answer"),
                chunk(" is 4.", finish_reason="stop"),
                chunk(usage=usage),
            ]
        )
    )
    chunks, stats = await collect(backend)
    assert "".join(c.text for c in chunks) == "The answer is 4."
    assert "".join(c.reasoning for c in chunks) == "Let me think. OpenRouter style."
    assert stats.reasoning_tokens == 6 and stats.completion_tokens == 9
    assert stats.time_to_first_token_s is not None
    assert stats.time_to_first_token_s <= stats.total_time_s


# ------------------------------------------------------------------ real llama.cpp server


@pytest.mark.llama
async def test_real_server_streams_a_short_answer(llama_server: LlamaServer) -> None:
    backend = OpenAICompatBackend(base_url=llama_server.base_url, model=llama_server.model_name)
    chunks, stats = await collect(backend)
    await backend.aclose()
    assert len(chunks) > 1 and "".join(c.text for c in chunks).strip()
    assert stats.completion_tokens is not None and 0 < stats.completion_tokens <= 24
    assert stats.time_to_first_token_s is not None
    assert 0 < stats.time_to_first_token_s <= stats.total_time_s
    assert stats.finish_reason in {"stop", "length"}


@pytest.mark.llama
async def test_real_server_system_prompt_and_multi_turn(llama_server: LlamaServer) -> None:
    backend = OpenAICompatBackend(base_url=llama_server.base_url, model=llama_server.model_name)
    conversation = [
        Message("system", "You are a helpful assistant. Answer in one short sentence."),
        Message("user", "My name is Ada."),
        Message("assistant", "Nice to meet you, Ada."),
        Message("user", "What is my name?"),
    ]
    short = GenerationSettings(max_tokens=12, temperature=0.0, seed=1)
    chunks, stats = await collect(backend, conversation, short)
    alone, _ = await collect(backend, conversation[-1:], short)
    await backend.aclose()
    answer = "".join(c.text for c in chunks)
    assert answer.strip() and stats.finish_reason in {"stop", "length"}
    # Greedy decoding: the same last question with and without the earlier turns can only
    # be answered differently if the system prompt and history reached the chat template.
    assert answer != "".join(c.text for c in alone)
    # llama_cpp.server ignores include_usage: the counts are ours, and say so.
    assert stats.tokens_estimated or stats.prompt_tokens


@pytest.mark.llama
async def test_real_server_wrong_port_is_a_clear_error(llama_server: LlamaServer) -> None:
    backend = OpenAICompatBackend(
        base_url=f"http://127.0.0.1:{free_port()}/v1",
        model=llama_server.model_name,
        max_retries=0,
    )
    with pytest.raises(BackendError, match="could not connect"):
        await collect(backend)
    await backend.aclose()
