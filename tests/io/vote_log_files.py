"""Helpers for the import/export tests: write small vote logs, count what was stored."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from modelarena.store import Store
from modelarena.store.schema import battles, votes

Rows = list[dict[str, Any]]


def count_votes(store: Store) -> int:
    with store.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(votes)).scalar_one())


def count_battles(store: Store) -> int:
    with store.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(battles)).scalar_one())


def write_json(path: Path, rows: Rows) -> Path:
    path.write_text(json.dumps(rows), encoding="utf-8")
    return path


def write_jsonl(path: Path, rows: Rows) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def write_csv(path: Path, rows: Rows) -> Path:
    columns = list(dict.fromkeys(k for r in rows for k in r))
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=columns)
        w.writeheader()
        for r in rows:
            w.writerow(
                {k: json.dumps(v) if isinstance(v, list | dict) else v for k, v in r.items()}
            )
    return path


def write_parquet(path: Path, rows: Rows) -> Path:
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.Table.from_pylist(rows), path)
    return path


WRITERS: dict[str, Callable[[Path, Rows], Path]] = {
    "json": write_json,
    "jsonl": write_jsonl,
    "csv": write_csv,
    "parquet": write_parquet,
}


def conversation(prompt: str, answer: str) -> list[dict[str, str]]:
    return [{"role": "user", "content": prompt}, {"role": "assistant", "content": answer}]


def battle_33k(i: int, model_a: str, model_b: str, winner: str, **extra: Any) -> dict[str, Any]:
    """A row shaped like chatbot_arena_conversations."""
    return {
        "question_id": f"q{i}",
        "model_a": model_a,
        "model_b": model_b,
        "winner": winner,
        "judge": f"arena_user_{i}",
        "turn": 1,
        "anony": True,
        "language": "English",
        "tstamp": 1682351591.1322 + i,
        "conversation_a": conversation(f"prompt {i}", f"answer A{i}"),
        "conversation_b": conversation(f"prompt {i}", f"answer B{i}"),
    } | extra
