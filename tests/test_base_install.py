"""The base install (no extras) must work: optional packages are imported only when used."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

# what only the extras bring: postgres (psycopg, greenlet), redis, local, parquet, browser, fast
OPTIONAL = ["psycopg", "greenlet", "redis", "llama_cpp", "pyarrow", "playwright", "orjson"]

SCRIPT = """
import sys
for name in {optional!r}:
    sys.modules[name] = None  # importing it now raises ImportError
import asyncio
from fastapi.testclient import TestClient
from modelarena.arena import Arena
from modelarena.battles.records import Answer, Verdict
from modelarena.cli.main import main  # noqa: F401
from modelarena.config import ModelConfig, Settings
from modelarena.store import Store
from modelarena.web import create_app

url = "sqlite:///" + sys.argv[1]
models = [
    ModelConfig(id=m, catalog=m, backend="openai", base_url="http://127.0.0.1:9/v1", model=m)
    for m in ("deepseek-v3", "gpt-4o")
]
arena = Arena(Settings(database_url=url, models=models), Store.open(url))
assert not arena.store.batches_votes
with TestClient(create_app(arena)) as client:
    token = client.get("/api/session").json()["csrf_token"]
    sid = client.app.state.ctx.codec.loads(client.cookies.get("arena_session")).id
    battle = arena.store.create_battle(
        category="chat", model_a="deepseek-v3", model_b="gpt-4o", session_id=sid, prompt="hi"
    )
    arena.store.save_answers(battle.id, [Answer("a", 0, "hi", "one"), Answer("b", 0, "hi", "two")])
    r = client.post(
        f"/api/battles/{{battle.id}}/vote",
        json={{"verdict": "a"}},
        headers={{"X-CSRF-Token": token}},
    )
    assert r.status_code == 200 and r.json()["counted"], r.text
print("base install ok")
"""


def test_the_web_arena_votes_without_any_extra(tmp_path: Path) -> None:
    script = SCRIPT.format(optional=OPTIONAL)
    result = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path / "arena.db")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "base install ok" in result.stdout
