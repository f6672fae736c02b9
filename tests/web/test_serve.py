"""``arena serve`` with no config: the bundled model, SQLite, no key, no network."""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from webtools import free_port

pytestmark = [pytest.mark.llama, pytest.mark.slow]


def test_arena_serve_with_no_config_fights_and_stores_the_vote(
    tmp_path: Path, bundled_gguf_path: Path
) -> None:
    db = tmp_path / "votes.db"
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARENA_")}
    env["ARENA_DATABASE_URL"] = f"sqlite:///{db}"
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "modelarena", "serve", "--port", str(port)],
            cwd=tmp_path,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, log.read_text()
            try:
                if httpx.get(base + "/api/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
        printed = log.read_text()
        assert f"http://127.0.0.1:{port}/" in printed and "bundled" in printed

        with httpx.Client(base_url=base, timeout=120) as client:
            models = client.get("/api/models").json()
            assert [m["id"] for m in models] == ["smollm2-135m-creative", "smollm2-135m-precise"]
            token = client.get("/api/session").json()["csrf_token"]
            headers = {"X-CSRF-Token": token}
            created = client.post(
                "/api/battles",
                json={"prompt": "Say hello in one word.", "category": "chat"},
                headers=headers,
            )
            assert created.status_code == 201, created.text
            battle_id = created.json()["id"]
            stream = client.get(f"/api/battles/{battle_id}/stream").text
            assert "event: done" in stream and '"status":"complete"' in stream, stream[-500:]
            assert len(re.findall(r"^event: delta", stream, re.M)) >= 2
            vote = client.post(
                f"/api/battles/{battle_id}/vote", json={"verdict": "tie"}, headers=headers
            )
            assert vote.status_code == 200, vote.text
            assert vote.json()["reveal"]["a"]["model"]["lab"] == "Hugging Face"
            assert client.get("/api/leaderboard").json()["total_votes"] == 1
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT battle_id, verdict, counted FROM votes").fetchall()
    assert rows == [(battle_id, "tie", 1)]
    assert (tmp_path / "votes.db.secret").is_file()  # the session key, kept with the db
    assert "Traceback" not in log.read_text()
