"""A minimal keep-alive HTTP/1.1 client on asyncio, for the load tests.

The load generator shares the machine's two cores with the server, PostgreSQL and Redis,
so every millisecond it spends is taken from what it measures. At 500 votes/s httpx spent
about 4 ms of CPU per vote here, aiohttp 0.6 and this client, which does only what the load
test needs (one connection, one request at a time, ``Content-Length`` bodies), 0.35.
``load_votes.py --client aiohttp`` still runs the aiohttp client.
"""

from __future__ import annotations

import asyncio


class HttpError(Exception):
    """The connection failed or the reply was not HTTP/1.1 as this client reads it."""


class _Reply(asyncio.Protocol):
    def __init__(self) -> None:
        self.buffer = bytearray()
        self.waiter: asyncio.Future[tuple[int, bytes]] | None = None
        self.transport: asyncio.Transport | None = None
        self.lost: Exception | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        self._maybe_done()

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost = exc or HttpError("the server closed the connection")
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(HttpError(str(self.lost)))

    def _maybe_done(self) -> None:
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0 or self.waiter is None or self.waiter.done():
            return
        head = bytes(self.buffer[:end]).decode("latin-1")
        lines = head.split("\r\n")
        try:
            status = int(lines[0].split(" ", 2)[1])
        except (IndexError, ValueError):
            self.waiter.set_exception(HttpError(f"not an HTTP reply: {lines[0][:80]!r}"))
            return
        length = None
        for line in lines[1:]:
            name, _, value = line.partition(":")
            name = name.strip().lower()
            if name == "content-length":
                length = int(value)
            elif name == "transfer-encoding":
                self.waiter.set_exception(HttpError("chunked replies are not supported"))
                return
        if length is None:
            self.waiter.set_exception(HttpError("a reply without Content-Length"))
            return
        if len(self.buffer) < end + 4 + length:
            return
        body = bytes(self.buffer[end + 4 : end + 4 + length])
        del self.buffer[: end + 4 + length]
        self.waiter.set_result((status, body))


class Connection:
    """One keep-alive connection; :meth:`request` sends one request and reads its reply."""

    def __init__(self, host: str, port: int, timeout: float = 30.0) -> None:
        self.host = host
        self.port = port
        self.timeout = timeout
        self._reply: _Reply | None = None

    async def _open(self) -> _Reply:
        loop = asyncio.get_running_loop()
        _, protocol = await loop.create_connection(_Reply, self.host, self.port)
        return protocol

    async def request(
        self, method: str, path: str, headers: dict[str, str], body: bytes = b""
    ) -> tuple[int, bytes]:
        """``(status, body)``; raises :class:`HttpError` or ``TimeoutError``."""
        if self._reply is None or self._reply.lost is not None:
            self._reply = await self._open()
        reply = self._reply
        head = f"{method} {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
        head += "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        if body or method != "GET":
            head += f"Content-Length: {len(body)}\r\n"
        reply.waiter = asyncio.get_running_loop().create_future()
        assert reply.transport is not None
        reply.transport.write(head.encode("latin-1") + b"\r\n" + body)
        try:
            return await asyncio.wait_for(reply.waiter, self.timeout)
        except BaseException:
            self.close()  # a reply may still arrive: never reuse this connection
            raise

    def close(self) -> None:
        if self._reply is not None and self._reply.transport is not None:
            self._reply.transport.close()
        self._reply = None
