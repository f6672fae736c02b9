"""Helpers of the design-check tests: small pages, and design battles between scripted models."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from scripted import scripted_arena

from modelarena.arena import Arena

A, B = "deepseek-v3", "gpt-4o"  # scripted contestants (catalog models)


def fenced(body: str) -> str:
    return f"Here is the page:\n```html\n<!DOCTYPE html>\n{body}\n```"


def page(main: str, script: str = "") -> str:
    """A small page that passes axe's document rules (language, title, one main landmark,
    one heading), so a violation in ``main`` is the only one."""
    return (
        '<html lang="en"><head><title>Check</title></head><body><main><h1>Page</h1>'
        f"{main}</main>{f'<script>{script}</script>' if script else ''}</body></html>"
    )


def design_battles(
    db_url: str, pairs: Sequence[tuple[str, str]], category: str = "website"
) -> tuple[Arena, list[str]]:
    """One complete design battle per (page of A, page of B), A always on side a."""
    arena = scripted_arena(
        db_url, {A: [fenced(a) for a, _ in pairs], B: [fenced(b) for _, b in pairs]}
    )
    ids = []
    for i in range(len(pairs)):
        prompt = f"Build page number {i}"  # distinct prompts: no per-prompt vote cap
        battle = arena.start_battle(category, prompt, models=[A, B])
        asyncio.run(arena.run_turn(battle.id, prompt))
        ids.append(battle.id)
    return arena, ids
