"""The cache of fits shared by the API and the pages (web/boards.py): keyed by what changes a
fit, one computation for concurrent identical requests, fits off the event loop and bounded."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pytest

from modelarena import ratings
from modelarena.arena import Arena
from modelarena.battles.records import Verdict
from modelarena.store.bulk import ImportedBattle
from modelarena.web.boards import rating_histories

MODELS = ("deepseek-v3", "gpt-4o", "claude-3.5-sonnet")
DAYS = 3


def seed(arena: Arena, *, days: int = DAYS, categories: tuple[str, ...] = ("chat",)) -> None:
    """Votes among three catalog models on ``days`` days, in each of ``categories``."""
    start = datetime(2026, 1, 1, 12, tzinfo=UTC)
    rows = []
    k = 0
    for day in range(days):
        for category in categories:
            for i, a in enumerate(MODELS):
                for b in MODELS[i + 1 :]:
                    for verdict in (Verdict.A, Verdict.A, Verdict.B, Verdict.TIE):
                        k += 1
                        rows.append(
                            ImportedBattle(
                                model_a=a,
                                model_b=b,
                                verdict=verdict,
                                category=category,
                                created_at=start + timedelta(days=day),
                                external_id=f"seed-{k}",
                                prompt=f"question {k}",
                                answer_a="one answer",
                                answer_b="another answer",
                            )
                        )
    arena.store.import_battles(rows)


class Fits:
    """Counts Bradley-Terry fits (the board's and the history's), how many run at once, and
    can hold them until released."""

    def __init__(self, delay_s: float = 0.0) -> None:
        self.calls = 0
        self.running = 0
        self.most_at_once = 0
        self.delay_s = delay_s
        self.entered = threading.Event()
        self.release: threading.Event | None = None
        self._lock = threading.Lock()
        self._fit = ratings.fit_bradley_terry

    def __call__(self, *args: Any, **kw: Any) -> Any:
        with self._lock:
            self.calls += 1
            self.running += 1
            self.most_at_once = max(self.most_at_once, self.running)
        try:
            self.entered.set()
            if self.release is not None:
                self.release.wait(10)
            time.sleep(self.delay_s)
            return self._fit(*args, **kw)
        finally:
            with self._lock:
                self.running -= 1


@pytest.fixture
def fits(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., Fits]]:
    def install(delay_s: float = 0.0) -> Fits:
        counter = Fits(delay_s)
        monkeypatch.setattr(ratings, "fit_bradley_terry", counter)
        # fits of one connected group of models (the histories) go through this helper
        monkeypatch.setattr("modelarena.ratings.connected.fit_bradley_terry", counter)
        return counter

    yield install


async def test_concurrent_board_and_model_requests_share_one_fit(
    scripted: Any, api_client: Any, fits: Callable[..., Fits]
) -> None:
    arena = scripted()
    seed(arena)
    client = await api_client(arena)
    counter = fits(delay_s=0.05)  # slow enough that the requests overlap
    urls = [f"/api/models/{MODELS[k % 3]}" for k in range(8)]
    urls += [f"/models/{MODELS[k % 3]}" for k in range(4)]
    urls += [f"/api/leaderboard?min_votes={k}" for k in range(4)]  # display-only filters
    urls += ["/leaderboard?country=US", "/leaderboard?open=true", "/models", "/api/leaderboard"]
    responses = await asyncio.gather(*(client.get(u) for u in urls))
    assert [r.status_code for r in responses] == [200] * len(urls)
    # one fit of the board, and one per day with votes for every model's history
    assert counter.calls == 1 + DAYS
    model = responses[0].json()
    assert [p["votes"] for p in model["history"]] == [8, 16, 24]
    assert model["rating"]["model"] == MODELS[0]
    # the same votes again: nothing is refitted
    again = await asyncio.gather(*(client.get(u) for u in urls))
    assert all(r.status_code == 200 for r in again) and counter.calls == 1 + DAYS


async def test_a_new_vote_refits_and_display_filters_do_not(
    scripted: Any, api_client: Any, fits: Callable[..., Fits]
) -> None:
    arena = scripted()
    seed(arena)
    client = await api_client(arena)
    counter = fits()
    before = (await client.get("/api/leaderboard")).json()
    assert counter.calls == 1
    for query in ("min_votes=20", "country=CN", "open=false", "license=proprietary"):
        assert (await client.get(f"/api/leaderboard?{query}")).status_code == 200
    assert counter.calls == 1
    # more display filters than the cache holds boards evict boards, not the fit or the
    # histories (which a model page would otherwise compute again)
    boards = client.app.state.ctx.boards
    assert (await client.get(f"/api/models/{MODELS[0]}")).status_code == 200
    fits_so_far = counter.calls
    for k in range(boards.size + 10):
        assert (await client.get(f"/api/leaderboard?min_votes={k}")).status_code == 200
    boards.history_refresh_s = 0.0
    assert (await client.get(f"/api/models/{MODELS[1]}")).status_code == 200
    assert counter.calls == fits_so_far and boards.computed["history"] == 1
    counter.calls = 1
    arena.store.import_battles(
        [ImportedBattle("gpt-4o", "deepseek-v3", Verdict.A, external_id="new")]
    )
    after = (await client.get("/api/leaderboard?min_votes=20")).json()
    assert after["total_votes"] == before["total_votes"] + 1
    assert counter.calls == 2
    # style control and categories are other fits
    assert (await client.get("/api/leaderboard?category=chat")).status_code == 200
    assert counter.calls == 3


async def test_histories_follow_new_votes_at_most_every_refresh_interval(
    scripted: Any, api_client: Any
) -> None:
    arena = scripted()
    seed(arena)
    client = await api_client(arena)
    boards = client.app.state.ctx.boards

    async def last_votes() -> int:
        history = (await client.get(f"/api/models/{MODELS[0]}")).json()["history"]
        return int(history[-1]["votes"])

    assert await last_votes() == 8 * DAYS
    new = ImportedBattle(MODELS[0], MODELS[1], Verdict.A, external_id="later")
    arena.store.import_battles([new])
    assert await last_votes() == 8 * DAYS  # within the refresh interval: the last history
    assert boards.computed["history"] == 1
    boards.history_refresh_s = 0.0
    assert await last_votes() == 8 * DAYS + 1
    assert await last_votes() == 8 * DAYS + 1 and boards.computed["history"] == 2


async def test_fits_run_off_the_event_loop_and_at_most_two_at_once(
    scripted: Any, api_client: Any, fits: Callable[..., Fits]
) -> None:
    arena = scripted()
    seed(arena, days=1, categories=("chat", "website", "game", "svg"))
    client = await api_client(arena)
    counter = fits()
    counter.release = threading.Event()
    first = asyncio.create_task(client.get("/api/leaderboard?category=chat"))
    assert await asyncio.to_thread(counter.entered.wait, 10)
    # a fit is running (and held): the event loop still answers other requests
    health = await client.get("/api/health")
    assert health.status_code == 200 and not first.done()
    others = [
        asyncio.create_task(client.get(f"/api/leaderboard?category={c}"))
        for c in ("website", "game", "svg", "chat,svg")
    ]
    await asyncio.sleep(0.3)
    assert counter.running <= 2
    counter.release.set()
    done = await asyncio.gather(first, *others)
    assert [r.status_code for r in done] == [200] * 5
    assert counter.calls == 5 and counter.most_at_once == 2


def test_histories_match_a_refit_per_model_and_day(sqlite_url: str) -> None:
    from scripted import scripted_arena

    arena = scripted_arena(sqlite_url)
    seed(arena)
    arrays = arena.store.vote_arrays()
    histories = rating_histories(arrays)
    assert set(histories) == set(MODELS)
    for model in MODELS:
        points = histories[model]
        assert len(points) == DAYS
        target = arrays.models.index(model)
        for point in points:
            day = int(np.datetime64(point["day"], "D").astype(np.int64))
            upto = arrays.day <= day
            counts = ratings.aggregate(
                arrays.model_a[upto], arrays.model_b[upto], arrays.outcome[upto], len(MODELS)
            )
            fit = ratings.fit_bradley_terry(counts)
            assert point["rating"] == round(float(fit.ratings[target]), 1)
    assert rating_histories(arrays, max_days=2)[MODELS[0]] == histories[MODELS[0]][-2:]
