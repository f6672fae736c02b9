"""A large SQLite import with the database to itself writes through a rollback journal:
killed with kill -9 halfway, nothing of it stays, the file opens in WAL mode, whole, and the
same import then stores every row; a connection opened meanwhile waits for it."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

from vote_log_files import battle_33k, count_votes, write_jsonl

from modelarena.store import Store
from modelarena.store.engine import make_engine

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


def test_a_connection_opened_during_such_an_import_waits_for_it(tmp_path: Path) -> None:
    """Until the import holds the file alone (it has taken the write lock, not yet the
    exclusive one), SQLite refuses another connection's switch to WAL at once rather than
    waiting: the engine's connection waits anyway, then opens in WAL mode."""
    db_file = tmp_path / "arena.db"
    url = f"sqlite:///{db_file}"
    Store.open(url).close()
    importer = sqlite3.connect(db_file, isolation_level=None, check_same_thread=False)
    assert importer.execute("PRAGMA journal_mode=DELETE").fetchone() == ("delete",)
    importer.execute("BEGIN IMMEDIATE")
    importer.execute("DELETE FROM pair_counts")

    def finish() -> None:
        time.sleep(1.0)
        importer.execute("COMMIT")

    done = threading.Thread(target=finish)
    done.start()
    began = time.monotonic()
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert time.monotonic() - began >= 0.5  # it waited for the import
    finally:
        engine.dispose()
        done.join()
        importer.close()
