"""A scripted model: replies from a list, streamed word by word. For tests and demos only.

It is a real :class:`Backend` (the same code path as every other), so tests of battles,
votes and pages can run without a model; it can also fail on purpose.
"""

from __future__ import annotations

import asyncio
import itertools
import re
from collections.abc import AsyncIterator, Callable, Sequence

from modelarena.backends.base import AnswerStats, BackendError, Chunk, GenerationSettings, Message

Reply = str | Callable[[list[Message]], str] | BackendError


class ScriptedBackend:
    def __init__(self, replies: Sequence[Reply], *, delay_s: float = 0.0) -> None:
        if not replies:
            raise ValueError("a scripted backend needs at least one reply")
        self._replies = itertools.cycle(list(replies))
        self.delay_s = delay_s
        self.calls: list[list[Message]] = []

    async def stream(
        self, messages: list[Message], settings: GenerationSettings
    ) -> AsyncIterator[Chunk]:
        self.calls.append(messages)
        reply = next(self._replies)
        if isinstance(reply, BackendError):
            raise reply
        text = reply(messages) if callable(reply) else reply
        pieces = re.findall(r"\S+\s*|\s+", text) or [""]
        pieces = pieces[: max(1, settings.max_tokens)]
        for piece in pieces:
            if self.delay_s:
                await asyncio.sleep(self.delay_s)
            yield Chunk(text=piece)
        yield Chunk(
            final=AnswerStats(
                prompt_tokens=sum(len(m.content.split()) for m in messages),
                completion_tokens=len(pieces),
                time_to_first_token_s=self.delay_s,
                total_time_s=self.delay_s * len(pieces),
                finish_reason="stop",
            )
        )

    async def aclose(self) -> None:
        return None
