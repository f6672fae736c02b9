"""kill -9 the server mid-load (a real uvicorn subprocess on loopback): no acknowledged
vote is lost. Bounded: a few hundred votes, the kill after 60 acknowledgements."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

BENCH = Path(__file__).resolve().parents[2] / "benchmarks"


def _crash_module() -> ModuleType:
    sys.path.insert(0, str(BENCH))
    try:
        spec = importlib.util.spec_from_file_location("crash_votes", BENCH / "crash_votes.py")
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module
    finally:
        sys.path.remove(str(BENCH))


@pytest.mark.slow
def test_kill_9_on_sqlite_loses_no_acknowledged_vote(sqlite_url: str) -> None:
    result = _crash_module().run(
        "sqlite", 1, clients=10, votes=400, kill_after=60, deadline_s=90, db_url=sqlite_url
    )
    assert result["acked"] >= 60, result
    assert result["missing"] == 0 and result["ok"], result


@pytest.mark.slow
@pytest.mark.postgres
def test_kill_9_on_postgres_with_two_workers_loses_nothing(
    pg_database: str, redis_url: str
) -> None:
    from integrity_helpers import reset_pg

    reset_pg(pg_database)
    result = _crash_module().run(
        "postgres",
        2,
        clients=10,
        votes=400,
        kill_after=60,
        deadline_s=90,
        db_url=pg_database,
        redis_url=redis_url,
    )
    assert result["acked"] >= 60, result
    assert result["missing"] == 0 and result["ok"], result
