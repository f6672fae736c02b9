"""The client's address behind reverse proxies: the right-most untrusted ``X-Forwarded-For`` hop.

A proxy that appends to ``X-Forwarded-For`` (Caddy, Traefik, nginx with
``$proxy_add_x_forwarded_for``, most load balancers) keeps whatever the client sent and adds
the address it saw on the right. Everything left of the entries your own proxies wrote is
client-controlled, so the client is the right-most entry not written by a trusted proxy, as
uvicorn's ``ProxyHeadersMiddleware`` decides it.

- ``trust_proxy`` off: the TCP peer is the client; ``X-Forwarded-For`` is ignored.
- ``trust_proxy`` on, no ``trusted_proxies``: the direct peer is the one proxy, whatever its
  address, so the client is the right-most entry (the one that proxy appended).
- ``trusted_proxies`` (addresses and CIDR networks): ``X-Forwarded-For`` is read only when
  the peer is one of them; from the right, entries that are trusted proxies are skipped and
  the first other one is the client (all trusted: the left-most).

:class:`ForwardedFor` rewrites the ASGI scope's ``client`` once per request, so the rate
limits, the admin throttle, the stored address hash and the server's access log all see the
same address.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence
from typing import Any

from starlette.requests import Request

from modelarena.web.security import ASGIApp, Receive, Scope, Send

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
MAX_ENTRY_CHARS = 64
"""A longer entry is not an address; kept (cut) only as an opaque key."""


def parse_networks(values: Iterable[str]) -> tuple[Network, ...]:
    """Trusted proxies as networks; a bare address is a network of one. Raises ValueError."""
    return tuple(ipaddress.ip_network(v.strip(), strict=False) for v in values if v.strip())


def normalise(entry: str) -> str:
    """One ``X-Forwarded-For`` entry as an address: without quotes, brackets or port."""
    text = entry.strip().strip('"')
    if text.startswith("["):  # [2001:db8::1]:443
        text = text[1:].split("]", 1)[0]
    elif text.count(":") == 1:  # 203.0.113.7:51234
        text = text.split(":", 1)[0]
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        return text[:MAX_ENTRY_CHARS]


def _trusted(address: str, networks: Sequence[Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in net for net in networks)


def client_address(
    peer: str | None, forwarded: Sequence[str], trusted: Sequence[Network]
) -> str | None:
    """The client behind ``peer`` given the ``X-Forwarded-For`` header values, in order.

    ``trusted`` empty: the peer is the one proxy. A peer of ``None`` (a Unix socket) is a
    proxy on this host.
    """
    if peer is not None and trusted and not _trusted(peer, trusted):
        return peer  # not from one of our proxies: the header is the client's own
    hops = [normalise(e) for value in forwarded for e in value.split(",") if e.strip()]
    if not hops:
        return peer
    for hop in reversed(hops):
        if not trusted or not _trusted(hop, trusted):
            return hop
    return hops[0]


class ForwardedFor:
    """ASGI middleware: the scope's ``client`` becomes the address :func:`client_address`
    finds (only when the app is told it runs behind a proxy)."""

    def __init__(self, app: ASGIApp, trusted_proxies: Sequence[str] = ()) -> None:
        self.app = app
        self.trusted = parse_networks(trusted_proxies)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            values = [v.decode("latin-1") for k, v in scope["headers"] if k == b"x-forwarded-for"]
            client: Any = scope.get("client")
            peer = client[0] if client else None
            address = client_address(peer, values, self.trusted)
            if address is not None and address != peer:
                scope["client"] = (address, 0)
        await self.app(scope, receive, send)


def client_ip(request: Request) -> str | None:
    """The client's address (behind a trusted proxy, as :class:`ForwardedFor` found it)."""
    return request.client.host if request.client else None
