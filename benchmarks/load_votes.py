"""Load test: 50 concurrent clients cast 5,000 votes on a running server (loopback only).

    .venv/bin/python benchmarks/load_votes.py --backend sqlite
    .venv/bin/python benchmarks/load_votes.py --backend postgres --workers 2   # + Redis
    .venv/bin/python benchmarks/load_votes.py --backend postgres --workers 2 --rate 500

Before the server starts, complete battles (scripted answers, so no model runs) are written
through the store, each owned by one of the clients' sessions. The server is started as a
subprocess on 127.0.0.1: ``arena serve --workers N`` (one listener per worker, so the
kernel balances connections), or with ``--server uvicorn`` uvicorn's own
``--workers N`` (``uvicorn --factory modelarena.asgi:app_factory``, one shared
listener). Each client does what a browser does: it presents its session cookie, fetches
the CSRF token from ``GET /api/session``, then votes on its battles one after another
with ``X-CSRF-Token``. ``--rate`` paces the clients to that many votes per second in total
(open loop); without it they vote as fast as the server answers (closed loop).

Checks: every vote got a 2xx, exactly N votes are stored and counted, and the leaderboard's
vote counts (asked several times, so every worker answers) match. Prints votes/s, p50/p99
latency, and the CPU milliseconds each vote cost the server, PostgreSQL, Redis and the load
generator (they all share the machine's cores); ``--repeat N`` runs it N times and prints the
median; ``--json`` for machine-readable output. The PostgreSQL database it creates
(``arena_load``) is dropped at the end. Exit status 1 if a check fails.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import httpx
import lean_http
from cpu_usage import CpuSnapshot, per_vote_ms

MODELS = [
    "deepseek-v3",
    "gpt-4o",
    "claude-3.5-sonnet",
    "llama-3.1-8b-instruct",
    "qwen2.5-72b-instruct",
    "mistral-large",
]
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
PG_DB = "arena_load"
REDIS_URL = "redis://127.0.0.1:6379/14"
HOST = "127.0.0.1"
WARM_UP_BATTLE = "0" * 24  # no battle has this id


@dataclass
class Client:
    cookie: str
    session_id: str
    battles: list[str] = field(default_factory=list)


@dataclass
class Outcome:
    latencies: list[float] = field(default_factory=list)
    acked: list[str] = field(default_factory=list)  # battle ids whose vote got a 2xx
    errors: dict[str, int] = field(default_factory=dict)


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def write_config(folder: Path) -> Path:
    lines = []
    for m in MODELS:
        lines += [
            "[[models]]",
            f'id = "{m}"',
            'backend = "openai"',
            'base_url = "http://127.0.0.1:9/v1"',
            f'model = "{m}"',
            "",
        ]
    path = folder / "arena.toml"
    path.write_text("\n".join(lines))
    return path


def premade_battles(
    db_url: str, secret: str, clients: int, per_client: int, seed: int = 0
) -> list[Client]:
    """Sessions and complete battles, written through the store in one transaction."""
    import random

    from sqlalchemy import insert

    from modelarena.battles.records import BattleStatus
    from modelarena.battles.style import style_counts
    from modelarena.store import Store
    from modelarena.store.rows import new_battle_id, prompt_hash
    from modelarena.store.schema import answers, battles
    from modelarena.web.security import SessionCodec, new_session

    rng = random.Random(seed)
    codec = SessionCodec(secret)
    store = Store.open(db_url)
    out: list[Client] = []
    battle_rows: list[dict[str, Any]] = []
    answer_rows: list[dict[str, Any]] = []
    now = datetime.now(UTC)
    for c in range(clients):
        session = new_session()
        client = Client(codec.dumps(session), session.id)
        for k in range(per_client):
            a, b = rng.sample(MODELS, 2)
            bid = new_battle_id()
            prompt = f"load test question {c}-{k}: {secrets.token_hex(4)}"
            battle_rows.append(
                dict(
                    id=bid,
                    created_at=now,
                    category="chat",
                    model_a=a,
                    model_b=b,
                    pair_probability=1 / 15,
                    status=BattleStatus.COMPLETE.value,
                    anonymous=True,
                    session_id=session.id,
                    source="arena",
                    prompt_hash=prompt_hash(prompt),
                )
            )
            for side, text in (("a", "A short answer."), ("b", "**A** longer answer\n- one")):
                st = style_counts(text)
                answer_rows.append(
                    dict(
                        battle_id=bid,
                        turn=0,
                        side=side,
                        prompt=prompt,
                        content=text,
                        reasoning="",
                        total_time_s=0.1,
                        style_tokens=st.tokens,
                        style_headers=st.headers,
                        style_lists=st.lists,
                        style_bold=st.bold,
                    )
                )
            client.battles.append(bid)
        out.append(client)
    with store.engine.begin() as conn:
        for start in range(0, len(battle_rows), 1000):
            conn.execute(insert(battles), battle_rows[start : start + 1000])
        for start in range(0, len(answer_rows), 1000):
            conn.execute(insert(answers), answer_rows[start : start + 1000])
    if store.engine.dialect.name == "postgresql":
        # As a running arena's tables would be: analysed. Otherwise autovacuum analyses the
        # freshly loaded tables in the middle of the measurement.
        with store.engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("VACUUM ANALYZE")
    store.close()
    return out


class Server:
    """``arena serve --workers N`` (or uvicorn's own workers) as a subprocess on loopback."""

    def __init__(
        self,
        env: dict[str, str],
        workers: int,
        port: int | None = None,
        log: Path | None = None,
        runner: str = "arena",
    ) -> None:
        self.runner = runner
        self.port = port or free_port()
        self.url = f"http://{HOST}:{self.port}"
        self.env = env
        self.workers = workers
        self.log = log
        self.proc: subprocess.Popen[bytes] | None = None

    def command(self) -> list[str]:
        where = ["--host", HOST, "--port", str(self.port), "--workers", str(self.workers)]
        quiet = ["--log-level", "warning"]
        if self.runner == "arena":
            return [sys.executable, "-m", "modelarena", "serve", *where, *quiet]
        factory = ["--factory", "modelarena.asgi:app_factory"]
        return [
            sys.executable,
            "-m",
            "uvicorn",
            *factory,
            *where,
            *quiet,
            "--no-access-log",
            "--timeout-graceful-shutdown",
            "5",
        ]

    def start(self, timeout: float = 60.0) -> None:
        cmd = self.command()
        out = open(self.log, "ab") if self.log else subprocess.DEVNULL  # noqa: SIM115
        self.proc = subprocess.Popen(
            cmd, env=self.env, stdout=out, stderr=out, start_new_session=True
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the server exited with {self.proc.returncode}; see {self.log}")
            try:
                if httpx.get(self.url + "/api/health", timeout=1).status_code == 200:
                    # every worker must be up: ask a few times
                    for _ in range(4 * self.workers):
                        httpx.get(self.url + "/api/health", timeout=5)
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError("the server did not start in time")

    def kill9(self) -> None:
        """kill -9 the whole process group (the supervisor and every worker)."""
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)


class AiohttpVoter:
    """The client's requests through aiohttp (``--client aiohttp``)."""

    errors: tuple[type[BaseException], ...] = (aiohttp.ClientError, TimeoutError)

    def __init__(self, base: str, cookie: str) -> None:
        self.http = aiohttp.ClientSession(
            base,
            connector=aiohttp.TCPConnector(limit=1),
            timeout=aiohttp.ClientTimeout(total=30),
            headers={"Cookie": f"arena_session={cookie}"},
        )

    async def get(self, path: str) -> tuple[int, bytes]:
        async with self.http.get(path) as r:
            return r.status, await r.read()

    async def post(self, path: str, body: bytes, csrf: str) -> tuple[int, bytes]:
        headers = {"X-CSRF-Token": csrf, "Content-Type": "application/json"}
        async with self.http.post(path, data=body, headers=headers) as r:
            return r.status, await r.read()

    async def close(self) -> None:
        await self.http.close()


class LeanVoter:
    """The client's requests through ``lean_http`` (the default: least CPU)."""

    errors: tuple[type[BaseException], ...] = (lean_http.HttpError, OSError, TimeoutError)

    def __init__(self, base: str, cookie: str) -> None:
        host, port = base.removeprefix("http://").rsplit(":", 1)
        self.conn = lean_http.Connection(host, int(port))
        self.cookie = f"arena_session={cookie}"

    async def get(self, path: str) -> tuple[int, bytes]:
        return await self.conn.request("GET", path, {"Cookie": self.cookie})

    async def post(self, path: str, body: bytes, csrf: str) -> tuple[int, bytes]:
        headers = {
            "Cookie": self.cookie,
            "X-CSRF-Token": csrf,
            "Content-Type": "application/json",
        }
        return await self.conn.request("POST", path, headers, body)

    async def close(self) -> None:
        self.conn.close()


VOTERS = {"lean": LeanVoter, "aiohttp": AiohttpVoter}
VOTE_BODY = b'{"verdict": "a"}'


async def run_client(
    base: str,
    client: Client,
    outcome: Outcome,
    *,
    interval: float | None,
    start_at: float,
    stop: asyncio.Event | None = None,
    start_line: StartLine | None = None,
    kind: str = "lean",
) -> None:
    """One browser-like client. With ``start_line``, ``start_at`` is an offset from the
    moment every client has warmed up."""
    voter = VOTERS[kind](base, client.cookie)
    try:
        status, body = await voter.get("/api/session")
        token = json.loads(body)["csrf_token"]
        # Warm-up, before the clock starts: a vote on a battle that does not exist (404)
        # opens the workers' database and Redis connections like a real first vote.
        await voter.post(f"/api/battles/{WARM_UP_BATTLE}/vote", VOTE_BODY, token)
        if start_line is not None:
            start_at = await start_line.wait() + start_at
        for k, battle in enumerate(client.battles):
            if stop is not None and stop.is_set():
                return
            if interval is not None:
                delay = start_at + k * interval - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
            t0 = time.perf_counter()
            try:
                status, body = await voter.post(f"/api/battles/{battle}/vote", VOTE_BODY, token)
            except voter.errors as exc:
                key = type(exc).__name__
                outcome.errors[key] = outcome.errors.get(key, 0) + 1
                if stop is not None and stop.is_set():
                    return
                continue
            outcome.latencies.append(time.perf_counter() - t0)
            if 200 <= status < 300:
                outcome.acked.append(battle)
            else:
                key = f"{status} {body[:80].decode(errors='replace')}"
                outcome.errors[key] = outcome.errors.get(key, 0) + 1
    finally:
        await voter.close()


class StartLine:
    """Clients warm up, then start together; the clock starts when the last one is ready."""

    def __init__(self, clients: int) -> None:
        self.clients = clients
        self.arrived = 0
        self.start = 0.0
        self.event = asyncio.Event()

    async def wait(self) -> float:
        self.arrived += 1
        if self.arrived == self.clients:
            self.start = time.perf_counter()
            self.event.set()
        await self.event.wait()
        return self.start


async def run_load(
    base: str, clients: list[Client], rate: float | None, kind: str = "lean"
) -> tuple[Outcome, float]:
    outcome = Outcome()
    interval = len(clients) / rate if rate else None
    line = StartLine(len(clients))
    tasks = []
    for i, c in enumerate(clients):
        offset = (i / len(clients)) * interval if interval else 0.0
        tasks.append(
            run_client(
                base, c, outcome, interval=interval, start_at=offset, start_line=line, kind=kind
            )
        )
    # The load generator's own collector pauses would count as server latency: the run is
    # short and bounded, so collect before it and not during it.
    gc.collect()
    gc.disable()
    try:
        await asyncio.gather(*tasks)
        return outcome, time.perf_counter() - line.start
    finally:
        gc.enable()


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def check_store(db_url: str, expected: int) -> dict[str, Any]:
    from modelarena.store import Store

    store = Store.open(db_url, upgrade=False)
    summary = store.filtered_vote_summary()
    cells = store.pair_cells()
    in_cache = int((cells.wins_a + cells.wins_b + cells.ties).sum())
    store.close()
    return {
        "stored": sum(summary.values()),
        "counted": summary.get("counted", 0),
        "pair_counts": in_cache,
        "ok": summary == {"counted": expected} and in_cache == expected,
    }


def check_leaderboard(base: str, expected: int, asks: int) -> dict[str, Any]:
    totals = set()
    for _ in range(asks):
        board = httpx.get(base + "/api/leaderboard", timeout=30).json()
        if "rows" not in board:
            totals.add(("error", json.dumps(board)[:200]))
            continue
        row_votes = sum(r["votes"] for r in board["rows"])
        totals.add((board["total_votes"], row_votes))
    return {"answers": sorted(totals, key=str), "ok": totals == {(expected, 2 * expected)}}


def pg_create() -> str:
    import psycopg

    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{PG_DB}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{PG_DB}"')
    return PG_ADMIN.rsplit("/", 1)[0] + "/" + PG_DB


def pg_drop() -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{PG_DB}" WITH (FORCE)')


def redis_flush(url: str) -> None:
    import redis

    client = redis.Redis.from_url(url)
    client.flushdb()
    client.close()


@dataclass
class Setup:
    db_url: str
    env: dict[str, str]
    folder: Path
    redis_url: str | None
    created_pg: bool = False


def prepare(
    backend: str,
    folder: Path,
    *,
    use_redis: bool,
    db_url: str | None = None,
    redis_url: str | None = None,
) -> Setup:
    """Config, database and environment for the server. ``db_url``: use that database
    (the caller owns it) instead of a new SQLite file or the ``arena_load`` database."""
    created = False
    if db_url is None:
        if backend == "sqlite":
            db_url = f"sqlite:///{folder / 'arena.db'}"
        else:
            db_url, created = pg_create(), True
    redis_url = (redis_url or REDIS_URL) if use_redis else None
    if redis_url:
        redis_flush(redis_url)
    secret = secrets.token_urlsafe(32)
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARENA_")}
    env.update(
        ARENA_CONFIG=str(write_config(folder)),
        ARENA_DATABASE_URL=db_url,
        ARENA_SECRET_KEY=secret,
        ARENA_VOTES_PER_DAY="1000000",
        ARENA_VOTES_PER_PROMPT="1000000",
    )
    if redis_url:
        env["ARENA_REDIS_URL"] = redis_url
    return Setup(db_url, env, folder, redis_url, created)


def cleanup(setup: Setup, backend: str) -> None:
    if setup.created_pg:
        pg_drop()
    if setup.redis_url:
        redis_flush(setup.redis_url)


def store_ceiling(db_url: str, clients: list[Client], threads: int) -> float:
    """Votes/s of ``Store.record_vote`` alone (no HTTP), from ``threads`` threads."""
    import threading

    from modelarena.battles.records import Verdict
    from modelarena.store import Store

    store = Store.open(db_url)
    groups = [clients[i::threads] for i in range(threads)]

    def work(group: list[Client]) -> None:
        for c in group:
            for b in c.battles:
                store.record_vote(b, Verdict.A, voter=c.session_id, ip_hash="load")

    workers = [threading.Thread(target=work, args=(g,)) for g in groups]
    t0 = time.perf_counter()
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    seconds = time.perf_counter() - t0
    store.close()
    return sum(len(c.battles) for c in clients) / seconds


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
    p.add_argument("--workers", type=int, default=1)
    p.add_argument(
        "--client",
        choices=sorted(VOTERS),
        default="lean",
        help="the load generator's HTTP client: lean (a minimal asyncio HTTP/1.1 client, "
        "the least CPU taken from the server) or aiohttp",
    )
    p.add_argument(
        "--server",
        choices=["arena", "uvicorn"],
        default="arena",
        help="arena serve --workers (a listener per worker; default) or uvicorn --workers "
        "(one shared listener)",
    )
    p.add_argument("--clients", type=int, default=50)
    p.add_argument("--votes", type=int, default=5000)
    p.add_argument(
        "--rate",
        type=float,
        default=None,
        help="total votes per second to offer (open loop); default: as fast as the server answers",
    )
    p.add_argument(
        "--no-redis", action="store_true", help="PostgreSQL without Redis (rate limits per worker)"
    )
    p.add_argument("--json", action="store_true")
    p.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="run the whole test this many times (fresh database each time) and print the "
        "median too: a shared machine's speed varies from run to run",
    )
    p.add_argument(
        "--store-only",
        type=int,
        metavar="THREADS",
        default=0,
        help="no server: time Store.record_vote alone from THREADS threads (the "
        "ceiling the database path sets)",
    )
    a = p.parse_args(argv)
    if a.votes % a.clients:
        p.error("--votes must be a multiple of --clients")
    if a.store_only:
        with tempfile.TemporaryDirectory(prefix="arena-load-") as tmp:
            setup = prepare(a.backend, Path(tmp), use_redis=False)
            try:
                made = premade_battles(
                    setup.db_url, setup.env["ARENA_SECRET_KEY"], a.clients, a.votes // a.clients
                )
                rate = store_ceiling(setup.db_url, made, a.store_only)
                stored = check_store(setup.db_url, a.votes)
            finally:
                cleanup(setup, a.backend)
        print(
            f"{a.backend}: Store.record_vote alone, {a.store_only} thread(s): "
            f"{rate:.1f} votes/s; stored {stored['stored']}, counted {stored['counted']}"
        )
        return 0 if stored["ok"] else 1
    use_redis = a.backend == "postgres" and not a.no_redis
    results = [one_run(a, use_redis) for _ in range(a.repeat)]
    ok = all(r["ok"] for r in results)
    if a.json:
        print(json.dumps(results if a.repeat > 1 else results[0], indent=2))
    else:
        for r in results:
            print_run(r)
        if a.repeat > 1:
            rates = sorted(r["votes_per_s"] for r in results)
            p99s = sorted(r["p99_ms"] for r in results)
            print(
                f"median of {a.repeat} runs: {statistics.median(rates):.1f} votes/s "
                f"(range {rates[0]}-{rates[-1]}), p99 {statistics.median(p99s):.1f} ms "
                f"(range {p99s[0]}-{p99s[-1]})"
            )
    return 0 if ok else 1


def one_run(a: argparse.Namespace, use_redis: bool) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="arena-load-") as tmp:
        folder = Path(tmp)
        setup = prepare(a.backend, folder, use_redis=use_redis)
        try:
            # create the schema and the battles before the server starts
            clients = premade_battles(
                setup.db_url, setup.env["ARENA_SECRET_KEY"], a.clients, a.votes // a.clients
            )
            server = Server(setup.env, a.workers, log=folder / "server.log", runner=a.server)
            server.start()
            try:
                assert server.proc is not None
                before = CpuSnapshot.take(server.proc.pid)
                outcome, wall = asyncio.run(run_load(server.url, clients, a.rate, a.client))
                after = CpuSnapshot.take(server.proc.pid)
                board = check_leaderboard(server.url, a.votes, asks=4 * a.workers)
            finally:
                server.stop()
            stored = check_store(setup.db_url, a.votes)
            log_tail = (folder / "server.log").read_text(errors="replace")[-2000:]
        finally:
            cleanup(setup, a.backend)
    lat = outcome.latencies
    cpu = per_vote_ms(before, after, len(outcome.acked), wall)
    if a.backend == "sqlite":
        cpu.pop("database")  # in the server's own process
    if not use_redis:
        cpu.pop("redis")
    result = {
        "backend": a.backend + (" + redis" if use_redis else ""),
        "workers": a.workers,
        "clients": a.clients,
        "votes": a.votes,
        "offered_rate": a.rate,
        "acked": len(outcome.acked),
        "errors": outcome.errors,
        "seconds": round(wall, 2),
        "votes_per_s": round(len(outcome.acked) / wall, 1),
        "p50_ms": round(1000 * percentile(lat, 0.50), 1),
        "p99_ms": round(1000 * percentile(lat, 0.99), 1),
        "mean_ms": round(1000 * statistics.fmean(lat), 1) if lat else None,
        "cpu_ms_per_vote": cpu,
        "store": stored,
        "leaderboard": board,
    }
    result["ok"] = len(outcome.acked) == a.votes and stored["ok"] and board["ok"]
    if not result["ok"]:
        print("CHECK FAILED\n" + log_tail, file=sys.stderr)
    return result


def print_run(result: dict[str, Any]) -> None:
    stored, board, cpu = result["store"], result["leaderboard"], result["cpu_ms_per_vote"]
    rate = result["offered_rate"]
    print(
        f"{result['backend']}, {result['workers']} worker(s), {result['clients']} clients, "
        f"{result['votes']} votes" + (f", offered {rate:g}/s" if rate else ", closed loop")
    )
    print(
        f"  acked {result['acked']} in {result['seconds']} s: "
        f"{result['votes_per_s']} votes/s, p50 {result['p50_ms']} ms, "
        f"p99 {result['p99_ms']} ms"
    )
    print(
        f"  stored {stored['stored']}, counted {stored['counted']}, pair counts "
        f"{stored['pair_counts']}; leaderboard answers {board['answers']}"
    )
    parts = ", ".join(
        f"{k.replace('_', ' ')} {v}"
        for k, v in cpu.items()
        if k not in ("machine", "machine_cores", "steal_cores", "server_process_cores")
    )
    print(
        f"  CPU ms per vote: {parts}; whole machine {cpu['machine']} "
        f"({cpu['machine_cores']} cores busy, {cpu['steal_cores']} stolen by the host); "
        f"cores per server process {cpu['server_process_cores']}"
    )
    if result["errors"]:
        print(f"  errors: {result['errors']}")


if __name__ == "__main__":
    sys.exit(main())
