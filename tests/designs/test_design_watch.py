"""``arena designs check --watch``: a background worker beside ``arena serve`` that checks
design answers as they are stored (a real process, a real browser)."""

from __future__ import annotations

import os
import queue
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from design_pages import design_battles, page

pytestmark = pytest.mark.browser


def test_the_watcher_checks_answers_stored_after_it_started(sqlite_url: str) -> None:
    if not Path("/usr/bin/chromium").exists():
        if os.environ.get("CI"):
            pytest.fail("Chromium is not installed at /usr/bin/chromium")
        pytest.skip("Chromium is not installed at /usr/bin/chromium")
    arena, _ = design_battles(sqlite_url, [])  # the database, no battle yet
    args = ["designs", "check", "--watch", "0.5", "--no-progress", "--db", sqlite_url]
    proc = subprocess.Popen(
        [sys.executable, "-m", "modelarena", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: queue.Queue[str] = queue.Queue()
    assert proc.stdout is not None
    threading.Thread(target=lambda: [lines.put(x) for x in proc.stdout], daemon=True).start()
    log: list[str] = []

    def read_until(text: str, seconds: float) -> bool:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                log.append(lines.get(timeout=0.5))
            except queue.Empty:
                continue
            if text in log[-1]:
                return True
        return False

    try:
        time.sleep(1.5)
        assert proc.poll() is None, "".join(log)  # still watching
        arena, (battle,) = design_battles(sqlite_url, [(page("<p>1</p>"), page("<p>2</p>"))])
        # its log says each round as it ends (a pipe would otherwise hold it back)
        assert read_until("Checked 2 design answers: ok 2", 90), "".join(log)
        checks = arena.store.design_checks.for_battle(battle)
        assert [c.status for c in checks] == ["ok", "ok"]
        time.sleep(1.0)
        assert proc.poll() is None  # and it keeps watching
    finally:
        proc.terminate()  # SIGTERM, as a service manager stops it
        proc.wait(timeout=30)
    # it stops cleanly and says what it did since it started
    assert read_until("Stopped watching", 10), "".join(log)
    assert "checked 2 design answers since the start: ok 2" in log[-1]
    assert proc.returncode == 0
