"""Crash test: kill -9 the server in the middle of a vote load; no acknowledged vote is lost.

    .venv/bin/python benchmarks/crash_votes.py                        # SQLite (WAL)
    .venv/bin/python benchmarks/crash_votes.py --backend postgres --workers 2

Same set-up as ``load_votes.py`` (pre-made battles, browser-like clients, server as a
subprocess on 127.0.0.1). Once ``--kill-after`` votes have been acknowledged, the whole
server process group gets SIGKILL while requests are in flight. Then it is started again
on the same database and we check that every vote that got a 2xx is stored, counted, and
in the leaderboard's pair counts, and that the restarted server serves the same totals.
Exit status 1 if an acknowledged vote is missing.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from load_votes import (  # noqa: E402
    Client,
    Outcome,
    Server,
    cleanup,
    premade_battles,
    prepare,
    run_client,
)


async def load_and_kill(
    server: Server, clients: list[Client], kill_after: int, deadline_s: float
) -> tuple[Outcome, float]:
    outcome = Outcome()
    stop = asyncio.Event()
    start = time.perf_counter()

    async def killer() -> None:
        while len(outcome.acked) < kill_after and time.perf_counter() - start < deadline_s:
            await asyncio.sleep(0.005)
        server.kill9()
        stop.set()

    tasks = [
        run_client(server.url, c, outcome, interval=None, start_at=start, stop=stop)
        for c in clients
    ]
    await asyncio.gather(killer(), *tasks)
    return outcome, time.perf_counter() - start


def verify(db_url: str, acked: list[str]) -> dict[str, Any]:
    from sqlalchemy import select

    from modelarena.store import Store
    from modelarena.store.schema import votes

    store = Store.open(db_url)
    with store.engine.connect() as conn:
        rows = conn.execute(select(votes.c.battle_id, votes.c.counted)).all()
    stored = {r[0]: bool(r[1]) for r in rows}
    summary = store.filtered_vote_summary()
    cells = store.pair_cells()
    cached = int((cells.wins_a + cells.wins_b + cells.ties).sum())
    store.close()
    missing = [b for b in acked if b not in stored]
    uncounted = [b for b in acked if b in stored and not stored[b]]
    return {
        "acked": len(acked),
        "stored": len(stored),
        "missing": len(missing),
        "acked_not_counted": len(uncounted),
        "pair_counts": cached,
        "counted": summary.get("counted", 0),
        "ok": not missing and not uncounted and cached == summary.get("counted", 0),
    }


def run(
    backend: str = "sqlite",
    workers: int = 1,
    clients: int = 20,
    votes: int = 2000,
    kill_after: int = 300,
    deadline_s: float = 60.0,
    db_url: str | None = None,
    redis_url: str | None = None,
) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="arena-crash-") as tmp:
        folder = Path(tmp)
        setup = prepare(
            backend, folder, use_redis=backend == "postgres", db_url=db_url, redis_url=redis_url
        )
        try:
            made = premade_battles(
                setup.db_url, setup.env["ARENA_SECRET_KEY"], clients, votes // clients
            )
            server = Server(setup.env, workers, log=folder / "server.log")
            server.start()
            try:
                outcome, seconds = asyncio.run(load_and_kill(server, made, kill_after, deadline_s))
            finally:
                server.kill9()
            result = verify(setup.db_url, outcome.acked)
            # the restarted server sees every vote
            again = Server(setup.env, workers, log=folder / "server.log")
            again.start()
            try:
                board = httpx.get(again.url + "/api/leaderboard", timeout=30).json()
            finally:
                again.stop()
            result["restarted_total_votes"] = board["total_votes"]
            result["ok"] = result["ok"] and board["total_votes"] == result["counted"]
            result["in_flight_errors"] = sum(outcome.errors.values())
            result["seconds_to_kill"] = round(seconds, 2)
            result["backend"] = backend
            result["workers"] = workers
        finally:
            cleanup(setup, backend)
    return result


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
    p.add_argument("--workers", type=int, default=1)
    p.add_argument("--clients", type=int, default=50)
    p.add_argument("--votes", type=int, default=5000)
    p.add_argument(
        "--kill-after", type=int, default=1000, help="kill once this many votes were acknowledged"
    )
    p.add_argument("--rounds", type=int, default=1, help="repeat the crash this many times")
    a = p.parse_args(argv)
    ok = True
    for _ in range(a.rounds):
        result = run(a.backend, a.workers, a.clients, a.votes, a.kill_after)
        print(json.dumps(result))
        ok = ok and result["ok"]
    print("no acknowledged vote lost" if ok else "ACKNOWLEDGED VOTES LOST", file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
