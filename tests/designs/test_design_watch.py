"""``arena designs check --watch``: a background worker beside ``arena serve`` that checks
design answers as they are stored (a real process, a real browser)."""

from __future__ import annotations

import os
import subprocess
import sys
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
    try:
        time.sleep(1.5)
        assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""  # still watching
        arena, (battle,) = design_battles(sqlite_url, [(page("<p>1</p>"), page("<p>2</p>"))])
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and len(arena.store.design_checks.for_battle(battle)) < 2:
            time.sleep(0.5)
        checks = arena.store.design_checks.for_battle(battle)
        assert [c.status for c in checks] == ["ok", "ok"]
        assert proc.poll() is None  # and it keeps watching
    finally:
        proc.terminate()
        out, _ = proc.communicate(timeout=30)
    assert "Checked 2 design answers: ok 2" in out
