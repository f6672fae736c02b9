"""Behind a proxy that appends to X-Forwarded-For the client is the right-most untrusted hop:
what the client wrote itself (the left-most entries) never chooses its address."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from scripted import scripted_arena

from modelarena.config import ConfigError, load_settings
from modelarena.integrity.ratelimit import Limits, RateLimiter
from modelarena.web.app import create_app
from modelarena.web.proxy import ForwardedFor, client_address, normalise, parse_networks

REAL = "203.0.113.9"  # the bot's real address, appended by the proxy


@pytest.mark.parametrize(
    ("peer", "headers", "trusted", "client"),
    [
        # one appending proxy (Caddy, Traefik): the right-most entry, whatever came before
        ("10.0.0.2", ["6.6.6.6, 203.0.113.9"], [], REAL),
        ("10.0.0.2", ["203.0.113.9"], [], REAL),
        ("10.0.0.2", ["6.6.6.6", "203.0.113.9"], [], REAL),  # two header lines: in order
        ("10.0.0.2", [], [], "10.0.0.2"),  # no header: the peer
        # a chain of trusted proxies: skip them from the right
        ("10.0.0.2", ["6.6.6.6, 203.0.113.9, 10.1.2.3"], ["10.0.0.0/8"], REAL),
        ("127.0.0.1", ["6.6.6.6, 203.0.113.9, 10.1.2.3"], ["10.0.0.0/8", "127.0.0.1"], REAL),
        # a peer that is not one of the trusted proxies: its header is its own
        ("198.51.100.4", ["6.6.6.6"], ["10.0.0.0/8"], "198.51.100.4"),
        # every hop trusted: the left-most
        ("10.0.0.2", ["10.9.9.9, 10.1.2.3"], ["10.0.0.0/8"], "10.9.9.9"),
        # ports, brackets, IPv6
        ("10.0.0.2", ["6.6.6.6, 203.0.113.9:51234"], [], REAL),
        ("10.0.0.2", ["[2001:db8::1]:443"], [], "2001:db8::1"),
        ("::1", ["6.6.6.6, 2001:DB8::7"], ["::1/128"], "2001:db8::7"),
        # a Unix socket (no peer address) is a proxy on this host
        (None, ["6.6.6.6, 203.0.113.9"], ["127.0.0.1"], REAL),
    ],
)
def test_the_right_most_untrusted_hop_is_the_client(
    peer: str | None, headers: list[str], trusted: list[str], client: str
) -> None:
    assert client_address(peer, headers, parse_networks(trusted)) == client


def test_odd_entries_are_kept_as_opaque_keys() -> None:
    assert normalise(' "203.0.113.9" ') == REAL
    assert normalise("unknown") == "unknown"
    assert len(normalise("x" * 500)) == 64


def test_the_middleware_rewrites_the_client_for_everything_after_it() -> None:
    seen: dict[str, Any] = {}

    async def app(scope: Any, receive: Any, send: Any) -> None:
        seen["client"] = scope["client"]

    scope = {
        "type": "http",
        "headers": [(b"x-forwarded-for", b"6.6.6.6, 203.0.113.9, 10.1.2.3")],
        "client": ("10.0.0.2", 4321),
    }
    asyncio.run(ForwardedFor(app, ["10.0.0.0/8"])(scope, None, None))  # type: ignore[arg-type]
    assert seen["client"] == (REAL, 0)


def _battles(client: TestClient, forwarded: list[str]) -> list[int]:
    """A bot that drops its cookie before every battle and writes its own X-Forwarded-For
    entry, which the proxy keeps, appending the real address."""
    codes = []
    for spoof in forwarded:
        client.cookies.clear()
        token = client.get("/api/session").json()["csrf_token"]
        r = client.post(
            "/api/battles",
            json={"prompt": "Hello there"},
            headers={"X-CSRF-Token": token, "X-Forwarded-For": spoof},
        )
        codes.append(r.status_code)
    return codes


def test_a_spoofed_left_most_entry_does_not_escape_the_per_address_limit(
    sqlite_url: str,
) -> None:
    app = create_app(
        scripted_arena(sqlite_url),
        trust_proxy=True,
        rate_limiter=RateLimiter(Limits(battles_per_minute=3)),
    )
    with TestClient(app) as client:
        codes = _battles(client, [f"198.51.100.{i}, {REAL}" for i in range(6)])
    assert codes == [201] * 3 + [429] * 3


def test_proxy_settings_come_from_the_environment(sqlite_url: str, tmp_path: Path) -> None:
    env = {
        "ARENA_DATABASE_URL": sqlite_url,
        "ARENA_TRUST_PROXY": "1",
        "ARENA_TRUSTED_PROXIES": "10.0.0.0/8, 127.0.0.1",
        "ARENA_SECURE_COOKIES": "true",
    }
    config = tmp_path / "arena.toml"
    config.write_text("")
    settings = load_settings(config, environ=env)
    assert settings.trust_proxy and settings.secure_cookies
    assert settings.trusted_proxies == ["10.0.0.0/8", "127.0.0.1"]
    with pytest.raises(ConfigError, match="ARENA_TRUST_PROXY='maybe' is not a valid bool"):
        load_settings(config, environ={**env, "ARENA_TRUST_PROXY": "maybe"})
    with pytest.raises(ConfigError, match="not an IP address or CIDR network"):
        load_settings(config, environ={**env, "ARENA_TRUSTED_PROXIES": "*"})
    config.write_text('trust_proxy = true\ntrusted_proxies = ["10.0.0.0/8"]\n')
    assert load_settings(config, environ={}).trusted_proxies == ["10.0.0.0/8"]


def test_settings_switch_the_proxy_and_the_cookie_and_arguments_override(
    sqlite_url: str,
) -> None:
    def arena() -> Any:
        return scripted_arena(sqlite_url, trust_proxy=True, secure_cookies=True)

    with TestClient(create_app(arena()), base_url="https://testserver") as client:
        assert "Secure" in client.get("/api/session").headers["set-cookie"]
    with TestClient(create_app(arena(), secure_cookies=False)) as client:
        assert "Secure" not in client.get("/api/session").headers["set-cookie"]
    # as configured, the proxy's entry is the address: one per request here
    spoofs = [f"198.51.100.{i}" for i in range(3)]
    on = create_app(arena(), rate_limiter=RateLimiter(Limits(battles_per_minute=2)))
    with TestClient(on, base_url="https://testserver") as client:
        assert _battles(client, spoofs) == [201, 201, 201]
    # trust_proxy=False: the header is ignored, every request is the peer's
    off = create_app(
        arena(), trust_proxy=False, rate_limiter=RateLimiter(Limits(battles_per_minute=2))
    )
    with TestClient(off, base_url="https://testserver") as client:
        assert _battles(client, spoofs) == [201, 201, 429]
