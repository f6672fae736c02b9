"""Which file format a vote log is in: by ``--format``, else by extension, else by content."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

from modelarena.io.errors import VoteLogError


class Format(StrEnum):
    JSON = "json"
    JSONL = "jsonl"
    CSV = "csv"
    PARQUET = "parquet"


FORMAT_CHOICES = ("auto", *(f.value for f in Format))

_BY_EXTENSION = {
    ".json": Format.JSON,
    ".jsonl": Format.JSONL,
    ".ndjson": Format.JSONL,
    ".csv": Format.CSV,
    ".parquet": Format.PARQUET,
    ".pq": Format.PARQUET,
}


def parse_format(value: str | None) -> Format | None:
    """``None`` or ``"auto"`` mean: detect it."""
    if value is None or value.strip().lower() == "auto":
        return None
    try:
        return Format(value.strip().lower())
    except ValueError:
        raise VoteLogError(
            f"unknown format {value!r}; use one of: {', '.join(FORMAT_CHOICES)}"
        ) from None


def format_for_writing(path: Path, requested: str | None) -> Format:
    fmt = parse_format(requested)
    if fmt is not None:
        return fmt
    try:
        return _BY_EXTENSION[path.suffix.lower()]
    except KeyError:
        raise VoteLogError(
            f"{path}: cannot tell the format from the extension {path.suffix!r}; "
            f"use .json, .jsonl, .csv or .parquet, or pass --format"
        ) from None


def detect_format(path: Path, requested: str | None = None) -> Format:
    """The format of an existing file. A ``.json`` file holding JSON Lines is JSONL."""
    fmt = parse_format(requested)
    if fmt is not None:
        return fmt
    head = _head(path)
    if head.startswith(b"PAR1"):
        return Format.PARQUET
    by_ext = _BY_EXTENSION.get(path.suffix.lower())
    if by_ext is Format.PARQUET:
        return by_ext
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if by_ext in (Format.JSON, None) and text[:1] == b"{" and _looks_like_json_lines(path):
        # Hugging Face's ``to_json`` writes JSON Lines under a .json name.
        return Format.JSONL
    if by_ext is not None:
        return by_ext
    if text[:1] == b"[":
        return Format.JSON
    if text[:1] == b"{":
        return Format.JSON
    return Format.CSV


def _head(path: Path, size: int = 4096) -> bytes:
    try:
        with path.open("rb") as f:
            return f.read(size)
    except FileNotFoundError:
        raise VoteLogError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise VoteLogError(f"{path}: is a directory, not a file") from None
    except OSError as exc:
        raise VoteLogError(f"{path}: cannot read it ({exc.strerror})") from None


def _looks_like_json_lines(path: Path) -> bool:
    """True when the first non-blank line is a complete JSON object on its own."""
    import json

    with path.open("rb") as f:
        for raw in f:
            line = raw.strip().lstrip(b"\xef\xbb\xbf")
            if not line:
                continue
            try:
                first = json.loads(line)
            except ValueError:
                return False
            # a one-line {"data": [...]} document is JSON, not JSON Lines
            return isinstance(first, dict) and not isinstance(first.get("data"), list)
    return False
