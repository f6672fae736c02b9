"""Read a vote log as a stream of rows: ``(where, row)`` pairs, ``where`` naming the row.

``where`` is what an error message shows: ``line 12`` for JSON Lines and CSV (1-based lines
of the file), ``index 3`` for a JSON array and ``row 3`` for Parquet (both 0-based).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from modelarena.io.errors import VoteLogError
from modelarena.io.formats import Format

Row = dict[str, Any]

PARQUET_BATCH = 4096


@dataclass
class RowSource:
    """A vote log opened for reading: its columns (when the format declares them) and size."""

    path: Path
    format: Format
    columns: list[str] | None  # None for JSON and JSONL, whose rows carry their own keys
    total: int | None  # number of rows when known up front (Parquet, JSON)
    wanted: frozenset[str] | None = None  # Parquet: read only these columns

    def rows(self) -> Iterator[tuple[str, Row]]:
        readers = {
            Format.JSON: _json_rows,
            Format.JSONL: _jsonl_rows,
            Format.CSV: _csv_rows,
            Format.PARQUET: _parquet_rows,
        }
        return readers[self.format](self)


def open_log(path: Path, fmt: Format) -> RowSource:
    """Check the file is there and not empty, and read what its header says."""
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise VoteLogError(f"{path}: no such file") from None
    except OSError as exc:
        raise VoteLogError(f"{path}: cannot read it ({exc.strerror})") from None
    if path.is_dir():
        raise VoteLogError(f"{path}: is a directory, not a file")
    if size == 0:
        raise VoteLogError(f"{path}: the file is empty")
    if fmt is Format.PARQUET:
        pq = pyarrow_parquet()
        try:
            meta = pq.ParquetFile(path)
        except Exception as exc:  # pyarrow raises several types for a corrupt file
            raise VoteLogError(f"{path}: not a readable Parquet file ({exc})") from None
        return RowSource(path, fmt, list(meta.schema_arrow.names), meta.metadata.num_rows)
    if fmt is Format.CSV:
        with path.open("r", encoding="utf-8-sig", newline="") as f:
            header = next(csv.reader(f), None)
        if not header or not any(h.strip() for h in header):
            raise VoteLogError(f"{path}: the file is empty (no header line)")
        return RowSource(path, fmt, [h.strip() for h in header], None)
    return RowSource(path, fmt, None, None)


def pyarrow_parquet() -> Any:
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise VoteLogError(
            "reading or writing Parquet needs pyarrow: pip install 'modelarena[parquet]'"
        ) from None
    return pq


def _bad_json(src: RowSource, where: str, exc: json.JSONDecodeError) -> VoteLogError:
    return VoteLogError(f"{src.path}, {where}: not valid JSON ({exc.msg})")


def _json_rows(src: RowSource) -> Iterator[tuple[str, Row]]:
    try:
        with src.path.open("r", encoding="utf-8-sig") as f:
            doc = json.load(f)
    except json.JSONDecodeError as exc:
        if not exc.doc.strip():
            raise VoteLogError(f"{src.path}: the file is empty") from None
        raise _bad_json(src, f"line {exc.lineno}", exc) from None
    except UnicodeDecodeError:
        raise VoteLogError(f"{src.path}: not UTF-8 text") from None
    if isinstance(doc, dict) and isinstance(doc.get("data"), list):
        doc = doc["data"]
    if not isinstance(doc, list):
        raise VoteLogError(
            f'{src.path}: expected a JSON array of objects or {{"data": [...]}}, '
            f"found a JSON {type(doc).__name__}"
        )
    src.total = len(doc)
    for i, item in enumerate(doc):
        if not isinstance(item, dict):
            raise VoteLogError(
                f"{src.path}, index {i}: expected an object, found {_json_type(item)}"
            )
        yield f"index {i}", item


def _jsonl_rows(src: RowSource) -> Iterator[tuple[str, Row]]:
    with src.path.open("rb") as f:
        for lineno, raw in enumerate(f, start=1):
            if lineno == 1:
                raw = raw.removeprefix(b"\xef\xbb\xbf")
            if not raw.strip():
                continue
            where = f"line {lineno}"
            try:
                item = json.loads(raw)
            except json.JSONDecodeError as exc:
                raise _bad_json(src, where, exc) from None
            except UnicodeDecodeError:
                raise VoteLogError(f"{src.path}, {where}: not UTF-8 text") from None
            if not isinstance(item, dict):
                raise VoteLogError(
                    f"{src.path}, {where}: expected an object, found {_json_type(item)}"
                )
            yield where, item


def _csv_rows(src: RowSource) -> Iterator[tuple[str, Row]]:
    # answers can be long: lift the csv module's 128 KiB field limit
    csv.field_size_limit(max(csv.field_size_limit(), 2**31 - 1))
    try:
        with src.path.open("r", encoding="utf-8-sig", newline="") as f:
            reader = csv.reader(f)
            header = [h.strip() for h in next(reader)]
            start = reader.line_num + 1
            for values in reader:
                where = f"line {start}"
                start = reader.line_num + 1
                if not values or not any(v.strip() for v in values):
                    continue
                if len(values) > len(header):
                    raise VoteLogError(
                        f"{src.path}, {where}: {len(values)} fields but the header has "
                        f"{len(header)}"
                    )
                values += [""] * (len(header) - len(values))
                # an empty CSV cell is a missing value
                yield (
                    where,
                    {k: (v if v != "" else None) for k, v in zip(header, values, strict=True)},
                )
    except UnicodeDecodeError:
        raise VoteLogError(f"{src.path}: not UTF-8 text") from None
    except csv.Error as exc:
        raise VoteLogError(f"{src.path}: not valid CSV ({exc})") from None


def _parquet_rows(src: RowSource) -> Iterator[tuple[str, Row]]:
    import pyarrow as pa

    pq = pyarrow_parquet()
    pf = pq.ParquetFile(src.path)
    names = pf.schema_arrow.names
    columns = [c for c in names if src.wanted is None or c in src.wanted]
    index = 0
    try:
        for batch in pf.iter_batches(batch_size=PARQUET_BATCH, columns=columns):
            for item in _microseconds(pa, batch).to_pylist():
                yield f"row {index}", item
                index += 1
    except pa.ArrowException as exc:
        raise VoteLogError(f"{src.path}, row {index}: cannot read it ({exc})") from None


def _microseconds(pa: Any, batch: Any) -> Any:
    """Nanosecond timestamps (what pandas writes) as microseconds, which Python can hold."""
    arrays = list(batch.columns)
    changed = False
    for i, f in enumerate(batch.schema):
        if pa.types.is_timestamp(f.type) and f.type.unit == "ns":
            arrays[i] = arrays[i].cast(pa.timestamp("us", f.type.tz), safe=False)
            changed = True
    return pa.RecordBatch.from_arrays(arrays, names=batch.schema.names) if changed else batch


def _json_type(value: object) -> str:
    names = {
        list: "an array",
        str: "a string",
        int: "a number",
        float: "a number",
        bool: "a boolean",
        type(None): "null",
    }
    return names.get(type(value), type(value).__name__)
