"""Rate limits (memory and the real Redis) and caps: a bot above them gets no counted vote."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from integrity_helpers import complete_battle
from scripted import scripted_arena

from modelarena.arena import Arena
from modelarena.integrity.ratelimit import Limits, RateLimited, RateLimiter
from modelarena.store import Store

PAIR = ("deepseek-v3", "gpt-4o")


@pytest.fixture(params=["memory", "redis"])
def storage(request: pytest.FixtureRequest) -> str | None:
    """No URL (in memory), or the real Redis (one script call per request)."""
    if request.param == "memory":
        return None
    url: str = request.getfixturevalue("redis_url")
    return url


def test_limits_per_session_and_per_ip(storage: str | None) -> None:
    limiter = RateLimiter(Limits(battles_per_minute=2, votes_per_day=3), storage)
    for _ in range(3):
        limiter.hit_vote("s1", "10.0.0.1")
    with pytest.raises(RateLimited) as err:
        limiter.hit_vote("s1", "10.0.0.2")  # the session is spent, whatever the address
    assert err.value.retry_after_s > 0 and "3 per 1 day" in str(err.value)
    with pytest.raises(RateLimited):
        limiter.hit_vote("s2", "10.0.0.1")  # so is the address, whatever the session
    limiter.hit_vote("s2", "10.0.0.2")
    limiter.hit_battle("s1", "10.0.0.1")
    limiter.hit_battle("s1", "10.0.0.1")
    with pytest.raises(RateLimited):
        limiter.hit_battle("s1", None)


def test_a_refused_request_uses_no_quota(storage: str | None) -> None:
    limiter = RateLimiter(Limits(votes_per_day=2), storage)
    limiter.hit_vote("s1", "ip-a")
    limiter.hit_vote("s1", "ip-a")
    for _ in range(5):
        with pytest.raises(RateLimited):
            limiter.hit_vote("s2", "ip-a")  # the address is spent
    limiter.hit_vote("s2", "ip-b")  # s2 was not charged for the refusals
    limiter.hit_vote("s2", "ip-b")


def test_redis_limits_are_shared_by_workers(redis_url: str) -> None:
    workers = [RateLimiter(Limits(votes_per_day=50), redis_url) for _ in range(4)]
    granted = []
    lock = threading.Lock()

    def bot(limiter: RateLimiter) -> None:
        for _ in range(40):
            try:
                limiter.hit_vote("bot-session", "203.0.113.9")
            except RateLimited:
                continue
            with lock:
                granted.append(1)

    threads = [threading.Thread(target=bot, args=(w,)) for w in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(granted) == 50  # 160 attempts over four workers, never more than the cap


def test_the_one_call_script_and_limits_share_their_counters(redis_url: str) -> None:
    """The script writes the keys limits reads and the other way round, so limits still
    reports the windows (retry-after) and anything counted through limits counts."""
    from limits.storage import storage_from_string
    from limits.strategies import SlidingWindowCounterRateLimiter

    limiter = RateLimiter(Limits(votes_per_day=4), redis_url)
    assert limiter.one_call
    plain = SlidingWindowCounterRateLimiter(storage_from_string(redis_url))
    limiter.hit_vote("s1", "192.0.2.50")  # through the script
    stats = plain.get_window_stats(limiter.vote_limit, "votes", "s:s1")
    assert stats.remaining == 3
    assert plain.get_window_stats(limiter.vote_limit, "votes", "ip:192.0.2.50").remaining == 3
    for _ in range(3):
        assert plain.hit(limiter.vote_limit, "votes", "ip:192.0.2.50")  # through limits
    with pytest.raises(RateLimited) as err:
        asyncio.run(limiter.ahit_vote("s2", "192.0.2.50"))  # the address is spent
    assert err.value.retry_after_s > 0
    assert plain.get_window_stats(limiter.vote_limit, "votes", "s:s2").remaining == 4


def test_only_a_single_redis_server_gets_the_one_call_script() -> None:
    from modelarena.integrity.ratelimit import one_call_storage

    assert one_call_storage("redis://cache:6379/0") and one_call_storage("rediss://cache")
    # a request's keys may sit on different nodes of a cluster: limits' own calls there
    for url in ("redis+cluster://a:7000", "redis+sentinel://a:26379/m", "memory://"):
        assert not one_call_storage(url)


@pytest.fixture(params=["memory", "redis", "postgres+redis"])
def capped(request: pytest.FixtureRequest, sqlite_url: str) -> Iterator[tuple[Arena, TestClient]]:
    """The web app with a cap of 5 votes a day and 3 counted per prompt. On PostgreSQL the
    vote is awaited on the event loop (Redis asked asynchronously, group-commit writer)."""
    from modelarena.web.app import create_app

    db_url = request.getfixturevalue("pg_url") if request.param == "postgres+redis" else sqlite_url
    arena = scripted_arena(db_url, votes_per_day=5, votes_per_prompt=3)
    assert arena.store.batches_votes == (request.param == "postgres+redis")
    url = request.getfixturevalue("redis_url") if "redis" in request.param else None
    app = create_app(arena, rate_limiter=RateLimiter(Limits(20, 5), url))
    with TestClient(app) as client:
        yield arena, client


def _vote(arena: Arena, client: TestClient, prompt: str | None = None) -> int:
    token = client.get("/api/session").json()["csrf_token"]
    sid = client.app.state.ctx.codec.loads(client.cookies.get("arena_session")).id  # type: ignore[attr-defined]
    battle = complete_battle(arena.store, session_id=sid, prompt=prompt, models=PAIR)
    r = client.post(
        f"/api/battles/{battle}/vote", json={"verdict": "a"}, headers={"X-CSRF-Token": token}
    )
    if r.status_code == 429:
        assert r.json()["error"]["code"] == "rate_limited" and int(r.headers["retry-after"]) > 0
    return r.status_code


def _counted(store: Store) -> int:
    return store.filtered_vote_summary().get("counted", 0)


def test_a_bot_above_the_daily_cap_gets_no_counted_votes(
    capped: tuple[Arena, TestClient],
) -> None:
    arena, client = capped
    codes = [_vote(arena, client) for _ in range(12)]
    assert codes == [200] * 5 + [429] * 7
    assert _counted(arena.store) == 5


def test_fresh_sessions_do_not_escape_the_per_ip_cap(capped: tuple[Arena, TestClient]) -> None:
    arena, client = capped
    codes = []
    for _ in range(9):
        client.cookies.clear()  # a bot that drops its cookie before every vote
        codes.append(_vote(arena, client))
    assert codes.count(200) == 5 and codes[5:] == [429] * 4
    assert _counted(arena.store) == 5


def test_a_repeated_prompt_stops_counting_at_its_cap(capped: tuple[Arena, TestClient]) -> None:
    arena, client = capped
    codes = []
    for _ in range(5):
        client.cookies.clear()
        codes.append(_vote(arena, client, prompt="Same  prompt, again"))
    assert codes == [200] * 5
    summary = arena.store.filtered_vote_summary()
    assert summary == {"counted": 3, "prompt_cap": 2}  # stored, not counted


def test_the_event_loop_path_shares_the_redis_counters(redis_url: str) -> None:
    limiter = RateLimiter(Limits(votes_per_day=3), redis_url)

    async def votes() -> list[str]:
        outcomes = []
        for _ in range(3):
            try:
                await limiter.ahit_vote("s1", "192.0.2.7")
                outcomes.append("ok")
            except RateLimited as exc:
                outcomes.append(f"429 after {exc.retry_after_s > 0}")
        return outcomes

    limiter.hit_vote("s1", "192.0.2.7")  # counted by the thread path
    assert asyncio.run(votes()) == ["ok", "ok", "429 after True"]
    with pytest.raises(RateLimited):
        limiter.hit_vote("s2", "192.0.2.7")  # the address is spent for every path
    assert (
        asyncio.run(
            RateLimiter(Limits(votes_per_day=3), "redis://127.0.0.1:1/0").ahit_vote("s", "x")
        )
        is None
    )  # an unreachable Redis degrades to local limits here too


def test_an_unreachable_redis_degrades_to_local_limits(caplog: pytest.LogCaptureFixture) -> None:
    limiter = RateLimiter(Limits(votes_per_day=3), "redis://127.0.0.1:1/0")  # nothing listens
    for _ in range(3):
        limiter.hit_vote("s1", "198.51.100.7")
    with pytest.raises(RateLimited):
        limiter.hit_vote("s1", "198.51.100.7")  # still limited, in this process's memory
    assert limiter.degraded
    assert [r.getMessage() for r in caplog.records if "unavailable" in r.getMessage()]
    assert "redis://" not in caplog.text  # the URL (and any password in it) is not logged


def test_redis_recovery_restores_shared_limits(redis_url: str) -> None:
    limiter = RateLimiter(Limits(votes_per_day=2), redis_url)
    limiter.degraded = True  # as after an outage
    limiter.hit_vote("s1", "192.0.2.1")
    assert not limiter.degraded
    other_worker = RateLimiter(Limits(votes_per_day=2), redis_url)
    other_worker.hit_vote("s1", "192.0.2.1")
    with pytest.raises(RateLimited):
        limiter.hit_vote("s1", "192.0.2.1")


def test_new_sessions_per_address_are_capped(storage: str | None) -> None:
    limiter = RateLimiter(Limits(sessions_per_day=3), storage)
    for sid in ("s1", "s2", "s3"):
        limiter.admit_session(sid, "192.0.2.30")
    with pytest.raises(RateLimited) as err:
        limiter.admit_session("s4", "192.0.2.30")  # a fourth voter id from the address
    assert "new sessions" in str(err.value) and err.value.retry_after_s > 0
    for _ in range(3):
        limiter.admit_session("s1", "192.0.2.30")  # a known session goes on
    with pytest.raises(RateLimited):
        limiter.admit_session("s5", "192.0.2.30")  # refusals used no marker, no quota
    limiter.admit_session("s4", "192.0.2.31")  # another address has its own budget
    limiter.admit_session("s6", None)  # no address known: nothing to count


def test_fresh_cookies_from_one_address_are_capped_at_their_first_battle(
    storage: str | None, sqlite_url: str
) -> None:
    """The issue's attacker: a new voter id for every few votes from one address."""
    from modelarena.web.app import create_app

    arena = scripted_arena(sqlite_url)
    limits = Limits(battles_per_minute=100, sessions_per_day=3)
    codes = []
    sessions = []
    with TestClient(create_app(arena, rate_limiter=RateLimiter(limits, storage))) as client:
        for _ in range(5):
            client.cookies.clear()
            token = client.get("/api/session").json()["csrf_token"]
            sessions.append((client.cookies.get("arena_session"), token))
            r = client.post(
                "/api/battles", json={"prompt": "Hi there"}, headers={"X-CSRF-Token": token}
            )
            codes.append(r.status_code)
            if r.status_code == 429:
                assert r.json()["error"]["code"] == "rate_limited"
                assert "new sessions" in r.json()["error"]["message"]
        # a session admitted before the cap keeps playing
        client.cookies.clear()
        client.cookies.set("arena_session", sessions[0][0] or "")
        r = client.post(
            "/api/battles", json={"prompt": "Again"}, headers={"X-CSRF-Token": sessions[0][1]}
        )
        codes.append(r.status_code)
    assert codes == [201] * 3 + [429] * 2 + [201]
