"""Running the audit engine from the (synchronous) tests: the arena of some models, one run
of the engine that closes the arena after, and the settings of a model on the real
llama_cpp.server."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from modelarena.arena import Arena
from modelarena.audits.engine import AuditEngine, AuditOptions, AuditReport
from modelarena.audits.probes import Suite
from modelarena.config import Settings
from modelarena.runs.cache import Cache
from modelarena.store import Store


def arena_of(db: str, models: Sequence[Any]) -> Arena:
    """An arena on the database ``db`` with ``models`` (ModelConfig or dicts)."""
    settings = Settings.model_validate({"database_url": db, "models": list(models)})
    return Arena(settings, Store.open(db))


def run_engine(
    arena: Arena,
    suites: Sequence[Suite],
    options: AuditOptions,
    cache: Path | Cache,
    **kwargs: Any,
) -> AuditReport:
    """One run of the engine (``kwargs`` go to it), the arena closed after."""

    async def go() -> AuditReport:
        try:
            store = cache if isinstance(cache, Cache) else Cache(cache)
            return await AuditEngine(arena, suites, options, store, **kwargs).run()
        finally:
            await arena.aclose()

    return asyncio.run(go())


def served_settings(db: str, llama_server: Any) -> Settings:
    """One model, ``served``, on the llama_cpp.server fixture: greedy and short, one request
    at a time (the server answers them in turn)."""
    return Settings.model_validate(
        {
            "database_url": db,
            "models": [
                {
                    "id": "served",
                    "backend": "openai",
                    "base_url": llama_server.base_url,
                    "model": llama_server.model_name,
                    "temperature": 0.0,
                    "seed": 1,
                    "max_tokens": 8,
                    "max_concurrency": 1,
                }
            ],
        }
    )


def audit_bundled_gguf(tmp_path: Path, gguf: Path, suites: str, limit: int) -> tuple[Path, Any]:
    """``arena audit run --json`` (offline rules) of the bundled model, greedy and short, on
    a fresh SQLite database: the config written and the JSON printed."""
    from typer.testing import CliRunner

    from modelarena.cli.main import app

    config = tmp_path / "arena.toml"
    config.write_text(
        f'database_url = "sqlite:///{tmp_path / "arena.db"}"\n'
        f'[[models]]\nid = "smol"\nbackend = "gguf"\npath = "{gguf}"\n'
        "n_ctx = 2048\ntemperature = 0.0\nseed = 1\nmax_tokens = 16\n"
    )
    args = ["audit", "run", "-c", str(config), "--suite", suites, "--limit", str(limit)]
    args += ["--judge", "rules", "--no-progress", "--work-dir", str(tmp_path / "w"), "--json"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    return config, json.loads(result.output)
