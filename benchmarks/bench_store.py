"""Leaderboard speed on a stored board: refresh after one vote, and the whole CLI process.

    python benchmarks/bench_store.py [--votes 1000000] [--models 100]

Builds a SQLite store of simulated votes (battles + votes written with sqlite3's
executemany, then the pair-count cache rebuilt by the store itself), then measures:

* one new vote through ``Store.record_vote`` (it updates the pair-count cache in the same
  transaction), and the leaderboard refresh that follows (``compute_leaderboard``: reads
  the cache, fits, sandwich CIs, fragility, catalog join) — never a scan of the votes;
* ``arena leaderboard --format json`` as a whole new process on that store.
"""

from __future__ import annotations

import argparse
import os
import secrets
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import _setup  # noqa: F401

from modelarena.arena import Arena
from modelarena.battles.records import Answer, Verdict
from modelarena.config import Settings
from modelarena.leaderboard import compute_leaderboard
from modelarena.ratings.simulate import simulate_votes, true_ratings
from modelarena.store import Store

VERDICT = ("a", "b", "tie", "both_bad")


def build_store(path: Path, n_votes: int, n_models: int) -> Store:
    url = f"sqlite:///{path}"
    store = Store.open(url)  # creates the schema through the migrations
    votes = simulate_votes(true_ratings(n_models, seed=1), n_votes, seed=2)
    names = [f"model-{i:03d}" for i in range(n_models)]
    now = datetime.now(UTC).isoformat(sep=" ")
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA synchronous=OFF")  # bulk load only; the store itself uses FULL
    chunk = 100_000
    for start in range(0, n_votes, chunk):
        end = min(start + chunk, n_votes)
        ids = [secrets.token_hex(12) for _ in range(end - start)]
        a = votes.model_a[start:end].tolist()
        b = votes.model_b[start:end].tolist()
        o = votes.outcome[start:end].tolist()
        conn.executemany(
            "INSERT INTO battles (id, created_at, category, model_a, model_b, status, "
            "anonymous, source) VALUES (?, ?, 'chat', ?, ?, 'complete', 0, 'import')",
            [(i, now, names[x], names[y]) for i, x, y in zip(ids, a, b, strict=True)],
        )
        conn.executemany(
            "INSERT INTO votes (battle_id, created_at, source, verdict, counted, model_a, "
            "model_b, category) VALUES (?, ?, 'human', ?, 1, ?, ?, 'chat')",
            [
                (i, now, VERDICT[v], names[x], names[y])
                for i, x, y, v in zip(ids, a, b, o, strict=True)
            ],
        )
        conn.commit()
    conn.close()
    store.rebuild_pair_counts()
    return store


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--votes", type=int, default=1_000_000)
    parser.add_argument("--models", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.db"
        t0 = time.perf_counter()
        store = build_store(path, args.votes, args.models)
        print(
            f"store of {args.votes:,} votes x {args.models} models built in "
            f"{time.perf_counter() - t0:.1f} s"
        )
        arena = Arena(Settings(database_url=f"sqlite:///{path}"), store)
        # a running server keeps its last board: it warm-starts the next fit
        board = compute_leaderboard(store, arena.model_info)
        vote_times, refresh_times = [], []
        for i in range(args.repeats):
            battle = store.create_battle(
                category="chat",
                model_a="model-000",
                model_b=f"model-{1 + i % (args.models - 1):03d}",
            )
            store.save_answers(battle.id, [Answer("a", 0, "p", "x"), Answer("b", 0, "p", "y")])
            t = time.perf_counter()
            store.record_vote(battle.id, Verdict.A, voter="bench")
            vote_times.append(time.perf_counter() - t)
            t = time.perf_counter()
            board = compute_leaderboard(store, arena.model_info, previous=board)
            refresh_times.append(time.perf_counter() - t)
        assert board.total_votes == args.votes + args.repeats
        env = {**os.environ, "ARENA_DATABASE_URL": f"sqlite:///{path}"}
        cli = []
        for _ in range(3):
            t = time.perf_counter()
            subprocess.run(
                [sys.executable, "-m", "modelarena", "leaderboard", "--format", "json"],
                env=env,
                check=True,
                capture_output=True,
                cwd=tmp,
            )
            cli.append(time.perf_counter() - t)
        print()
        print(f"{'figure':<62} {'target':>8} {'measured':>9}")
        rows = [
            (
                "one vote stored (with its pair-count update), median",
                None,
                statistics.median(vote_times),
            ),
            (
                f"leaderboard refresh after one new vote, {args.votes:,} votes (SQLite)",
                0.020,
                statistics.median(refresh_times),
            ),
            (
                f"`arena leaderboard --format json`, {args.votes:,} votes, whole process",
                2.0,
                statistics.median(cli),
            ),
        ]
        for name, target, value in rows:
            goal = (
                ""
                if target is None
                else f"<= {target * 1000:.0f} ms"
                if target < 1
                else f"<= {target:.0f} s"
            )
            shown = f"{value * 1000:.1f} ms" if value < 1 else f"{value:.2f} s"
            print(f"{name:<62} {goal:>8} {shown:>9}")


if __name__ == "__main__":
    main()
