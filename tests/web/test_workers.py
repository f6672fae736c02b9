"""``arena serve --workers N``: real worker processes on one port (loopback only).

Each test starts the command as a subprocess, and finds which worker holds a connection
from ``/proc`` (the server-side socket's inode among each worker's open files)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from webtools import free_port

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc"),
]

CONFIG = """
[[models]]
id = "deepseek-v3"
backend = "openai"
base_url = "http://127.0.0.1:9/v1"
model = "deepseek-v3"

[[models]]
id = "gpt-4o"
backend = "openai"
base_url = "http://127.0.0.1:9/v1"
model = "gpt-4o"
"""


class Served:
    def __init__(self, process: subprocess.Popen[str], port: int) -> None:
        self.process = process
        self.port = port
        self.url = f"http://127.0.0.1:{port}"

    def workers(self) -> list[int]:
        return _children(self.process.pid)

    def stop(self) -> tuple[int, str]:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        out, _ = self.process.communicate(timeout=30)
        return self.process.returncode, out


def _serve(tmp_path: Path, port: int, *args: str) -> subprocess.Popen[str]:
    config = tmp_path / "arena.toml"
    config.write_text(CONFIG)
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARENA_")}
    env["ARENA_CONFIG"] = str(config)
    return subprocess.Popen(
        [sys.executable, "-m", "modelarena", "serve", "--port", str(port), *args],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    port = free_port()
    db = f"sqlite:///{tmp_path / 'arena.db'}"
    server = Served(_serve(tmp_path, port, "--workers", "2", "--db", db), port)
    try:
        _wait_until_up(server, workers=2)
        yield server
    finally:
        if server.process.poll() is None:
            server.stop()


def _wait_until_up(server: Served, workers: int, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            pytest.fail(f"arena serve exited: {server.process.communicate()[0]}")
        if len(server.workers()) == workers and _all_listening(server):
            return
        time.sleep(0.2)
    pytest.fail("the workers did not start in time")


def _all_listening(server: Served) -> bool:
    """Each worker has its own listener once it serves: count the listening sockets."""
    listening = _listening_inodes(server.port)
    return len(listening) >= len(server.workers()) and all(
        _socket_inodes(pid) & listening for pid in server.workers()
    )


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            fields = stat.rsplit(")", 1)[1].split()
            # the supervisor's children are the workers, plus multiprocessing's helper
            if int(fields[1]) == pid and "spawn_main" in (entry / "cmdline").read_text():
                found.append(int(entry.name))
    return sorted(found)


def _tcp_rows() -> list[list[str]]:
    rows = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        if os.path.exists(table):
            rows += [line.split() for line in Path(table).read_text().splitlines()[1:]]
    return rows


def _listening_inodes(port: int) -> set[str]:
    return {
        row[9]
        for row in _tcp_rows()
        if int(row[1].rsplit(":", 1)[1], 16) == port and row[3] == "0A"  # LISTEN
    }


def _socket_inodes(pid: int) -> set[str]:
    inodes = set()
    try:
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            try:
                target = os.readlink(fd)
            except OSError:
                continue
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
    except OSError:
        pass
    return inodes


def _worker_holding(server: Served, client: socket.socket) -> int | None:
    """The worker holding the server side of ``client``'s connection."""
    client_port = client.getsockname()[1]
    inodes = {
        row[9]
        for row in _tcp_rows()
        if int(row[1].rsplit(":", 1)[1], 16) == server.port
        and int(row[2].rsplit(":", 1)[1], 16) == client_port
    }
    for pid in server.workers():
        if _socket_inodes(pid) & inodes:
            return pid
    return None


def _get(client: socket.socket, path: str, cookie: str = "") -> bytes:
    head = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
    if cookie:
        head += f"Cookie: {cookie}\r\n"
    client.sendall((head + "\r\n").encode())
    return client.recv(65536)


def test_connections_are_spread_over_both_workers(served: Served) -> None:
    clients = [socket.create_connection(("127.0.0.1", served.port)) for _ in range(24)]
    try:
        holders = []
        for client in clients:
            assert _get(client, "/api/health").startswith(b"HTTP/1.1 200")
            holders.append(_worker_holding(served, client))
        counts = {pid: holders.count(pid) for pid in served.workers()}
        assert None not in holders
        # by a hash of the address pair: 24 connections all on one worker has odds of 1e-7
        assert all(count >= 1 for count in counts.values()), counts
    finally:
        for client in clients:
            client.close()


def test_a_session_from_one_worker_is_valid_on_every_worker(served: Served) -> None:
    first = httpx.get(served.url + "/api/session")
    cookie = f"arena_session={first.cookies['arena_session']}"
    csrf = first.json()["csrf_token"]
    for _ in range(12):  # fresh connections, spread over both workers
        reply = httpx.post(
            served.url + "/api/battles/" + "0" * 32 + "/vote",
            headers={"Cookie": cookie, "X-CSRF-Token": csrf},
            json={"verdict": "a"},
        )
        # 404 (no such battle) means the cookie and CSRF token were accepted: a worker
        # with a different key would have started a new session and answered 403
        assert reply.status_code == 404, reply.text


def test_a_dead_worker_is_replaced(served: Served) -> None:
    before = served.workers()
    time.sleep(max(0.0, 10.5 - _age_s(before[0])))  # past the start-up window
    os.kill(before[0], signal.SIGKILL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        now = served.workers()
        if len(now) == 2 and before[0] not in now and _all_listening(served):
            break
        time.sleep(0.2)
    else:
        pytest.fail(f"no new worker: {before} -> {served.workers()}")
    for _ in range(6):
        assert httpx.get(served.url + "/api/health").status_code == 200
    code, out = served.stop()
    assert code == 0, out
    assert "exited with status -9; starting another" in out


def test_sigterm_stops_every_worker(served: Served) -> None:
    workers = served.workers()
    code, out = served.stop()
    assert code == 0, out
    assert "Traceback" not in out
    for pid in workers:
        assert not Path(f"/proc/{pid}").exists() or "Z" in _state(pid)


def test_workers_stop_when_the_supervisor_is_killed(served: Served) -> None:
    workers = served.workers()
    served.process.kill()  # kill -9: no chance to stop them itself
    served.process.wait(10)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and any(Path(f"/proc/{p}").exists() for p in workers):
        time.sleep(0.2)
    assert not any(Path(f"/proc/{p}").exists() for p in workers), "orphaned workers"


def test_a_taken_port_is_a_clear_error(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        process = _serve(tmp_path, port, "--workers", "2")
        out, _ = process.communicate(timeout=60)
    assert process.returncode == 1, out
    assert f"127.0.0.1:{port} is already in use" in out
    assert "Traceback" not in out


def _age_s(pid: int) -> float:
    ticks = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19])
    uptime = float(Path("/proc/uptime").read_text().split()[0])
    return uptime - ticks / os.sysconf("SC_CLK_TCK")


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "gone"
