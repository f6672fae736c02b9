"""Several worker processes on one port, each with its own listening socket.

uvicorn's ``--workers`` shares one listening socket between the workers: whichever
worker's event loop wakes first accepts every connection then waiting (asyncio accepts up
to the backlog per wake-up), so long-lived keep-alive connections pile onto one worker
while another idles. The load test measured the two workers at 0.82 and 0.27 of a core.
With ``SO_REUSEPORT`` (Linux) each worker listens on a socket of its own and the kernel
spreads new connections across them by a hash of their addresses. Elsewhere the workers
share one socket, as uvicorn's do.

The parent only supervises: it starts the workers, restarts one that dies, and stops them
all on Ctrl+C or SIGTERM. Each worker builds its own :class:`Arena` (own database pool,
own model handles) from the same settings, so every worker serves the same leaderboard.
"""

from __future__ import annotations

import contextlib
import dataclasses
import errno
import logging
import multiprocessing
import os
import signal
import socket
import sys
import threading
import time
from dataclasses import dataclass
from multiprocessing.context import SpawnProcess
from typing import Any

log = logging.getLogger(__name__)

# multiprocessing pickles sockets for the shared-socket fallback through this
multiprocessing.allow_connection_pickling()
_spawn = multiprocessing.get_context("spawn")

FAILED_START_S = 10.0
"""A worker that dies sooner than this after starting failed to start: stop, don't loop."""


class PortInUse(Exception):
    """Something already listens on the address."""


@dataclass(frozen=True)
class WorkerSpec:
    """What each worker needs to build its app; plain data, so it crosses ``spawn``."""

    config: str | None
    database: str | None
    host: str
    port: int
    log_level: str
    trust_proxy: bool | None
    """Overrides of the settings of the same name (``None``: as configured)."""
    secure_cookies: bool | None
    secret_key: str
    """One key for all: a cookie signed by one worker must be valid on the others."""


def balances_connections() -> bool:
    """Whether the kernel spreads connections across ``SO_REUSEPORT`` listeners (Linux
    does; BSD and macOS accept the option but hand every connection to one socket)."""
    return sys.platform.startswith("linux") and hasattr(socket, "SO_REUSEPORT")


def _family(host: str) -> socket.AddressFamily:
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def listening_socket(host: str, port: int, *, reuse_port: bool) -> socket.socket:
    """A socket bound to ``host:port``, not yet listening (asyncio calls ``listen``)."""
    sock = socket.socket(_family(host), socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if reuse_port:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise PortInUse(f"{host}:{port} is already in use") from exc
        raise
    sock.set_inheritable(True)
    return sock


def claim_port(host: str, port: int) -> socket.socket:
    """Bind (without listening) the port the workers will share, and keep it bound while
    they run: this fails early and clearly when another program holds the port, picks a
    free one for port 0, and keeps any other program from taking it. A socket that only
    binds receives no connections. Another ``SO_REUSEPORT`` server of the same user could
    still join the port, so a connection attempt checks that nothing answers there."""
    probe_host = "127.0.0.1" if host == "0.0.0.0" else "::1" if host == "::" else host
    if port:
        try:
            with socket.create_connection((probe_host, port), timeout=0.5):
                raise PortInUse(f"{host}:{port} is already in use")
        except OSError:
            pass  # nothing answers: free
    return listening_socket(host, port, reuse_port=balances_connections())


def _serve(spec: WorkerSpec, shared: socket.socket | None) -> None:
    """One worker process: build the app and serve it until told to stop."""
    import uvicorn

    from modelarena.arena import Arena
    from modelarena.web import create_app

    overrides: dict[str, Any] = {"secret_key": spec.secret_key}
    if spec.database:
        overrides["database_url"] = spec.database
    arena = Arena.from_config(spec.config, **overrides)
    app = create_app(arena, trust_proxy=spec.trust_proxy, secure_cookies=spec.secure_cookies)
    sock = shared or listening_socket(spec.host, spec.port, reuse_port=True)
    config = uvicorn.Config(
        app,
        log_level=spec.log_level,
        proxy_headers=False,  # the app reads X-Forwarded-For itself (web/proxy.py)
        timeout_graceful_shutdown=5,
    )
    _exit_with(os.getppid())
    # Ctrl+C reaches every process of the terminal; the parent reports it
    with contextlib.suppress(KeyboardInterrupt):
        uvicorn.Server(config).run(sockets=[sock])


def _exit_with(parent: int) -> None:
    """Stop (gracefully) when the supervisor dies, even by kill -9, rather than live on as
    an orphan holding the port."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


class Supervisor:
    """Runs ``count`` workers until stopped; restarts a worker that dies after starting."""

    def __init__(self, spec: WorkerSpec, count: int) -> None:
        if count < 1:
            raise ValueError("at least one worker")
        self.count = count
        self.port_claim = claim_port(spec.host, spec.port)
        self.port: int = self.port_claim.getsockname()[1]
        self.spec = dataclasses.replace(spec, port=self.port)
        # Without SO_REUSEPORT balancing the workers share the claimed socket.
        self.shared = None if balances_connections() else self.port_claim
        self.processes: list[tuple[SpawnProcess, float]] = []
        self.stopping = threading.Event()
        self.failure: str | None = None

    def _start_one(self) -> tuple[SpawnProcess, float]:
        process = _spawn.Process(target=_serve, args=(self.spec, self.shared), daemon=False)
        process.start()
        return process, time.monotonic()

    def run(self) -> int:
        """Serve until Ctrl+C or SIGTERM; the exit status to return."""
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: self.stopping.set())
        try:
            self.processes = [self._start_one() for _ in range(self.count)]
            while not self.stopping.wait(0.5):
                self._replace_dead()
        finally:
            self._stop_all()
            self.port_claim.close()
        return 1 if self.failure else 0

    def _replace_dead(self) -> None:
        for i, (process, started) in enumerate(self.processes):
            if process.is_alive():
                continue
            if time.monotonic() - started < FAILED_START_S:
                self.failure = (
                    f"worker {process.pid} exited with status {process.exitcode} while "
                    "starting; see the messages above"
                )
                log.error(self.failure)
                self.stopping.set()
                return
            log.warning(
                "worker %s exited with status %s; starting another", process.pid, process.exitcode
            )
            self.processes[i] = self._start_one()

    def _stop_all(self) -> None:
        for process, _ in self.processes:
            if process.is_alive():
                process.terminate()  # SIGTERM: uvicorn finishes open requests (5 s at most)
        deadline = time.monotonic() + 10
        for process, _ in self.processes:
            process.join(max(0.1, deadline - time.monotonic()))
            if process.is_alive():
                process.kill()
                process.join(5)
