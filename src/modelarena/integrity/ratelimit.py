"""Rate limits per session and per IP, with the ``limits`` library.

Three budgets: battles a minute and votes a day (per session and per address), new
sessions a day per address (a client that drops its cookie gets a new voter id; the cap
keeps one address from spreading its votes over many ids), and failed admin-token
attempts per address.

In memory by default (one process); Redis when ``redis_url`` is configured, so that every
worker of a scaled-out deployment shares the same counters. If Redis cannot be reached the
limiter keeps counting in this process's memory (logged once) and goes back to Redis once
it answers again: a Redis outage loosens the limits to one quota per worker, it does not
take voting down. On a single Redis server a request's counters (session and address) are
charged in one round trip (:mod:`modelarena.integrity.redis_windows`).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from limits import RateLimitItem, parse
from limits.aio.strategies import (
    SlidingWindowCounterRateLimiter as AsyncSlidingWindowCounterRateLimiter,
)
from limits.storage import storage_from_string
from limits.strategies import SlidingWindowCounterRateLimiter

from modelarena.integrity.redis_windows import AsyncSharedWindows, SharedWindows


class RateLimited(Exception):
    """Too many requests. ``retry_after_s`` says when to try again."""

    def __init__(self, what: str, limit: str, retry_after_s: int) -> None:
        super().__init__(f"too many {what}: the limit is {limit}; try again in {retry_after_s} s")
        self.what = what
        self.limit = limit
        self.retry_after_s = retry_after_s


@dataclass(frozen=True)
class Limits:
    battles_per_minute: int = 20
    votes_per_day: int = 1000
    sessions_per_day: int = 20
    """New sessions (voter ids) per address a day, counted at each session's first battle."""
    admin_failures_per_hour: int = 10
    """Wrong admin tokens per address an hour; past it, every admin request is refused."""


SEEN = parse("1/day")
"""Marks a session as known to an address: only its first battle there counts as new."""


log = logging.getLogger(__name__)
RETRY_SHARED_AFTER_S = 30.0
"""After a shared-storage failure, use the local fallback this long before trying again."""


class RateLimiter:
    def __init__(self, limits: Limits, storage_url: str | None = None) -> None:
        self.storage = storage_from_string(storage_url or "memory://")
        self.limiter = SlidingWindowCounterRateLimiter(self.storage)
        self.shared = bool(storage_url) and not (storage_url or "").startswith("memory")
        self.storage_url = storage_url or "memory://"
        self.one_call = one_call_storage(self.storage_url)
        self._windows: SharedWindows | None = None
        self._async_limiter: AsyncSlidingWindowCounterRateLimiter | None = None
        self._async_windows: AsyncSharedWindows | None = None
        self._async_loop: asyncio.AbstractEventLoop | None = None
        self._local = SlidingWindowCounterRateLimiter(storage_from_string("memory://"))
        self._down_until = 0.0
        self.degraded = False  # counting locally because the shared storage failed
        self.battle_limit: RateLimitItem = parse(f"{limits.battles_per_minute}/minute")
        self.vote_limit: RateLimitItem = parse(f"{limits.votes_per_day}/day")
        self.session_limit: RateLimitItem = parse(f"{limits.sessions_per_day}/day")
        self.admin_limit: RateLimitItem = parse(f"{limits.admin_failures_per_hour}/hour")

    def _hit(self, what: str, item: RateLimitItem, keys: list[str]) -> None:
        def count(limiter: SlidingWindowCounterRateLimiter, shared: bool) -> None:
            if shared and self.one_call:
                self._count_in_one_call(what, item, keys)
            else:
                self._count(limiter, what, item, keys)

        self._on_storage(count)

    def _on_storage(self, count: Callable[[SlidingWindowCounterRateLimiter, bool], None]) -> None:
        """Run ``count`` on the shared storage, or on this process's memory while the shared
        storage is failing (``count``'s second argument says which)."""
        if not self.shared:
            count(self.limiter, False)
            return
        if time.monotonic() >= self._down_until:
            try:
                count(self.limiter, True)
            except RateLimited:
                self._recovered()
                raise
            except Exception as exc:  # noqa: BLE001 - any storage failure: degrade, log
                self._degrade(exc)
            else:
                self._recovered()
                return
        count(self._local, False)

    def _degrade(self, exc: Exception) -> None:
        if not self.degraded:
            log.warning(
                "rate-limit storage unavailable (%s); counting in this process's "
                "memory until it answers again",
                type(exc).__name__,
            )
        self.degraded = True
        self._down_until = time.monotonic() + RETRY_SHARED_AFTER_S

    def _recovered(self) -> None:
        if self.degraded:
            log.warning("rate-limit storage answers again; shared limits restored")
            self.degraded = False

    def _count(
        self,
        limiter: SlidingWindowCounterRateLimiter,
        what: str,
        item: RateLimitItem,
        keys: list[str],
    ) -> None:
        # Check the other keys first, so a request refused for one key uses up no quota of
        # the others (the first key's hit refuses without counting); then count each with
        # an atomic hit (one Lua script in Redis), so that concurrent requests on several
        # workers can never go past the limit together.
        for key in keys[1:]:
            if not limiter.test(item, what, key):
                raise _refusal(limiter, what, item, key)
        for key in keys:
            if not limiter.hit(item, what, key):
                raise _refusal(limiter, what, item, key)

    def _count_in_one_call(self, what: str, item: RateLimitItem, keys: list[str]) -> None:
        if self._windows is None:
            self._windows = SharedWindows(self.storage_url)
        refused = self._windows.hit(item, what, keys)
        if refused is not None:
            raise _refusal(self.limiter, what, item, refused)

    async def ahit_vote(self, session_id: str | None, ip: str | None) -> None:
        """:meth:`hit_vote` for the event loop: Redis is asked without a thread (a thread
        per vote, each waiting for the GIL after every Redis reply, made a vote's three
        round trips take milliseconds each under load)."""
        keys = _keys(session_id, ip)
        if not self.shared or time.monotonic() < self._down_until:
            self._hit("votes", self.vote_limit, keys)  # in memory: nothing to wait for
            return
        limiter, windows = self._async()
        try:
            if windows is not None:
                refused = await windows.hit(self.vote_limit, "votes", keys)
                if refused is not None:
                    raise await _async_refusal(limiter, "votes", self.vote_limit, refused)
            else:
                for key in keys[1:]:
                    if not await limiter.test(self.vote_limit, "votes", key):
                        raise await _async_refusal(limiter, "votes", self.vote_limit, key)
                for key in keys:
                    if not await limiter.hit(self.vote_limit, "votes", key):
                        raise await _async_refusal(limiter, "votes", self.vote_limit, key)
        except RateLimited:
            self._recovered()
            raise
        except Exception as exc:  # noqa: BLE001 - any storage failure: degrade, log
            self._degrade(exc)
            self._count(self._local, "votes", self.vote_limit, keys)
        else:
            self._recovered()

    def _async(
        self,
    ) -> tuple[AsyncSlidingWindowCounterRateLimiter, AsyncSharedWindows | None]:
        # redis.asyncio binds its connections to the event loop that made them
        loop = asyncio.get_running_loop()
        if self._async_limiter is None or self._async_loop is not loop:
            storage = storage_from_string("async+" + self.storage_url, implementation="redispy")
            self._async_limiter = AsyncSlidingWindowCounterRateLimiter(storage)
            self._async_windows = AsyncSharedWindows(self.storage_url) if self.one_call else None
            self._async_loop = loop
        return self._async_limiter, self._async_windows

    def hit_battle(self, session_id: str | None, ip: str | None) -> None:
        self._hit("battles", self.battle_limit, _keys(session_id, ip))

    def hit_vote(self, session_id: str | None, ip: str | None) -> None:
        self._hit("votes", self.vote_limit, _keys(session_id, ip))

    def admit_session(self, session_id: str | None, ip: str | None) -> None:
        """Count ``session_id`` against its address's new-session budget, the first time it
        starts a battle from ``ip`` (within a day). Raises :class:`RateLimited` (nothing
        counted) when the address has started too many sessions today."""
        if not session_id or not ip:
            return
        seen, key = f"{ip}/{session_id}", f"ip:{ip}"

        def count(limiter: SlidingWindowCounterRateLimiter, _shared: bool) -> None:
            if not limiter.test(SEEN, "session-seen", seen):
                return  # this session already started a battle from this address
            if not limiter.hit(self.session_limit, "sessions", key):
                raise _refusal(limiter, "sessions", self.session_limit, key, "new sessions")
            limiter.hit(SEEN, "session-seen", seen)

        self._on_storage(count)

    def check_admin(self, ip: str | None) -> None:
        """Raise :class:`RateLimited` if ``ip`` has used up its failed admin attempts."""
        key = f"ip:{ip or 'unknown'}"

        def count(limiter: SlidingWindowCounterRateLimiter, _shared: bool) -> None:
            if not limiter.test(self.admin_limit, "admin-failures", key):
                raise _refusal(
                    limiter, "admin-failures", self.admin_limit, key, "failed admin attempts"
                )

        self._on_storage(count)

    def admin_failed(self, ip: str | None) -> None:
        """Count one failed admin attempt from ``ip``."""
        key = f"ip:{ip or 'unknown'}"

        def count(limiter: SlidingWindowCounterRateLimiter, _shared: bool) -> None:
            limiter.hit(self.admin_limit, "admin-failures", key)

        self._on_storage(count)

    def reset(self) -> None:
        self.storage.reset()
        self._local.storage.reset()


def one_call_storage(url: str) -> bool:
    """Whether a request's counters can be charged in one script call: on a single Redis
    server, not on Redis Cluster or Sentinel (a request's keys may sit on several servers),
    nor on the other storages limits supports (they get limits' own calls)."""
    return url.split("://", 1)[0] in ("redis", "rediss")


def _keys(session_id: str | None, ip: str | None) -> list[str]:
    """The counters a request is charged to: its session's, then its address's (each only
    when known)."""
    keys = [f"s:{session_id}"] if session_id else []
    return keys + [f"ip:{ip}"] if ip else keys


def _refusal(
    limiter: SlidingWindowCounterRateLimiter,
    what: str,
    item: RateLimitItem,
    key: str,
    shown: str | None = None,
) -> RateLimited:
    stats = limiter.get_window_stats(item, what, key)
    retry = max(1, int(stats.reset_time - time.time()))
    return RateLimited(shown or what, str(item), retry)


async def _async_refusal(
    limiter: AsyncSlidingWindowCounterRateLimiter, what: str, item: RateLimitItem, key: str
) -> RateLimited:
    stats = await limiter.get_window_stats(item, what, key)
    retry = max(1, int(stats.reset_time - time.time()))
    return RateLimited(what, str(item), retry)
