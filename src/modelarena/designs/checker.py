"""Check design answers: render the ones still to check and store what was measured.

Never on a request path: ``arena designs check`` (the CLI) runs it, in its own process,
with its own bounded pool (:class:`modelarena.designs.browser.Limits`)."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Callable
from dataclasses import dataclass

from modelarena.battles.categories import CATEGORIES
from modelarena.battles.design_sandbox import answer_document
from modelarena.designs.browser import CHROMIUM, Limits, Measured, Renderer, render_all
from modelarena.store import Store
from modelarena.store.design_checks import DesignCheckRecord, PendingDesign
from modelarena.store.rows import now

DESIGN_CATEGORIES = tuple(c.id for c in CATEGORIES.values() if c.design)


@dataclass(frozen=True)
class CheckRun:
    checked: int
    by_status: dict[str, int]


def record_of(item: PendingDesign, m: Measured) -> DesignCheckRecord:
    a11y = m.a11y if m.status == "ok" else {}
    return DesignCheckRecord(
        battle_id=item.battle_id,
        turn=item.turn,
        side=item.side,
        model=item.model,
        category=item.category,
        checked_at=now(),
        status=m.status,
        js_errors=m.js_errors,
        console_errors=m.console_errors,
        network_attempts=m.network_attempts,
        overflow=m.overflow,
        scroll_width=m.scroll_width,
        a11y_critical=a11y.get("critical"),
        a11y_serious=a11y.get("serious"),
        a11y_moderate=a11y.get("moderate"),
        a11y_minor=a11y.get("minor"),
        first_paint_ms=m.first_paint_ms,
        render_s=m.render_s,
        browser=m.browser[:64],
        detail=m.detail(),
    )


def pending(store: Store, *, battle_id: str | None = None) -> list[PendingDesign]:
    """Design answers to check: every one of ``battle_id``, else those never checked."""
    return store.design_checks.pending(DESIGN_CATEGORIES, battle_id=battle_id)


def check(
    store: Store,
    items: list[PendingDesign],
    limits: Limits | None = None,
    *,
    chromium: str = CHROMIUM,
    progress: Callable[[PendingDesign, Measured], None] | None = None,
) -> CheckRun:
    """Render ``items`` in the pool and store each check as it finishes."""
    by_status: dict[str, int] = {}

    def done(i: int, m: Measured) -> None:
        store.design_checks.save(record_of(items[i], m), m.screenshot)
        by_status[m.status] = by_status.get(m.status, 0) + 1
        if progress is not None:
            progress(items[i], m)

    documents = [answer_document(it.content, cut=it.cut) for it in items]
    asyncio.run(render_all(documents, limits or Limits(), chromium=chromium, on_done=done))
    return CheckRun(len(items), by_status)


class AnswerScreenshots:
    """Screenshots of design answers for a judge that looks instead of reading code:
    ``await shots(answer_text)`` is the PNG of the answer's document rendered in the
    sandbox at 390 px (None when it did not load in time or crashed). Each answer is
    rendered once however often it is judged. Use inside the renderer's ``async with``."""

    def __init__(self, renderer: Renderer) -> None:
        self.renderer = renderer
        self._shots: dict[str, asyncio.Task[bytes | None]] = {}

    async def __call__(self, answer_text: str) -> bytes | None:
        key = hashlib.sha256(answer_text.encode("utf-8", "surrogatepass")).hexdigest()
        if key not in self._shots:
            self._shots[key] = asyncio.ensure_future(self._shot(answer_text))
        return await self._shots[key]

    async def _shot(self, answer_text: str) -> bytes | None:
        m = await self.renderer.render(answer_document(answer_text))
        return m.screenshot if m.status == "ok" else None
