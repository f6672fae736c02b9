"""kill -9 in the middle of a large SQLite import (the real command, in a child process, with
the database to itself, so it writes through a rollback journal): nothing of it stays, the
file opens in WAL mode, whole, and the same import then stores every row."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from vote_log_files import battle_33k, count_votes, write_jsonl

from modelarena.store import Store

ROWS = 100_000  # over the rollback journal's 50,000 rows; about 10 s to import here


def test_an_import_killed_midway_leaves_nothing_and_a_sound_file(tmp_path: Path) -> None:
    db_file = tmp_path / "arena.db"
    url = f"sqlite:///{db_file}"
    Store.open(url).close()
    rows = [battle_33k(i, "gpt-4-0613", "mystery-7b", "model_a") for i in range(ROWS)]
    log = write_jsonl(tmp_path / "log.jsonl", rows)
    journal = db_file.with_name(db_file.name + "-journal")
    cmd = [sys.executable, "-m", "modelarena", "import", str(log), "--db", url]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and proc.poll() is None:
            if journal.exists() and journal.stat().st_size > 0:
                break  # writing, through the rollback journal
            time.sleep(0.02)
        time.sleep(0.5)  # well into the rows
        assert proc.poll() is None, "the import ended before it could be killed"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert journal.exists()  # the hot journal that rolls the import back

    store = Store.open(url)
    try:
        assert count_votes(store) == 0
        with store.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    finally:
        store.close()
    assert not journal.exists()

    done = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    store = Store.open(url)
    try:
        assert count_votes(store) == ROWS
    finally:
        store.close()
