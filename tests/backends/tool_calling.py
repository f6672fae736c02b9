"""What the backend tool-calling tests share: the tool they offer (an OpenAI
chat-completions function) and a stream read into its chunks, its stats and its calls."""

from __future__ import annotations

from typing import Any

from modelarena.backends.base import (
    AnswerStats,
    Backend,
    Chunk,
    GenerationSettings,
    Message,
    ToolCall,
)

WEATHER: dict[str, Any] = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "The weather in a city.",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
        },
    },
}
TOOLS = GenerationSettings(max_tokens=64, timeout_s=20.0, tools=(WEATHER,))


async def collect(
    backend: Backend,
    messages: list[Message],
    settings: GenerationSettings = TOOLS,
) -> tuple[list[Chunk], AnswerStats]:
    """The answer's chunks (without the final one) and its stats; the backend is closed."""
    try:
        chunks = [c async for c in backend.stream(messages, settings)]
    finally:
        await backend.aclose()
    final = chunks[-1].final
    assert final is not None
    return chunks[:-1], final


def calls_of(chunks: list[Chunk]) -> list[ToolCall]:
    return [call for chunk in chunks for call in chunk.tool_calls]
