"""How fast ``arena import`` stores a large published vote log, end to end.

Writes a JSON Lines log shaped like LMArena's published battle logs (``question_id``,
``model_a``, ``model_b``, ``winner``, ``judge``, ``turn``, ``anony``, ``language``,
``tstamp``; about 215 bytes a vote, model names in the published spelling, some unknown to
the catalog, 5% non-anonymous), then runs the real command, ``python -m modelarena import``,
in a child process, on a fresh database each run. Reports seconds, votes/s and the child's
peak resident memory (its ``ru_maxrss``), then checks what the target also asks for:

* idempotent: importing the same file again adds no vote (and its time is reported);
* all or nothing: the file with one bad row appended, imported into a fresh database,
  fails and leaves it without a single vote.

    python benchmarks/bench_import.py                  # 1M votes, SQLite, 3 runs
    python benchmarks/bench_import.py --votes 100000 --runs 1
    python benchmarks/bench_import.py --runs 1 --no-checks --index-times
    python benchmarks/bench_import.py --db postgresql://postgres@127.0.0.1:5432/bench
    git worktree add /tmp/before 59cb1b9~1   # the importer before issue 11, to compare
    python benchmarks/bench_import.py --src /tmp/before/src --runs 1 --no-checks

With ``--db`` every run empties that database's tables first.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import _setup  # noqa: F401  (import path, BLAS threads)

# names as the published logs spell them; the catalog resolves most of them
MODELS = [
    "gpt-4-0613",
    "gpt-4-turbo-2024-04-09",
    "gpt-4o-2024-05-13",
    "gpt-3.5-turbo-0613",
    "claude-3-opus-20240229",
    "claude-3-sonnet-20240229",
    "claude-3-haiku-20240307",
    "claude-2.1",
    "gemini-pro",
    "gemini-1.5-pro-api-0409-preview",
    "llama-3-70b-instruct",
    "llama-3-8b-instruct",
    "llama-2-70b-chat",
    "mixtral-8x7b-instruct-v0.1",
    "mistral-large-2402",
    "qwen1.5-72b-chat",
    "command-r-plus",
    "vicuna-13b",
    "koala-13b",
    "yi-34b-chat",
    "dbrx-instruct-preview",
    "zephyr-7b-beta",
    "openchat-3.5",
    "starling-lm-7b-alpha",
    "mystery-model-7b",
    "internal-test-12b",
]
WINNERS = ["model_a"] * 35 + ["model_b"] * 35 + ["tie"] * 12 + ["tie (bothbad)"] * 18
LANGUAGES = ["English"] * 8 + ["Chinese", "Russian", "German", "Spanish"]


def write_log(path: Path, votes: int, seed: int = 0) -> int:
    """A realistic log of ``votes`` rows; returns its size in bytes."""
    rng = random.Random(seed)
    start = 1_682_351_591.0
    with path.open("w", encoding="utf-8") as f:
        for i in range(votes):
            a, b = rng.sample(MODELS, 2)
            row = {
                "question_id": f"{rng.getrandbits(128):032x}",
                "model_a": a,
                "model_b": b,
                "winner": rng.choice(WINNERS),
                "judge": f"arena_user_{rng.randrange(votes // 8 + 1)}",
                "turn": 1 + (rng.random() < 0.15),
                "anony": rng.random() >= 0.05,
                "language": rng.choice(LANGUAGES),
                "tstamp": round(start + i * 9.3 + rng.random(), 4),
            }
            f.write(json.dumps(row) + "\n")
    return path.stat().st_size


SRC = Path(__file__).resolve().parent.parent / "src"


def run_import(
    path: Path, db: str, src: Path = SRC
) -> tuple[float, float, float, subprocess.CompletedProcess[str]]:
    """Seconds, CPU seconds (user + system) and peak RSS (MB) of one ``arena import`` in a
    child process. CPU time says what the import costs when other work shares the cores."""
    env = os.environ | {"PYTHONPATH": str(src)}
    cmd = [sys.executable, "-m", "modelarena", "import", str(path), "--db", db]
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        began = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, env=env)
        _, status, usage = os.wait4(proc.pid, 0)  # the child's own peak RSS (kB on Linux)
        seconds = time.perf_counter() - began
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        done = subprocess.CompletedProcess(cmd, proc.returncode, out.read(), err.read())
    return seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, done


def fresh_db(url: str | None, tmp: Path, run: int) -> str:
    if url is None:
        return f"sqlite:///{tmp / f'run{run}.db'}"
    from sqlalchemy import text

    from modelarena.store.engine import make_engine
    from modelarena.store.schema import metadata

    engine = make_engine(url)
    metadata.drop_all(engine)
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
    engine.dispose()
    return url


def count_votes(url: str) -> int:
    from sqlalchemy import func, select

    from modelarena.store.engine import make_engine
    from modelarena.store.schema import votes

    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(votes)).scalar_one())
    finally:
        engine.dispose()


def index_times(url: str) -> None:
    """Drop the secondary indexes of an imported SQLite database and build each again,
    timed, in a transaction rolled back, with the import's page cache: once without
    SQLite's sort threads and once with the import's."""
    import sqlite3

    conn = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None)
    try:
        conn.execute("PRAGMA cache_size=-32768")
        found = conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
            "AND tbl_name IN ('battles', 'votes')"
        ).fetchall()
        for threads in (0, min(4, os.cpu_count() or 1)):
            conn.execute(f"PRAGMA threads={threads}")
            conn.execute("BEGIN IMMEDIATE")
            for name, _ in found:
                conn.execute(f'DROP INDEX "{name}"')
            total = 0.0
            for name, sql in found:
                began = time.perf_counter()
                conn.execute(sql)
                took = time.perf_counter() - began
                total += took
                print(f"  index {name} (threads={threads}): {took:.2f} s")
            print(f"  {len(found)} indexes built again, threads={threads}: {total:.2f} s")
            conn.execute("ROLLBACK")
    finally:
        conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--votes", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--db", default=None, help="database URL (default: SQLite in a temp dir)")
    parser.add_argument("--no-checks", action="store_true", help="skip the re-import checks")
    parser.add_argument(
        "--index-times",
        action="store_true",
        help="SQLite: after the runs, time building each secondary index of the last one "
        "again, without and with sort threads",
    )
    parser.add_argument(
        "--src",
        type=Path,
        default=SRC,
        help="the modelarena sources to run (another checkout's src/, to compare versions)",
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench_import_") as tmp_name:
        tmp = Path(tmp_name)
        log = tmp / "battles.jsonl"
        size = write_log(log, args.votes)
        print(f"log: {args.votes:,} votes, {size / 1e6:.0f} MB ({size / args.votes:.0f} B/vote)")
        try:
            import orjson  # noqa: F401

            parser_name = "orjson installed"
        except ImportError:
            parser_name = "json (stdlib), orjson not installed"
        try:
            import pyarrow  # noqa: F401

            parser_name += "; pyarrow installed (JSON Lines fast path)"
        except ImportError:
            parser_name += "; pyarrow not installed (row by row)"
        db_kind = "SQLite" if args.db is None else args.db.split(":", 1)[0]
        print(f"database: {db_kind}; JSON parser: {parser_name}; cores: {os.cpu_count()}")

        times: list[float] = []
        cpus: list[float] = []
        peaks: list[float] = []
        db = ""
        for run in range(args.runs):
            db = fresh_db(args.db, tmp, run)
            load = os.getloadavg()[0]
            seconds, cpu, rss, proc = run_import(log, db, args.src)
            if proc.returncode != 0:
                sys.exit(f"import failed:\n{proc.stderr[-2000:]}")
            stored = count_votes(db)
            if stored != args.votes:
                sys.exit(f"expected {args.votes} votes stored, found {stored}")
            times.append(seconds)
            cpus.append(cpu)
            peaks.append(rss)
            print(
                f"run {run + 1}: {seconds:.2f} s, {args.votes / seconds:,.0f} votes/s, "
                f"CPU {cpu:.2f} s, peak RSS {rss:.0f} MB (load average before: {load:.1f})"
            )
        med = statistics.median(times)
        print(
            f"import of {args.votes:,} votes, {args.runs} runs: median {med:.2f} s "
            f"(range {min(times):.2f}-{max(times):.2f}), {args.votes / med:,.0f} votes/s "
            f"(range {args.votes / max(times):,.0f}-{args.votes / min(times):,.0f}); "
            f"CPU median {statistics.median(cpus):.2f} s; peak RSS max {max(peaks):.0f} MB"
        )
        if args.index_times and args.db is None:
            index_times(db)
        if args.no_checks:
            return

        seconds, cpu, rss, proc = run_import(log, db, args.src)
        again = count_votes(db)
        ok = proc.returncode == 0 and again == args.votes
        print(
            f"same file again: {seconds:.2f} s, CPU {cpu:.2f} s, peak RSS {rss:.0f} MB, "
            f"votes {again:,} "
            f"({'idempotent' if ok else 'NOT idempotent'})"
        )
        with log.open("a", encoding="utf-8") as f:
            f.write(json.dumps({"model_a": "x", "model_b": "y", "winner": "left"}) + "\n")
        db = fresh_db(args.db, tmp, args.runs)
        seconds, cpu, rss, proc = run_import(log, db, args.src)
        left = count_votes(db)
        ok = proc.returncode != 0 and left == 0 and "nothing was imported" in proc.stderr
        print(
            f"bad last row: failed after {seconds:.2f} s, votes left {left} "
            f"({'all or nothing' if ok else 'NOT all or nothing'}): {proc.stderr.strip()[:120]}"
        )


if __name__ == "__main__":
    main()
