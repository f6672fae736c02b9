"""Write stored votes as a vote log that ``arena import`` reads back (JSON, JSONL, CSV, Parquet).

The columns follow the published LMArena logs, so tools written for those read ours too.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from modelarena.io.errors import VoteLogError
from modelarena.io.formats import Format, format_for_writing
from modelarena.io.readers import pyarrow_parquet
from modelarena.store import Store

COLUMNS = (
    "id",
    "model_a",
    "model_b",
    "winner",
    "source",
    "counted",
    "reason",
    "category",
    "voter",
    "tstamp",
    "prompt",
    "answer_a",
    "answer_b",
    "conv_metadata",
    "external_id",
)
WINNER = {"a": "model_a", "b": "model_b", "tie": "tie", "both_bad": "tie (bothbad)"}
# conv_metadata keys as in arena-human-preference-140k, with totals instead of breakdowns
_STYLE_KEYS = {
    "sum_assistant_{s}_tokens": "{s}_tokens",
    "header_count_{s}": "{s}_headers",
    "list_count_{s}": "{s}_lists",
    "bold_count_{s}": "{s}_bold",
}
META_KEYS = tuple(k.format(s=s) for s in "ab" for k in _STYLE_KEYS)

Advance = Callable[[int], None]


def export_file(
    store: Store,
    path: str | Path,
    *,
    fmt: str | None = None,
    counted_only: bool = False,
    on_advance: Advance | None = None,
) -> int:
    """Write every stored vote (or only counted ones) to ``path``. Returns the rows written."""
    path = Path(path)
    out_format = format_for_writing(path, fmt)
    writer = _WRITERS[out_format]
    if out_format is Format.PARQUET:
        pyarrow_parquet()  # fail before the file is created
    if path.is_dir():
        raise VoteLogError(f"{path}: is a directory")
    if not path.parent.is_dir():
        raise VoteLogError(f"{path.parent}: no such directory")
    rows = _counting(
        (export_row(m) for m in store.export_rows(counted_only=counted_only)), on_advance
    )
    try:
        return writer(path, rows)
    except OSError as exc:
        raise VoteLogError(f"{path}: cannot write it ({exc.strerror})") from None


def export_row(m: dict[str, Any]) -> dict[str, Any]:
    """One stored vote (a row of :meth:`Store.export_rows`) as an export row."""
    created: datetime = m["created_at"]
    if created.tzinfo is None:
        created = created.replace(tzinfo=UTC)
    meta = {k.format(s=s): m.get(col.format(s=s)) for s in "ab" for k, col in _STYLE_KEYS.items()}
    return {
        "id": m["battle_id"],
        "model_a": m["model_a"],
        "model_b": m["model_b"],
        "winner": WINNER[m["verdict"]],
        "source": m["source"],
        "counted": bool(m["counted"]),
        "reason": m["reason"],
        "category": m["category"],
        "voter": m["voter"],
        "tstamp": created.timestamp(),
        "prompt": m.get("prompt") or "",
        "answer_a": m.get("answer_a") or "",
        "answer_b": m.get("answer_b") or "",
        "conv_metadata": meta if any(v is not None for v in meta.values()) else None,
        "external_id": m.get("external_id"),
    }


def _counting(
    rows: Iterable[dict[str, Any]], on_advance: Advance | None
) -> Iterator[dict[str, Any]]:
    for row in rows:
        yield row
        if on_advance:
            on_advance(1)


def _write_json(path: Path, rows: Iterable[dict[str, Any]]) -> int:
    n = 0
    with path.open("w", encoding="utf-8") as f:
        f.write("[")
        for row in rows:
            f.write(",\n" if n else "\n")
            f.write(json.dumps(row, ensure_ascii=False))
            n += 1
        f.write("\n]\n")
    return n


def _write_jsonl(path: Path, rows: Iterable[dict[str, Any]]) -> int:
    n = 0
    with path.open("w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False))
            f.write("\n")
            n += 1
    return n


def _write_csv(path: Path, rows: Iterable[dict[str, Any]]) -> int:
    n = 0
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=COLUMNS)
        writer.writeheader()
        for row in rows:
            meta = row["conv_metadata"]
            writer.writerow(
                row
                | {
                    "counted": "true" if row["counted"] else "false",
                    "tstamp": repr(row["tstamp"]),
                    "conv_metadata": json.dumps(meta) if meta is not None else None,
                }
            )
            n += 1
    return n


def _write_parquet(path: Path, rows: Iterable[dict[str, Any]]) -> int:
    import pyarrow as pa

    pq = pyarrow_parquet()
    text = pa.string()
    schema = pa.schema(
        [
            ("id", text),
            ("model_a", text),
            ("model_b", text),
            ("winner", text),
            ("source", text),
            ("counted", pa.bool_()),
            ("reason", text),
            ("category", text),
            ("voter", text),
            ("tstamp", pa.float64()),
            ("prompt", text),
            ("answer_a", text),
            ("answer_b", text),
            ("conv_metadata", pa.struct([(k, pa.int64()) for k in META_KEYS])),
            ("external_id", text),
        ]
    )
    n = 0
    with pq.ParquetWriter(path, schema) as writer:
        batch: list[dict[str, Any]] = []
        for row in rows:
            batch.append(row)
            if len(batch) >= 5000:
                writer.write_table(pa.Table.from_pylist(batch, schema=schema))
                n += len(batch)
                batch = []
        if batch or n == 0:
            writer.write_table(pa.Table.from_pylist(batch, schema=schema))
            n += len(batch)
    return n


_WRITERS: dict[Format, Callable[[Path, Iterable[dict[str, Any]]], int]] = {
    Format.JSON: _write_json,
    Format.JSONL: _write_jsonl,
    Format.CSV: _write_csv,
    Format.PARQUET: _write_parquet,
}

__all__ = ["COLUMNS", "export_file", "export_row"]
