"""All-or-none hits on several of ``limits``' sliding-window counters, in one Redis call.

A request is charged to its session's counter and its address's. With ``limits`` alone
that takes three round trips (test the address, hit the session, hit the address), and on
the vote path they were about a quarter of the server's CPU per vote. This script applies
``limits``' own sliding-window algorithm (``acquire_sliding_window.lua``) to each counter
and counts the request only if every counter has room, so a refused request still uses no
quota. It reads and writes the same Redis keys as ``limits``' ``RedisStorage``, so
``limits`` still reports the windows (retry-after), resets them, and counts anything that
goes through it directly.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from limits import RateLimitItem

# limits' RedisStorage names a window "<prefix>:{<item key>}" and the previous window of
# the same counter "<prefix>:{<item key>}/-1". A test checks that limits reads what this
# script writes, so a change of layout in a new limits release fails the tests.
KEY_PREFIX = "LIMITS"

SCRIPT = """
local limit = tonumber(ARGV[1])
local expiry = tonumber(ARGV[2]) * 1000
local amount = tonumber(ARGV[3])
local counters = #KEYS / 2

for i = 1, counters do
    local previous_key, current_key = KEYS[2 * i - 1], KEYS[2 * i]
    local current_ttl = tonumber(redis.call('pttl', current_key))
    if current_ttl > 0 and current_ttl < expiry then
        -- the current window has ended: it becomes the previous one
        redis.call('rename', current_key, previous_key)
        redis.call('set', current_key, 0, 'PX', current_ttl + expiry)
    end
    local previous_count = tonumber(redis.call('get', previous_key)) or 0
    local previous_ttl = tonumber(redis.call('pttl', previous_key)) or 0
    local current_count = tonumber(redis.call('get', current_key)) or 0
    if previous_ttl <= 0 then
        previous_ttl = 0
    end
    local weighted = math.floor(previous_count * previous_ttl / expiry) + current_count
    if weighted + amount > limit then
        return i
    end
end

for i = 1, counters do
    local current_key = KEYS[2 * i]
    if redis.call('exists', current_key) == 1 then
        redis.call('incrby', current_key, amount)
    else
        redis.call('set', current_key, amount, 'PX', expiry * 2)
    end
end
return 0
"""

TIMEOUT_S = 2.0
"""A Redis that stops answering fails the call (and the limiter degrades) instead of
holding the request."""


def window_keys(item: RateLimitItem, what: str, counters: Sequence[str]) -> list[str]:
    """The previous and current window keys of each counter, in ``limits``' layout."""
    keys = []
    for counter in counters:
        current = f"{KEY_PREFIX}:{{{item.key_for(what, counter)}}}"
        keys += [current + "/-1", current]
    return keys


def _refused(counters: Sequence[str], answer: Any) -> str | None:
    index = int(answer)
    return counters[index - 1] if index else None


class SharedWindows:
    """The script on a blocking Redis client (thread callers)."""

    def __init__(self, url: str) -> None:
        import redis

        self.client = redis.Redis.from_url(
            url, socket_timeout=TIMEOUT_S, socket_connect_timeout=TIMEOUT_S
        )
        self.script = self.client.register_script(SCRIPT)

    def hit(self, item: RateLimitItem, what: str, counters: Sequence[str]) -> str | None:
        """Count one request on every counter, or on none: the counter that refused."""
        answer = self.script(
            keys=window_keys(item, what, counters), args=[item.amount, item.get_expiry(), 1]
        )
        return _refused(counters, answer)


class AsyncSharedWindows:
    """The script on an asyncio Redis client (bound to the event loop that made it)."""

    def __init__(self, url: str) -> None:
        import redis.asyncio

        self.client = redis.asyncio.Redis.from_url(
            url, socket_timeout=TIMEOUT_S, socket_connect_timeout=TIMEOUT_S
        )
        self.script = self.client.register_script(SCRIPT)

    async def hit(self, item: RateLimitItem, what: str, counters: Sequence[str]) -> str | None:
        answer = await self.script(
            keys=window_keys(item, what, counters), args=[item.amount, item.get_expiry(), 1]
        )
        return _refused(counters, answer)
