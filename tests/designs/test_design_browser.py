"""Design answers rendered in real Chromium, through ``arena designs check``: each fault is
found in the page that has it, and only there (one browser for the whole module).

Battles (side a | side b):
  0: a clean page               | a page 1200 px wide (overflows a 390 px phone)
  1: a script error             | ``while(true){}`` (killed at the timeout)
  2: an image without alt text  | requests to a listener on 127.0.0.1 (must stay silent)
  3: a page that eats memory    | a clean page (V8's heap capped at 64 MiB: the hog crashes)
  4: a fragment link, then a link away | a form submission and a popup
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from design_pages import design_battles, page
from typer.testing import CliRunner

from modelarena.cli.main import app
from modelarena.store.design_checks import DesignCheckRecord

pytestmark = pytest.mark.browser
CHROMIUM = "/usr/bin/chromium"
TIMEOUT_S = 4.0
HOG = "const a = []; while (true) { a.push(new Array(1e6).fill(Math.random())); }"


def require_chromium() -> None:
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail("Chromium is not installed at /usr/bin/chromium")
        pytest.skip("Chromium is not installed at /usr/bin/chromium")
    pytest.importorskip("playwright")


class Listener:
    """A TCP listener on loopback that counts connections."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self.running = True
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.thread.start()

    def _loop(self) -> None:
        while self.running:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.connections += 1
            conn.close()

    def close(self) -> None:
        self.running = False
        self.thread.join(timeout=2)
        self.sock.close()


@pytest.fixture(scope="module")
def checked(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    require_chromium()
    listener = Listener()
    url = f"http://127.0.0.1:{listener.port}"
    network = (
        f'fetch("{url}/fetch").catch(() => {{}});'
        f'new Image().src = "{url}/image";'
        f'const s = document.createElement("script"); s.src = "{url}/script.js";'
        "document.head.appendChild(s);"
    )
    pairs = [
        (page("<p>Fine.</p>"), page('<div style="width:1200px">Too wide</div>')),
        (page("<p>Broken.</p>", "notDefinedAnywhere();"), page("<p>Busy</p>", "while(true){}")),
        (
            page('<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">'),
            page("<p>Phones home.</p>", network),
        ),
        (page("<p>Hungry.</p>", HOG), page("<p>Also fine.</p>")),
        (
            page(
                f'<a id="in" href="#top">Top</a><a id="out" href="{url}/away">Away</a>',
                'document.getElementById("in").click();'
                'setTimeout(() => document.getElementById("out").click(), 50);',
            ),
            page(
                f'<form id="f" action="{url}/form"><input name="q" aria-label="q"></form>',
                f'document.getElementById("f").submit(); window.open("{url}/popup");',
            ),
        ),
    ]
    db = "sqlite:///" + str(tmp_path_factory.mktemp("designs") / "arena.db")
    arena, ids = design_battles(db, pairs)
    started = time.monotonic()
    args = ["designs", "check", "--pending", "--workers", "3", "--timeout", str(TIMEOUT_S)]
    args += ["--heap-mb", "64"]
    result = CliRunner().invoke(app, [*args, "--no-progress", "--db", db])
    elapsed = time.monotonic() - started
    time.sleep(0.5)  # any late connection would have arrived
    listener.close()
    checks = {
        (c.battle_id, c.side): c for b in ids for c in arena.store.design_checks.for_battle(b)
    }
    yield {
        "result": result,
        "ids": ids,
        "checks": checks,
        "arena": arena,
        "listener": listener,
        "elapsed": elapsed,
        "db": db,
    }


def get(checked: dict[str, Any], battle: int, side: str) -> DesignCheckRecord:
    check: DesignCheckRecord = checked["checks"][(checked["ids"][battle], side)]
    return check


def test_every_answer_is_checked_and_stored(checked: dict[str, Any]) -> None:
    assert checked["result"].exit_code == 0, checked["result"].output
    assert "Checked 10 design answers" in checked["result"].output
    assert len(checked["checks"]) == 10
    store = checked["arena"].store
    shot = store.design_checks.screenshot(checked["ids"][0], 0, "a")
    assert shot is not None and shot.startswith(b"\x89PNG")
    assert store.design_checks.pending(("website",)) == []  # nothing left to check


def test_a_clean_page_has_no_finding(checked: dict[str, Any]) -> None:
    c = get(checked, 0, "a")
    assert c.status == "ok" and c.works
    assert (c.js_errors, c.console_errors, c.network_attempts) == (0, 0, 0)
    assert c.overflow is False and c.scroll_width == 390
    assert (c.a11y_critical, c.a11y_serious) == (0, 0)
    assert c.first_paint_ms is not None and 0 < c.first_paint_ms < TIMEOUT_S * 1000


def test_a_script_error_is_detected(checked: dict[str, Any]) -> None:
    c = get(checked, 1, "a")
    assert c.status == "ok" and c.js_errors == 1 and not c.works
    assert any("notDefinedAnywhere" in m for m in c.messages()["js"])
    assert c.overflow is False


def test_overflow_on_a_phone_is_detected(checked: dict[str, Any]) -> None:
    c = get(checked, 0, "b")
    assert c.status == "ok" and c.works and c.overflow is True and c.scroll_width >= 1200


def test_an_accessibility_violation_is_detected(checked: dict[str, Any]) -> None:
    c = get(checked, 2, "a")
    assert c.status == "ok" and c.works and c.overflow is False
    assert (c.a11y_critical or 0) >= 1  # image-alt is critical in axe
    assert "image-alt" in c.detail


def test_a_page_that_loops_forever_is_killed_and_recorded_as_timeout(
    checked: dict[str, Any],
) -> None:
    c = get(checked, 1, "b")
    assert c.status == "timeout" and not c.works
    assert TIMEOUT_S <= c.render_s < TIMEOUT_S + 3
    # the pool went on: the run took about one timeout, not one per page
    assert checked["elapsed"] < 60


def test_a_page_that_exhausts_its_memory_is_recorded_as_crashed(checked: dict[str, Any]) -> None:
    c = get(checked, 3, "a")
    assert c.status == "crashed" and not c.works and c.render_s < TIMEOUT_S + 20
    assert get(checked, 3, "b").status == "ok"  # the pool went on


def test_network_attempts_are_counted_and_blocked(checked: dict[str, Any]) -> None:
    c = get(checked, 2, "b")
    assert c.status == "ok" and c.network_attempts == 3, c.messages()
    assert checked["listener"].connections == 0
    assert c.console_errors == 0  # the sandbox's refusals are not the page's errors


def test_navigations_forms_and_popups_are_network_attempts(checked: dict[str, Any]) -> None:
    away = get(checked, 4, "a")  # the fragment link stays on the page; the other leaves
    assert away.status == "navigated" and away.network_attempts == 1 and not away.works
    assert away.overflow is None  # nothing of the design is left to measure
    shot = checked["arena"].store.design_checks.screenshot(checked["ids"][4], 0, "a")
    assert shot is not None  # what the voter's frame shows instead
    form = get(checked, 4, "b")
    assert form.status == "ok" and form.network_attempts == 2 and form.console_errors == 0
    assert checked["listener"].connections == 0


def test_the_report_gives_each_share_with_its_interval(checked: dict[str, Any]) -> None:
    out = CliRunner().invoke(app, ["designs", "report", "--db", checked["db"], "-f", "json"])
    assert out.exit_code == 0, out.output
    import json

    rows = {r["model"]: r for r in json.loads(out.output)}
    a, b = rows["deepseek-v3"], rows["gpt-4o"]
    assert a["n"] == 5 and a["works"]["value"] == pytest.approx(2 / 5)
    assert b["works"]["value"] == pytest.approx(4 / 5)
    assert b["timeouts"]["value"] == pytest.approx(1 / 5)
    assert 0 < a["works"]["lower"] < a["works"]["value"] < a["works"]["upper"] <= 1
    assert b["network"]["value"] == pytest.approx(2 / 5)
