"""Read a vote log as a stream of rows: ``(where, row)`` pairs, ``where`` numbering the row.

``where`` is what an error message shows, after the source's ``where_label``: ``line 12``
for JSON Lines and CSV (1-based lines of the file), ``index 3`` for a JSON array and
``row 3`` for Parquet (both 0-based).

JSON is parsed with orjson when it is installed (``pip install 'modelarena[fast]'``, about
four times faster), else with the standard library; both refuse the same files: invalid
UTF-8 and lone surrogates (``"\\ud800"``) are errors naming the line.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from modelarena.io.errors import VoteLogError
from modelarena.io.formats import Format

Row = dict[str, Any]

PARQUET_BATCH = 4096
_WHERE_LABELS = {
    Format.JSON: "index",
    Format.JSONL: "line",
    Format.CSV: "line",
    Format.PARQUET: "row",
}


@dataclass
class RowSource:
    """A vote log opened for reading: its columns (when the format declares them) and size."""

    path: Path
    format: Format
    columns: list[str] | None  # None for JSON and JSONL, whose rows carry their own keys
    total: int | None  # number of rows when known up front (Parquet, JSON)
    wanted: frozenset[str] | None = None  # Parquet: read only these columns

    @property
    def where_label(self) -> str:
        return _WHERE_LABELS[self.format]

    def rows(self) -> Iterator[tuple[int, Row]]:
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
        try:
            with path.open("r", encoding="utf-8-sig", newline="") as f:
                header = next(csv.reader(f), None)
        except UnicodeDecodeError:
            raise _not_utf8(path) from None
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


# ----------------------------------------------------------------------- JSON
class _BadJSON(ValueError):
    """A JSON text that does not parse; the message says why."""


def _stdlib_loads(raw: bytes) -> Any:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _BadJSON(
            f"not UTF-8 text: byte {exc.start + 1} is {raw[exc.start : exc.start + 1]!r}"
        ) from None
    try:
        value = json.loads(text, parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        raise _BadJSON(exc.msg) from None
    if "\\u" in text and _SURROGATE_ESCAPE.search(text):
        _check_surrogates(value)
    return value


def _no_constant(name: str) -> Any:
    raise _BadJSON(f"{name} is not a JSON value")


# an escaped UTF-16 surrogate: a pair is fine (an emoji), a lone one is not text
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")
_SURROGATE_PAIR = re.compile(r"\\u[dD][89abAB][0-9a-fA-F]{2}\\u[dD][c-fC-F][0-9a-fA-F]{2}")
NEWLINE = b"\n"


def _check_surrogates(value: object) -> None:
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise _BadJSON("a lone surrogate (\\ud800-\\udfff) is not text") from None
    elif isinstance(value, dict):
        for k, v in value.items():
            _check_surrogates(k)
            _check_surrogates(v)
    elif isinstance(value, list):
        for v in value:
            _check_surrogates(v)


def _json_loader() -> Callable[[bytes], Any]:
    """orjson's ``loads`` when installed (it refuses the same texts), else the stdlib's."""
    try:
        import orjson
    except ImportError:
        return _stdlib_loads

    def loads(raw: bytes) -> Any:
        try:
            return orjson.loads(raw)
        except orjson.JSONDecodeError:
            # rare: let the standard parser decide, and word the error, as without orjson
            return _stdlib_loads(raw)

    return loads


def _json_rows(src: RowSource) -> Iterator[tuple[int, Row]]:
    raw = src.path.read_bytes().removeprefix(b"\xef\xbb\xbf")
    if not raw.strip():
        raise VoteLogError(f"{src.path}: the file is empty")
    try:
        doc = _json_loader()(raw)
    except _BadJSON as exc:
        raise VoteLogError(f"{src.path}{_json_where(raw)}: not valid JSON ({exc})") from None
    del raw
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
        yield i, item


def _json_where(raw: bytes) -> str:
    """Where a JSON document goes wrong, as ``, line N`` (empty when it cannot say)."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return f", line {raw.count(NEWLINE, 0, exc.start) + 1}"
    try:
        json.loads(text)
    except json.JSONDecodeError as exc:
        return f", line {exc.lineno}"
    for match in _SURROGATE_ESCAPE.finditer(text):
        pair = _SURROGATE_PAIR.match(text, match.start())
        behind = _SURROGATE_PAIR.match(text, max(0, match.start() - 6))
        if pair is None and (behind is None or behind.end() <= match.start()):
            return f", line {text.count(chr(10), 0, match.start()) + 1}"
    return ""


def _jsonl_rows(src: RowSource) -> Iterator[tuple[int, Row]]:
    loads = _json_loader()
    lineno = 0
    for raw in _lines(src.path):
        lineno += 1
        try:
            item = loads(raw)
        except _BadJSON as exc:
            if not raw.strip():  # blank lines are allowed
                continue
            raise VoteLogError(f"{src.path}, line {lineno}: not valid JSON ({exc})") from None
        if not isinstance(item, dict):
            raise VoteLogError(
                f"{src.path}, line {lineno}: expected an object, found {_json_type(item)}"
            )
        yield lineno, item


READ_CHUNK = 8 << 20  # bytes per read: few system calls, and few waits for the GIL after


def _lines(path: Path) -> Iterator[bytes]:
    """The file's lines (without the byte-order mark), read a large block at a time."""
    with path.open("rb", buffering=0) as f:
        rest = b""
        first = True
        while block := f.read(READ_CHUNK):
            if first:
                block = block.removeprefix(b"\xef\xbb\xbf")
                first = False
            lines = (rest + block).split(b"\n")
            rest = lines.pop()
            yield from lines
        if rest:
            yield rest


# ------------------------------------------------------------------------ CSV
def _csv_rows(src: RowSource) -> Iterator[tuple[int, Row]]:
    # answers can be long: lift the csv module's 128 KiB field limit
    csv.field_size_limit(max(csv.field_size_limit(), 2**31 - 1))
    try:
        with src.path.open("r", encoding="utf-8-sig", newline="") as f:
            reader = csv.reader(f)
            header = [h.strip() for h in next(reader)]
            start = reader.line_num + 1
            for values in reader:
                where = start
                start = reader.line_num + 1
                if not values or not any(v.strip() for v in values):
                    continue
                if len(values) > len(header):
                    raise VoteLogError(
                        f"{src.path}, line {where}: {len(values)} fields but the header has "
                        f"{len(header)}"
                    )
                values += [""] * (len(header) - len(values))
                # an empty CSV cell is a missing value
                yield (
                    where,
                    {k: (v if v != "" else None) for k, v in zip(header, values, strict=True)},
                )
    except UnicodeDecodeError:
        raise _not_utf8(src.path) from None
    except csv.Error as exc:
        raise VoteLogError(f"{src.path}: not valid CSV ({exc})") from None


def _not_utf8(path: Path) -> VoteLogError:
    """Invalid UTF-8, with the first line that has it (found again, on this rare path)."""
    with path.open("rb") as f:
        for lineno, raw in enumerate(f, start=1):
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                return VoteLogError(
                    f"{path}, line {lineno}: not UTF-8 text (byte {exc.start + 1} of the "
                    f"line is {raw[exc.start : exc.start + 1]!r}); save the file as UTF-8"
                )
    return VoteLogError(f"{path}: not UTF-8 text; save the file as UTF-8")


# -------------------------------------------------------------------- Parquet
def _parquet_rows(src: RowSource) -> Iterator[tuple[int, Row]]:
    import pyarrow as pa

    pq = pyarrow_parquet()
    pf = pq.ParquetFile(src.path)
    names = pf.schema_arrow.names
    columns = [c for c in names if src.wanted is None or c in src.wanted]
    index = 0
    try:
        for batch in pf.iter_batches(batch_size=PARQUET_BATCH, columns=columns):
            for item in _microseconds(pa, batch).to_pylist():
                yield index, item
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
