"""Helpers to build an Arena whose contestants are scripted (no model needed)."""

from __future__ import annotations

from collections.abc import Sequence

from modelarena.arena import Arena
from modelarena.backends.scripted import Reply, ScriptedBackend
from modelarena.config import ModelConfig, Settings
from modelarena.store import Store


def scripted_arena(
    db_url: str,
    replies: dict[str, Sequence[Reply]] | None = None,
    **settings: object,
) -> Arena:
    """Two or more contestants backed by scripted replies, on a real store."""
    replies = replies or {
        "deepseek-v3": ["Paris is the capital of France."],
        "gpt-4o": ["The capital of France is **Paris**.\n\n- fact one\n- fact two"],
    }
    models = [
        ModelConfig(id=m, catalog=m, backend="openai", base_url="http://127.0.0.1:9/v1", model=m)
        for m in replies
    ]
    arena = Arena(
        Settings(database_url=db_url, models=models, **settings),  # type: ignore[arg-type]
        Store.open(db_url),
    )
    for model_id, script in replies.items():
        arena._backends[model_id] = ScriptedBackend(script)
    return arena
