"""The identity-word filter: answers that name a model or lab give the battle away.

Modelled on LMArena's filter (a list of company and model names). A battle whose answer
contains one of these words keeps its votes, but they are stored with reason
``identity_leak`` and not counted.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

IDENTITY_WORDS = (
    "openai",
    "chatgpt",
    "gpt-3",
    "gpt-4",
    "gpt-5",
    "gpt-oss",
    "anthropic",
    "claude",
    "google",
    "deepmind",
    "gemini",
    "gemma",
    "bard",
    "palm",
    "meta ai",
    "llama",
    "mistral",
    "mixtral",
    "deepseek",
    "qwen",
    "tongyi",
    "alibaba",
    "moonshot",
    "kimi",
    "zhipu",
    "chatglm",
    "glm-4",
    "minimax",
    "ernie",
    "baidu",
    "hunyuan",
    "tencent",
    "stepfun",
    "xai",
    "grok",
    "microsoft",
    "phi-4",
    "olmo",
    "allen institute",
    "smollm",
    "hugging face",
    "huggingface",
    "cohere",
    "command r",
    "vicuna",
    "yi-",
    "01.ai",
    "nvidia",
    "nemotron",
)


def _pattern(words: Iterable[str]) -> re.Pattern[str]:
    alternatives = sorted({w.lower() for w in words if w.strip()}, key=len, reverse=True)
    body = "|".join(re.escape(w) for w in alternatives)
    return re.compile(rf"(?<![a-z0-9])(?:{body})(?![a-z])", re.I)


_DEFAULT = _pattern(IDENTITY_WORDS)


def find_identity_leak(text: str, extra_words: Iterable[str] = ()) -> str | None:
    """The first identity word found in ``text`` (lower-cased), or None."""
    extra = [w for w in extra_words if len(w) >= 3]
    pattern = _pattern((*IDENTITY_WORDS, *extra)) if extra else _DEFAULT
    match = pattern.search(text)
    return match.group(0).lower() if match else None
