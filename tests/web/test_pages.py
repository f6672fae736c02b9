"""The HTML pages with what an import can leave: battles without conversation text."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from modelarena.arena import Arena
from modelarena.io import import_file


def _import_votes_without_text(arena: Arena, tmp_path: Path) -> None:
    """A log like the published battle logs: ids, models and winners, no conversations."""
    rows = [
        {"question_id": f"q{i}", "model_a": "gpt-4o", "model_b": "deepseek-v3", "winner": w}
        for i, w in enumerate(["model_a", "model_b", "tie", "tie (bothbad)"])
    ]
    path = tmp_path / "battles.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    assert import_file(path, catalog=arena.catalog, store=arena.store).imported == 4


async def test_model_page_after_importing_votes_without_text(
    scripted: Callable[..., Arena], api_client: Any, tmp_path: Path
) -> None:
    arena = scripted()
    _import_votes_without_text(arena, tmp_path)
    c = await api_client(arena)
    r = await c.get("/models/gpt-4o")
    assert r.status_code == 200, r.text[:500]
    assert "(imported without its conversation)" in r.text
    battle = arena.store.recent_battles(model="gpt-4o", limit=1)[0]
    assert f'href="/battles/{battle.id}"' in r.text
    assert (await c.get(f"/battles/{battle.id}")).status_code == 200
    assert (await c.get("/api/models/gpt-4o")).status_code == 200
