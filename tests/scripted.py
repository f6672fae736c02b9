"""Helpers to build an Arena whose contestants are scripted (no model needed)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from modelarena.arena import Arena
from modelarena.backends.base import BackendError
from modelarena.backends.scripted import Reply
from modelarena.config import ModelConfig, Settings
from modelarena.store import Store


def scripted_model(model_id: str, replies: Sequence[Reply], delay_s: float = 0.0) -> ModelConfig:
    """A ``backend = "scripted"`` contestant, as a config file would declare it."""

    def plain(reply: Reply) -> str | Mapping[str, str]:
        if isinstance(reply, BackendError):
            return {"error": reply.reason, "message": str(reply)}
        if callable(reply):
            raise TypeError("a configured scripted model takes plain replies, not functions")
        return reply

    options: dict[str, Any] = {"replies": [plain(r) for r in replies], "delay_s": delay_s}
    return ModelConfig(id=model_id, catalog=model_id, backend="scripted", options=options)


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
    models = [scripted_model(m, script) for m, script in replies.items()]
    return Arena(
        Settings(database_url=db_url, models=models, **settings),  # type: ignore[arg-type]
        Store.open(db_url),
    )


def backdate_turn(arena: Arena, battle_id: str, seconds: float) -> None:
    """As if the battle's pending turn began ``seconds`` ago (then its process died)."""
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import update

    from modelarena.store.schema import battles

    when = datetime.now(UTC) - timedelta(seconds=seconds)
    with arena.store.engine.begin() as conn:
        conn.execute(
            update(battles)
            .where(battles.c.id == battle_id)
            .values(created_at=when, turn_started_at=when)
        )
