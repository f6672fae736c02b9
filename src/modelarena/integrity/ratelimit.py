"""Rate limits per session and per IP, with the ``limits`` library.

In memory by default (one process); Redis when ``redis_url`` is configured, so that every
worker of a scaled-out deployment shares the same counters.
"""

from __future__ import annotations

from dataclasses import dataclass

from limits import RateLimitItem, parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter


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


class RateLimiter:
    def __init__(self, limits: Limits, storage_url: str | None = None) -> None:
        self.storage = storage_from_string(storage_url or "memory://")
        self.limiter = MovingWindowRateLimiter(self.storage)
        self.battle_limit: RateLimitItem = parse(f"{limits.battles_per_minute}/minute")
        self.vote_limit: RateLimitItem = parse(f"{limits.votes_per_day}/day")

    def _hit(self, what: str, item: RateLimitItem, keys: tuple[str | None, ...]) -> None:
        present = [k for k in keys if k]
        # Check every key first, so a request refused for one key uses up no quota of the
        # others; then count each with an atomic hit (one Lua script in Redis), so that
        # concurrent requests on several workers can never go past the limit together.
        for key in present:
            if not self.limiter.test(item, what, key):
                raise self._refusal(what, item, key)
        for key in present:
            if not self.limiter.hit(item, what, key):
                raise self._refusal(what, item, key)

    def _refusal(self, what: str, item: RateLimitItem, key: str) -> RateLimited:
        stats = self.limiter.get_window_stats(item, what, key)
        retry = max(1, int(stats.reset_time - _now()))
        return RateLimited(what, str(item), retry)

    def hit_battle(self, session_id: str | None, ip: str | None) -> None:
        self._hit(
            "battles",
            self.battle_limit,
            (f"s:{session_id}" if session_id else None, f"ip:{ip}" if ip else None),
        )

    def hit_vote(self, session_id: str | None, ip: str | None) -> None:
        self._hit(
            "votes",
            self.vote_limit,
            (f"s:{session_id}" if session_id else None, f"ip:{ip}" if ip else None),
        )

    def reset(self) -> None:
        self.storage.reset()


def _now() -> float:
    import time

    return time.time()
