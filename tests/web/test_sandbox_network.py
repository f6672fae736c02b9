"""The design sandbox opens no connection: proven in Chromium against loopback listeners.

Every variant in sandbox_variants.py (WebRTC with STUN/TURN servers or a remote candidate,
nested frames made every way we know, navigations, hints, prefetching, script requests,
subresources) is the answer of both models of a design battle. Each variant gets its own
TCP listener and UDP socket on 127.0.0.1 (random ports) and a host name of its own; the
battle is shown through the app's real battle page and frames (the arena page too, for
one), and then:

- the listeners must see no packet and no connection;
- Chromium's own network log must show no connection attempt and no DNS look-up for them.

The positive control runs the same payloads as plain pages, outside the sandbox, against a
second set of listeners: each variant that can leak there must be seen leaking, so the test
fails if the listeners or the payloads stop working.

    python -m pytest tests/web/test_sandbox_network.py -s   # prints the table in docs/security.md
"""

from __future__ import annotations

import contextlib
import http.server
import json
import re
import selectors
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sandbox_variants import VARIANTS, Variant, payload
from webtools import CHROMIUM, CHROMIUM_ARGS, require_chromium

pytestmark = pytest.mark.browser

SETTLE_S = 3.0  # after the frames load: ICE checks start within ~1 s, retransmit for ~40 s
BATCH = 12  # battle pages open at once


class Listeners:
    """A TCP listener and a UDP socket on loopback for each variant; counts what arrives."""

    def __init__(self, names: list[str]) -> None:
        self.selector = selectors.DefaultSelector()
        self.ports: dict[str, tuple[int, int]] = {}
        self.seen: dict[str, dict[str, int]] = {n: {"tcp": 0, "udp": 0} for n in names}
        self.sockets: list[socket.socket] = []
        for name in names:
            tcp, udp = self._pair()
            for sock, kind in ((tcp, "tcp"), (udp, "udp")):
                sock.setblocking(False)
                self.selector.register(sock, selectors.EVENT_READ, (kind, name))
                self.sockets.append(sock)
            self.ports[name] = (tcp.getsockname()[1], udp.getsockname()[1])
        self.running = True
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.thread.start()

    @staticmethod
    def _pair() -> tuple[socket.socket, socket.socket]:
        """A TCP listener and a UDP socket on one port number. Its ``127.0.0.1:port`` in
        the network log then names them alone: no other socket of either kind can have it
        (a UDP socket on a port of its own shared its number with some TCP connection's
        source port now and then, and the log named that connection)."""
        while True:
            tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            tcp.bind(("127.0.0.1", 0))
            udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            try:
                udp.bind(("127.0.0.1", tcp.getsockname()[1]))
            except OSError:  # that number is taken for UDP: another one
                tcp.close()
                udp.close()
                continue
            tcp.listen(64)
            return tcp, udp

    def _loop(self) -> None:
        while self.running:
            for key, _ in self.selector.select(0.05):
                kind, name = key.data
                sock: socket.socket = key.fileobj  # type: ignore[assignment]
                try:
                    if kind == "tcp":
                        conn, _ = sock.accept()
                        conn.close()
                    else:
                        sock.recvfrom(65536)
                except OSError:
                    continue
                self.seen[name][kind] += 1

    def host(self, name: str) -> str:
        return f"{name}-{self.ports[name][0]}.sandbox-leak.test"

    def payload(self, variant: Variant) -> str:
        tcp, udp = self.ports[variant.name]
        return payload(variant, tcp=tcp, udp=udp, host=self.host(variant.name))

    def close(self) -> None:
        self.running = False
        self.thread.join(timeout=5)
        for sock in self.sockets:
            sock.close()


def attempts_in_net_log(path: Path, listeners: Listeners) -> dict[str, int]:
    """Events in Chromium's network log that name a variant's address (its port exactly)
    or host name."""
    log = json.loads(path.read_text("utf-8"))
    counts = dict.fromkeys(listeners.ports, 0)
    by_port = {p: name for name, pair in listeners.ports.items() for p in pair}
    by_host = {listeners.host(name): name for name in listeners.ports}
    for event in log["events"]:
        params = json.dumps(event.get("params") or {})
        named = {by_port.get(int(p)) for p in _ADDRESS.findall(params)}
        named |= {by_host.get(h) for h in _HOST.findall(params)}
        for name in named - {None}:
            counts[name] += 1  # type: ignore[index]
    return counts


_ADDRESS = re.compile(r"127\.0\.0\.1:(\d+)")
_HOST = re.compile(r"[\w.-]+\.sandbox-leak\.test")


@contextlib.contextmanager
def chromium_with_net_log(path: Path) -> Iterator[Any]:
    require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[*CHROMIUM_ARGS, f"--log-net-log={path}"],
        )
        try:
            yield browser
        finally:
            browser.close()  # writes the end of the network log


def design_answer(html: str) -> str:
    return f"Here it is:\n```html\n<!DOCTYPE html>\n{html}\n```"


class ControlServer:
    """Serves each payload as a plain page: no sandbox, no policy."""

    def __init__(self, pages: dict[str, str]) -> None:
        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = pages.get(self.path.lstrip("/"))
                self.send_response(200 if body is not None else 404)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.end_headers()
                self.wfile.write((body or "").encode())

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def open_in_batches(context: Any, urls: list[str]) -> None:
    for start in range(0, len(urls), BATCH):
        pages = []
        for url in urls[start : start + BATCH]:
            page = context.new_page()
            with contextlib.suppress(Exception):  # a control payload may navigate away
                page.goto(url, wait_until="load", timeout=15_000)
            pages.append(page)
        time.sleep(SETTLE_S)
        for page in pages:
            page.close()


def test_design_sandbox_opens_no_connection(
    scripted: Any, live_server: Any, tmp_path: Path
) -> None:
    """Zero TCP connections and UDP packets from any variant, and no mention of their
    addresses or host names in Chromium's network log. (The log once named a sandbox
    listener now and then: a listener's port number was also some other connection's;
    each TCP and UDP pair now shares one number no other socket can hold, and ports are
    matched whole.)"""
    seen, logged = _sandbox_round(scripted, live_server, tmp_path)
    packets = {n: s for n, s in seen.items() if any(s.values())}
    assert packets == {}, f"connections out of the sandbox: {packets}"
    mentioned = {n: c for n, c in logged.items() if c}
    assert mentioned == {}, f"Chromium's network log names sandbox hosts: {mentioned}"


def _sandbox_round(
    scripted: Any, live_server: Any, tmp_path: Path
) -> tuple[dict[str, dict[str, int]], dict[str, int]]:
    tmp_path.mkdir(parents=True, exist_ok=True)
    names = [v.name for v in VARIANTS]
    arena_variant = next(v for v in VARIANTS if v.name == "webrtc-remote-candidate")
    inside = Listeners([*names, "arena-page"])
    outside = Listeners(names)
    answers = [design_answer(inside.payload(v)) for v in VARIANTS]
    tcp, udp = inside.ports["arena-page"]
    answers.append(design_answer(payload(arena_variant, tcp=tcp, udp=udp, host="a.test")))
    arena = scripted({"deepseek-v3": answers, "gpt-4o": answers}, battles_per_minute=10_000)
    server = live_server(arena)
    control = ControlServer({v.name: outside.payload(v) for v in VARIANTS})
    net_log = tmp_path / "netlog.json"
    try:
        with chromium_with_net_log(net_log) as browser:
            context = browser.new_context()
            api = context.request
            csrf = api.get(server.url + "/api/session").json()["csrf_token"]
            battle_ids = []
            frames_per_page: set[int] = set()
            for v in VARIANTS:
                r = api.post(
                    server.url + "/api/battles",
                    data={"prompt": f"Design {v.name}", "category": "website"},
                    headers={"X-CSRF-Token": csrf},
                )
                assert r.status == 201, r.text()
                battle_ids.append(r.json()["id"])
                assert "event: done" in api.get(server.url + r.json()["stream_url"]).text()
            # through the real pages and frames the app serves: the battle page ...
            for start in range(0, len(battle_ids), BATCH):
                pages = []
                for battle_id in battle_ids[start : start + BATCH]:
                    page = context.new_page()
                    page.goto(f"{server.url}/battles/{battle_id}")
                    frames = page.locator("iframe.design-frame")
                    assert frames.count() == 2
                    assert frames.first.get_attribute("sandbox") == "allow-scripts"
                    pages.append(page)
                time.sleep(SETTLE_S)
                for page in pages:
                    frames_per_page.add(len(page.frames))
                    page.close()
            # ... and the arena page, where the frames come from arena.js
            page = context.new_page()
            page.goto(server.url + "/")
            page.locator('.cat:has(input[value="website"])').click()
            page.fill("#prompt", "One more design")
            page.click("#send-btn")
            page.wait_for_selector("#votebar:not([hidden])")
            arena_src = page.locator("iframe.design-frame").first.get_attribute("src") or ""
            time.sleep(SETTLE_S)
            page.close()
            context.close()

            # positive control: the same payloads outside the sandbox
            plain = browser.new_context()
            open_in_batches(plain, [f"{control.url}/{v.name}" for v in VARIANTS])
            plain.close()
        logged = attempts_in_net_log(net_log, inside)
    finally:
        control.close()
        inside.close()
        outside.close()

    rows = []
    for v in VARIANTS:
        seen, out = inside.seen[v.name], outside.seen[v.name]
        rows.append(
            f"| `{v.name}` | {out['tcp']} / {out['udp']} | {seen['tcp']} / {seen['udp']} "
            f"| {logged[v.name]} |"
        )
    print(
        "\n| variant | outside: TCP conn. / UDP packets | sandbox: TCP / UDP | sandbox: "
        "attempts in Chromium's net log |\n|---|---|---|---|\n" + "\n".join(rows)
    )
    silent = [
        v.name for v in VARIANTS if v.leaks_outside and not any(outside.seen[v.name].values())
    ]
    assert silent == [], f"these payloads did not leak even outside the sandbox: {silent}"
    assert frames_per_page == {3}  # the page and its two designs, nothing nested
    assert arena_src.startswith("/designs/")  # each design at its own address
    return dict(inside.seen), logged
