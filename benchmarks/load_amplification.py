"""Load amplification without a login: what one anonymous client can make the server do.

    .venv/bin/python benchmarks/load_amplification.py boards              # 200k votes, 16 clients
    .venv/bin/python benchmarks/load_amplification.py answer              # a 1 MB answer
    .venv/bin/python benchmarks/load_amplification.py answer --forever    # one that never stops
    .venv/bin/python benchmarks/load_amplification.py answer --answer-chars 40000 \
        --chunk-chars 40 --chunk-delay-ms 20                             # a slow, long answer
    .venv/bin/python benchmarks/load_amplification.py turns               # 60 turns of 8,000 chars

The server runs as a subprocess on 127.0.0.1 (this script with ``serve``: the real app,
uvicorn, SQLite), its contestants backed by a flood backend that streams text in small
chunks and ignores ``max_tokens`` (as a misbehaving server may). Throughout each scenario a
prober asks ``GET /api/health`` every 100 ms: its latency says how long the event loop was
kept from other requests.

* ``boards``: a store of ``--votes`` counted votes over ``--days`` days and ``--models``
  models; ``--clients`` concurrent clients each ask, ``--rounds`` times, for a model page in
  the API, the leaderboard with a display-only filter (``min_votes``, ``country``), and the
  HTML model page and leaderboard. Prints each request kind's latency.
* ``answer``: one battle whose two sides each stream ``--answer-chars`` characters (or never
  stop, ``--forever``); prints how long the turn took, what was stored, and the prober's
  latency.
* ``turns``: one battle, then ``--turns`` follow-ups of ``--prompt-chars`` characters each;
  prints how many the server accepted, how it refused the rest, and how many characters
  were sent to the backends in all.

``--json`` prints the result as JSON. Exit status 1 if a request failed unexpectedly.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import secrets
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import _setup  # noqa: F401
import httpx

HOST = "127.0.0.1"
CONTESTANTS = ("flood-a", "flood-b")
COUNTRIES = ("US", "CN", "FR", "GB", "DE", "JP", "KR", "CA", "IL", "AE", "IN", "SG")
WORDS = ["lorem", "ipsum", "dolor", "sit", "amet", "consectetur", "adipiscing", "elit"]


# ------------------------------------------------------------------ the server side
class FloodBackend:
    """Streams ``chars`` characters (None: forever) in chunks of about ``chunk`` characters,
    whatever ``max_tokens`` says, and counts what it was sent."""

    def __init__(
        self, chars: int | None, chunk: int, counter: dict[str, int], delay_s: float = 0.0
    ) -> None:
        self.chars, self.chunk, self.counter, self.delay_s = chars, chunk, counter, delay_s

    async def stream(self, messages: Any, settings: Any) -> AsyncIterator[Any]:
        from modelarena.backends.base import AnswerStats, Chunk

        self.counter["calls"] += 1
        self.counter["chars_in"] += sum(len(m.content) for m in messages)
        sent = n = 0
        while self.chars is None or sent < self.chars:
            piece = (WORDS[n % len(WORDS)] + " ") * max(1, self.chunk // 6)
            if self.chars is not None:
                piece = piece[: self.chars - sent]
            n += 1
            sent += len(piece)
            self.counter["chars_out"] += len(piece)
            await asyncio.sleep(self.delay_s)  # as a network read: the loop runs between chunks
            yield Chunk(text=piece)
        yield Chunk(final=AnswerStats(completion_tokens=n, finish_reason="stop"))

    async def aclose(self) -> None:
        return None


def warm_up_imports() -> None:
    """One tiny fit, so that no request pays for importing SciPy and friends."""
    import numpy as np

    from modelarena import ratings

    counts = ratings.aggregate(np.array([0, 1, 2]), np.array([1, 2, 0]), np.array([0, 1, 2]), 3)
    ratings.connected_components(counts)
    fit = ratings.fit_bradley_terry(counts)
    ratings.sandwich_intervals(counts, fit)
    ratings.fragility(counts, fit, top=3)


def serve(db_url: str, port: int, chars: int | None, chunk: int, delay_s: float = 0.0) -> None:
    import uvicorn
    from fastapi import APIRouter

    from modelarena.arena import Arena
    from modelarena.config import ModelConfig, Settings
    from modelarena.store import Store
    from modelarena.web import create_app

    models = [
        ModelConfig(id=m, backend="openai", base_url="http://127.0.0.1:9/v1", model=m, timeout_s=30)
        for m in CONTESTANTS
    ]
    settings = Settings(database_url=db_url, models=models, battles_per_minute=100_000)
    arena = Arena(settings, Store.open(db_url))
    counter = {"calls": 0, "chars_in": 0, "chars_out": 0}
    for m in CONTESTANTS:
        arena._backends[m] = FloodBackend(chars, chunk, counter, delay_s)  # type: ignore[assignment]
    warm_up_imports()
    app = create_app(arena, single_process=True)
    bench = APIRouter()

    @bench.get("/bench/backends")
    async def backends() -> dict[str, int]:
        return counter

    app.include_router(bench)
    uvicorn.run(app, host=HOST, port=port, log_level="warning", access_log=False)


# ------------------------------------------------------------------ the store
def seed_votes(path: Path, n_votes: int, n_models: int, days: int) -> None:
    """``n_votes`` counted human votes among ``model-000``... spread over ``days`` days."""
    from modelarena.ratings.simulate import simulate_votes, true_ratings
    from modelarena.store import Store

    store = Store.open(f"sqlite:///{path}")
    sim = simulate_votes(true_ratings(n_models, seed=1), n_votes, seed=2)
    names = [f"model-{i:03d}" for i in range(n_models)]
    verdicts = ("a", "b", "tie", "both_bad")
    start = datetime.now(UTC) - timedelta(days=days)
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA synchronous=OFF")  # bulk load only
    rows_b, rows_v = [], []
    for k in range(n_votes):
        bid = secrets.token_hex(12)
        when = (start + timedelta(seconds=k * days * 86400 / n_votes)).isoformat(sep=" ")
        a, b = names[int(sim.model_a[k])], names[int(sim.model_b[k])]
        rows_b.append((bid, when, a, b))
        rows_v.append((bid, when, verdicts[int(sim.outcome[k])], a, b))
    conn.executemany(
        "INSERT INTO battles (id, created_at, category, model_a, model_b, status, anonymous, "
        "source) VALUES (?, ?, 'chat', ?, ?, 'complete', 0, 'import')",
        rows_b,
    )
    conn.executemany(
        "INSERT INTO votes (battle_id, created_at, source, verdict, counted, model_a, model_b, "
        "category) VALUES (?, ?, 'human', ?, 1, ?, ?, 'chat')",
        rows_v,
    )
    conn.executemany(
        "INSERT INTO answers (battle_id, turn, side, prompt, content, reasoning) "
        "VALUES (?, 0, ?, 'a question', 'an answer', '')",
        [(r[0], side) for r in rows_b for side in "ab"],
    )
    conn.commit()
    conn.close()
    store.rebuild_pair_counts()
    store.close()


# ------------------------------------------------------------------ the client side
def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


class Server:
    def __init__(
        self, db_url: str, chars: int | None, chunk: int, log: Path, delay_ms: float = 0.0
    ) -> None:
        self.port = free_port()
        self.url = f"http://{HOST}:{self.port}"
        cmd = [sys.executable, __file__, "serve", "--db", db_url, "--port", str(self.port)]
        cmd += ["--chunk-chars", str(chunk), "--chunk-delay-ms", str(delay_ms)]
        cmd += ["--answer-chars", str(chars if chars is not None else -1)]
        self.log = log
        with open(log, "ab") as out:
            self.proc = subprocess.Popen(cmd, stdout=out, stderr=out)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the server exited; see {log}")
            try:
                if httpx.get(self.url + "/api/health", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError("the server did not start")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)


@dataclass
class Prober:
    """``GET /api/health`` every ``every_s`` until stopped; keeps each latency."""

    url: str
    every_s: float = 0.1
    latencies: list[float] = field(default_factory=list)
    _stop: asyncio.Event = field(default_factory=asyncio.Event)

    async def run(self) -> None:
        async with httpx.AsyncClient(base_url=self.url, timeout=600) as http:
            while not self._stop.is_set():
                t = time.perf_counter()
                await http.get("/api/health")
                self.latencies.append(time.perf_counter() - t)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stop.wait(), self.every_s)

    def stop(self) -> None:
        self._stop.set()


def summary(values: list[float]) -> dict[str, Any]:
    if not values:
        return {"n": 0}
    ordered = sorted(values)
    p99 = ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]
    return {
        "n": len(values),
        "p50_ms": round(statistics.median(ordered) * 1000, 1),
        "p99_ms": round(p99 * 1000, 1),
        "max_ms": round(ordered[-1] * 1000, 1),
    }


async def session(http: httpx.AsyncClient) -> str:
    r = await http.get("/api/session")
    return str(r.json()["csrf_token"])


async def boards(url: str, a: argparse.Namespace) -> dict[str, Any]:
    kinds: dict[str, list[float]] = {}
    failures: list[str] = []

    async def client(c: int) -> None:
        async with httpx.AsyncClient(base_url=url, timeout=900) as http:
            for r in range(a.rounds):
                model = f"model-{(c + r) % a.models:03d}"
                country = COUNTRIES[(c + r) % len(COUNTRIES)]
                for kind, path in (
                    ("GET /api/models/{id}", f"/api/models/{model}"),
                    ("GET /api/leaderboard?min_votes=k", f"/api/leaderboard?min_votes={c + r}"),
                    ("GET /models/{id} (HTML)", f"/models/{model}"),
                    ("GET /leaderboard?country=.. (HTML)", f"/leaderboard?country={country}"),
                ):
                    t = time.perf_counter()
                    try:
                        status = (await http.get(path)).status_code
                    except httpx.HTTPError as exc:
                        status = type(exc).__name__
                    kinds.setdefault(kind, []).append(time.perf_counter() - t)
                    if status != 200:
                        failures.append(f"{path}: {status}")

    prober = Prober(url)
    probe = asyncio.create_task(prober.run())
    t0 = time.perf_counter()
    await asyncio.gather(*(client(c) for c in range(a.clients)))
    wall = time.perf_counter() - t0
    prober.stop()
    await probe
    return {
        "scenario": "boards",
        "votes": a.votes,
        "models": a.models,
        "days": a.days,
        "clients": a.clients,
        "rounds": a.rounds,
        "wall_s": round(wall, 1),
        "requests": {k: summary(v) for k, v in kinds.items()},
        "health": summary(prober.latencies),
        "failures": failures,
    }


async def answer(url: str, a: argparse.Namespace) -> dict[str, Any]:
    prober = Prober(url)
    probe = asyncio.create_task(prober.run())
    async with httpx.AsyncClient(base_url=url, timeout=900) as http:
        csrf = await session(http)
        t0 = time.perf_counter()
        r = await http.post(
            "/api/battles",
            json={"prompt": "Write as much as you can.", "category": "chat"},
            headers={"X-CSRF-Token": csrf},
        )
        battle_id = r.json()["id"]
        streamed = 0
        done: dict[str, Any] = {}
        async with http.stream("GET", f"/api/battles/{battle_id}/stream") as s:
            event = ""
            async for line in s.aiter_lines():
                streamed += len(line) + 1
                if line.startswith("event: "):
                    event = line[7:]
                elif line.startswith("data: ") and event == "done":
                    done = json.loads(line[6:])
                    break
        took = time.perf_counter() - t0
        counter = (await http.get("/bench/backends")).json()
    prober.stop()
    await probe
    from modelarena.store import Store

    store = Store.open(a.db_url)
    stored = store.get_battle(battle_id)
    store.close()
    sides = {s: stored.answer(0, s) for s in ("a", "b")}
    return {
        "scenario": "answer",
        "answer_chars_sent": "forever" if a.forever else a.answer_chars,
        "chunk_chars": a.chunk_chars,
        "turn_s": round(took, 1),
        "status": done.get("status"),
        "stream_bytes": streamed,
        "backend_chars_out": counter["chars_out"],
        "stored": {
            s: {
                "chars": len(v.content) if v else 0,
                "finish_reason": v.stats.finish_reason if v else None,
                "error": v.error if v else None,
            }
            for s, v in sides.items()
        },
        "health": summary(prober.latencies),
        "failures": [] if done.get("status") else ["no done event"],
    }


async def turns(url: str, a: argparse.Namespace) -> dict[str, Any]:
    prober = Prober(url)
    probe = asyncio.create_task(prober.run())
    accepted = 0
    refusal: dict[str, Any] | None = None
    failures: list[str] = []
    t0 = time.perf_counter()
    async with httpx.AsyncClient(base_url=url, timeout=900) as http:
        csrf = await session(http)
        headers = {"X-CSRF-Token": csrf}
        prompt = ("x" * (a.prompt_chars - 1)) + "?"
        r = await http.post(
            "/api/battles", json={"prompt": prompt, "category": "chat"}, headers=headers
        )
        battle_id = r.json()["id"]
        for k in range(a.turns):
            if k:
                r = await http.post(
                    f"/api/battles/{battle_id}/turns", json={"prompt": prompt}, headers=headers
                )
                if r.status_code != 202:
                    refusal = {"turn": k + 1, "status": r.status_code, **r.json()["error"]}
                    break
            stream = await http.get(f"/api/battles/{battle_id}/stream")
            if '"status":"complete"' not in stream.text:
                refusal = {"turn": k + 1, "stream": stream.text[-300:]}
                break
            accepted += 1
        counter = (await http.get("/bench/backends")).json()
    prober.stop()
    await probe
    return {
        "scenario": "turns",
        "turns_asked": a.turns,
        "prompt_chars": a.prompt_chars,
        "turns_accepted": accepted,
        "refusal": refusal,
        "backend_calls": counter["calls"],
        "chars_sent_to_backends": counter["chars_in"],
        "wall_s": round(time.perf_counter() - t0, 1),
        "health": summary(prober.latencies),
        "failures": failures,
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("scenario", choices=("boards", "answer", "turns", "serve"))
    p.add_argument("--votes", type=int, default=200_000)
    p.add_argument("--models", type=int, default=20)
    p.add_argument("--days", type=int, default=120)
    p.add_argument("--clients", type=int, default=16)
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--answer-chars", type=int, default=1_000_000)
    p.add_argument("--chunk-chars", type=int, default=8)
    p.add_argument("--forever", action="store_true", help="the answer never stops")
    p.add_argument(
        "--chunk-delay-ms", type=float, default=0.0, help="a slow model: a pause per chunk"
    )
    p.add_argument("--turns", type=int, default=60)
    p.add_argument("--prompt-chars", type=int, default=8000)
    p.add_argument("--db", help="serve: database URL")
    p.add_argument("--port", type=int, help="serve: port")
    p.add_argument("--json", action="store_true")
    a = p.parse_args(argv)
    if a.scenario == "serve":
        chars = None if a.answer_chars < 0 else a.answer_chars
        serve(a.db, a.port, chars, a.chunk_chars, a.chunk_delay_ms / 1000)
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "arena.db"
        db_url = f"sqlite:///{path}"
        if a.scenario == "boards":
            t = time.perf_counter()
            seed_votes(path, a.votes, a.models, a.days)
            print(f"seeded {a.votes:,} votes in {time.perf_counter() - t:.1f} s", file=sys.stderr)
        chars = None if a.forever else (a.answer_chars if a.scenario == "answer" else 200)
        a.db_url = db_url
        server = Server(db_url, chars, a.chunk_chars, Path(tmp) / "server.log", a.chunk_delay_ms)
        try:
            run = {"boards": boards, "answer": answer, "turns": turns}[a.scenario]
            result = asyncio.run(run(server.url, a))
        except Exception:
            print((Path(tmp) / "server.log").read_text(errors="replace")[-3000:], file=sys.stderr)
            raise
        finally:
            server.stop()
            log = (Path(tmp) / "server.log").read_text(errors="replace")
        if "Traceback" in log:
            result.setdefault("failures", []).append("server log:\n" + log[-2000:])
    if a.json:
        print(json.dumps(result, indent=2))
    else:
        for key, value in result.items():
            print(f"{key}: {json.dumps(value)}")
    return 1 if result.get("failures") else 0


if __name__ == "__main__":
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    sys.exit(main())
