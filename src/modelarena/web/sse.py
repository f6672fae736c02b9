"""Generating a turn in the background, and streaming it to the page as Server-Sent Events.

``POST /api/battles`` (or ``/turns``) starts a :class:`TurnRun`: a task that drives
:meth:`Arena.stream_turn` and appends anonymous events to a buffer. ``GET .../stream``
replays the buffer and follows it live, so a reload or a late connection loses nothing, and
a client that goes away does not stop the battle. One stream carries both sides' events.

Events (``event:`` name, JSON ``data:``), none of which names a model:

- ``start``      ``{turn, design, prompt}``
- ``delta``      ``{side, text, tokens, elapsed_s}``: answer text only. Reasoning sends no
  event at all before the vote (neither its text nor its timing nor its size: a side that
  streamed "thinking" would be a reasoning model); it is shown in the reveal.
- ``render``     ``{side, html}``: the chat answer so far as sanitised HTML (throttled)
- ``side_done``  ``{side, ok, tokens, elapsed_s, error, ...rendering}``: ``tokens`` without
  the reasoning, ``elapsed_s`` the answer's one stored duration (as the reveal shows it)
- ``done``       ``{status, can_vote, flagged, error}``
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from modelarena.arena import ArenaError
from modelarena.battles.categories import get_category
from modelarena.battles.records import BattleStatus
from modelarena.web.views import answer_view, error_message, rendered

if TYPE_CHECKING:
    from modelarena.arena import Arena

log = logging.getLogger(__name__)

RENDER_EVERY_S = 0.25
RENDER_CHARS = 4000  # past this, renders space out in proportion to the answer's length


def render_due(now: float, last: float, chars: int) -> bool:
    """Whether a chat answer of ``chars`` characters is due a fresh rendering. Each one
    sends the whole answer again, so a long answer is rendered less often: the bytes sent
    per second stay near ``RENDER_CHARS / RENDER_EVERY_S``, however long it grows."""
    return now - last >= RENDER_EVERY_S * max(1.0, chars / RENDER_CHARS)


KEEP_FINISHED_S = 600.0
KEEPALIVE_S = 15.0


@dataclass
class TurnRun:
    battle_id: str
    turn: int
    prompt: str
    events: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    done: bool = False
    changed: asyncio.Event = field(default_factory=asyncio.Event)
    task: asyncio.Task[None] | None = None

    def emit(self, name: str, data: dict[str, Any]) -> None:
        self.events.append((name, data))
        self.changed.set()
        self.changed = asyncio.Event()

    async def follow(self) -> AsyncIterator[tuple[str, dict[str, Any]]]:
        i = 0
        while True:
            while i < len(self.events):
                yield self.events[i]
                i += 1
            if self.done:
                return
            waiter = self.changed
            try:
                await asyncio.wait_for(waiter.wait(), KEEPALIVE_S)
            except TimeoutError:
                yield ("keepalive", {})


class TurnManager:
    """The turns being generated in this process, by battle id."""

    def __init__(self, arena: Arena, *, single_process: bool = False) -> None:
        self.arena = arena
        self.runs: dict[str, TurnRun] = {}
        # With several workers, a turn may be generating in another process: its stream
        # then waits for the stored answers. A lone process knows a pending turn it is not
        # running was lost (a restart).
        self.single_process = single_process

    def active(self, battle_id: str) -> bool:
        run = self.runs.get(battle_id)
        return run is not None and not run.done

    def start(self, battle_id: str, turn: int, prompt: str) -> TurnRun:
        run = TurnRun(battle_id, turn, prompt)
        self.runs[battle_id] = run
        run.task = asyncio.get_running_loop().create_task(self._drive(run))
        return run

    async def aclose(self) -> None:
        tasks = [r.task for r in self.runs.values() if r.task and not r.task.done()]
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _drive(self, run: TurnRun) -> None:
        arena = self.arena
        try:
            battle = arena.store.get_battle(run.battle_id)
            design = get_category(battle.category).design
            run.emit("start", {"turn": run.turn, "design": design, "prompt": run.prompt})
            started = time.perf_counter()
            text = {"a": [], "b": []}  # type: dict[str, list[str]]
            chars = {"a": 0, "b": 0}
            tokens = {"a": 0, "b": 0}
            last_render = {"a": 0.0, "b": 0.0}
            # the POST that started this run claimed the turn (a follow-up) or created it
            async for event in arena.stream_turn(run.battle_id, run.prompt, claimed=True):
                side = event.side
                elapsed = round(time.perf_counter() - started, 2)
                if event.answer is not None:
                    view = answer_view(battle.category, event.answer, battle.id) or {}
                    view.pop("content", None)
                    view.update(side=side, elapsed_s=view["time_s"])
                    view["tokens"] = view["tokens"] or tokens[side]
                    run.emit("side_done", view)
                    continue
                # Reasoning deltas (event.reasoning) send nothing before the vote.
                if event.text:
                    tokens[side] += 1
                    text[side].append(event.text)
                    chars[side] += len(event.text)
                    run.emit(
                        "delta",
                        {
                            "side": side,
                            "text": event.text,
                            "tokens": tokens[side],
                            "elapsed_s": elapsed,
                        },
                    )
                    now = time.perf_counter()
                    if not design and render_due(now, last_render[side], chars[side]):
                        last_render[side] = now
                        run.emit(
                            "render",
                            {"side": side, **rendered(battle.category, "".join(text[side]))},
                        )
            battle = arena.store.get_battle(run.battle_id)
            run.emit("done", _done_data(battle))
        except ArenaError as exc:
            run.emit(
                "done",
                {
                    "status": "failed",
                    "can_vote": False,
                    "flagged": False,
                    "error": str(exc).capitalize() + ".",
                    "code": exc.code,
                },
            )
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("turn %s of battle %s failed", run.turn, run.battle_id)
            try:
                arena.store.fail_battle(run.battle_id, "server_error", "the server failed")
            except Exception:  # noqa: BLE001
                log.exception("cannot mark battle %s failed", run.battle_id)
            run.emit(
                "done",
                {
                    "status": "failed",
                    "can_vote": False,
                    "flagged": False,
                    "error": "Something went wrong on the server.",
                    "code": "server_error",
                },
            )
        finally:
            run.done = True
            run.changed.set()
            loop = asyncio.get_running_loop()
            loop.call_later(KEEP_FINISHED_S, self._forget, run)

    def _forget(self, run: TurnRun) -> None:
        if self.runs.get(run.battle_id) is run:
            del self.runs[run.battle_id]

    async def events(self, battle_id: str) -> AsyncIterator[tuple[str, dict[str, Any]]]:
        run = self.runs.get(battle_id)
        if run is not None:
            async for item in run.follow():
                yield item
            return
        # Not generated here (or long finished): replay the stored last turn.
        async for item in self._replay(battle_id):
            yield item

    async def _replay(self, battle_id: str) -> AsyncIterator[tuple[str, dict[str, Any]]]:
        battle = self.arena.battle(battle_id)  # a turn lost long ago is failed by now
        if battle.status is BattleStatus.PENDING and not self.single_process:
            # Being generated by another worker (or lost): wait for its stored answers.
            yield ("waiting", {"message": "generating"})
            limit = self.arena.turn_limit_s((battle.model_a, battle.model_b))
            deadline = time.monotonic() + limit
            last_ping = time.monotonic()
            while battle.status is BattleStatus.PENDING and time.monotonic() < deadline:
                run = self.runs.get(battle_id)
                if run is not None:  # started here after all
                    async for item in run.follow():
                        yield item
                    return
                await asyncio.sleep(0.5)
                if time.monotonic() - last_ping > KEEPALIVE_S:
                    last_ping = time.monotonic()
                    yield ("keepalive", {})
                battle = self.arena.store.get_battle(battle_id)
            if battle.status is BattleStatus.PENDING:  # no answers within any turn's time
                battle = self.arena.battle(battle_id)
        design = get_category(battle.category).design
        turn = max(battle.turns - 1, 0)
        last = battle.answer(turn, "a") or battle.answer(turn, "b")
        prompt = last.prompt if last is not None else ""
        yield ("start", {"turn": turn, "design": design, "prompt": prompt, "replay": True})
        for side in "ab":
            answer = battle.answer(turn, side)
            if answer is None:
                continue
            view = answer_view(battle.category, answer, battle.id) or {}
            view.pop("content", None)
            view.update(side=side, elapsed_s=view["time_s"])
            yield (
                "delta",
                {
                    "side": side,
                    "text": answer.content,
                    "tokens": view["tokens"] or 0,
                    "elapsed_s": view["time_s"],
                },
            )
            yield ("side_done", view)
        if battle.status is BattleStatus.PENDING:
            yield (
                "done",
                {
                    "status": "failed",
                    "can_vote": False,
                    "flagged": False,
                    "code": "lost",
                    "error": "This turn is not being generated any more (the server "
                    "restarted). Start a new battle.",
                },
            )
            return
        yield ("done", _done_data(battle))


def _done_data(battle: Any) -> dict[str, Any]:
    failed = battle.status is BattleStatus.FAILED
    return {
        "status": battle.status.value,
        "can_vote": battle.complete and battle.anonymous,
        "flagged": battle.identity_leak is not None,
        "error": error_message(battle.failure_reason) if failed else None,
    }


def format_sse(name: str, data: dict[str, Any]) -> str:
    if name == "keepalive":
        return ": keepalive\n\n"
    return f"event: {name}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n"
