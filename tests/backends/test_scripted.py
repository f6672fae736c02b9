"""The scripted backend, registered and configured like any other."""

from __future__ import annotations

import pytest

from modelarena.backends import (
    BackendTimeout,
    BackendUnavailable,
    GenerationSettings,
    Message,
    backend_names,
    build_backend,
)
from modelarena.backends.scripted import ScriptedBackend
from modelarena.config import ModelConfig

HI = [Message("user", "hi")]


def scripted(**options: object) -> ModelConfig:
    return ModelConfig(id="s", backend="scripted", options=options)


async def test_a_config_builds_it_through_the_registry() -> None:
    assert {"openai", "gguf", "scripted"} <= set(backend_names())
    backend = build_backend(
        scripted(
            replies=[
                "one two",
                {"reasoning": "think ", "text": "answer"},
                {"error": "timeout", "message": "too slow"},
            ]
        )
    )
    assert isinstance(backend, ScriptedBackend)
    first = [c async for c in backend.stream(HI, GenerationSettings())]
    assert "".join(c.text for c in first) == "one two" and first[-1].final is not None
    second = [c async for c in backend.stream(HI, GenerationSettings())]
    assert [c.reasoning for c in second if c.reasoning] == ["think "]
    assert "".join(c.text for c in second) == "answer"
    with pytest.raises(BackendTimeout, match="too slow"):
        [c async for c in backend.stream(HI, GenerationSettings())]
    assert len(backend.calls) == 3


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({}, "needs options.replies"),
        ({"replies": []}, "needs options.replies"),
        ({"replies": [3]}, "a scripted reply is text"),
        ({"replies": [{"text": "x", "colour": "y"}]}, "a scripted reply is text"),
        ({"replies": ["x"], "delay_s": -1}, "delay_s"),
        ({"replies": ["x"], "speed": 2}, "not speed"),
    ],
)
def test_bad_options_name_the_model_and_the_option(
    options: dict[str, object], message: str
) -> None:
    with pytest.raises(BackendUnavailable, match=message) as info:
        build_backend(scripted(**options))
    assert "'s'" in str(info.value)
