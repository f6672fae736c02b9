"""Prompt sets: the questions an automatic arena asks every model.

A prompt set is a list of :class:`PromptItem`.  It is read from

- JSONL: one object per line with the prompt under ``prompt`` (or ``question``, ``text``,
  ``instruction``, ``turns``), an optional ``category`` and ``id``; also the rows of
  published arena logs, whose prompt is the first user turn of ``conversation_a``;
- CSV: a ``prompt`` column (the arena-human-preference-55k log stores it as a JSON list of
  turns: the first is taken) and optional ``category`` / ``id`` columns;
- plain text: one prompt per line (blank lines and lines starting with ``#`` are skipped);
- Parquet (arena-human-preference-140k), when ``pyarrow`` is installed;
- ``builtin``: the set shipped with modelarena (``modelarena/prompts/arena-100.jsonl``).

Prompts are deduplicated by their text with case and spacing folded (:func:`item_hash`); an
unknown category is an error that names the line, and a missing one means ``chat``.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from modelarena.battles.categories import CATEGORY_IDS

BUILTIN = "builtin"
BUILTIN_FILE = "arena-100.jsonl"
DEFAULT_CATEGORY = "chat"
_TEXT_KEYS = ("prompt", "question", "text", "instruction", "turns", "content")


def item_hash(prompt: str) -> str:
    """A judge prompt's identity: in its cache keys and for deduplication. Frozen, so that
    caches written before stay valid; deliberately not the prompt cap's key (which joins
    "2+2?" and "2-2?"), since a prompt set must keep every distinct prompt."""
    folded = " ".join(prompt.lower().split())
    return hashlib.sha256(folded.encode()).hexdigest()[:32]


class PromptSetError(ValueError):
    """A prompt file that cannot be read; the message names the file and line."""


@dataclass(frozen=True)
class PromptItem:
    prompt: str
    category: str = DEFAULT_CATEGORY
    id: str = ""

    @property
    def hash(self) -> str:
        return item_hash(self.prompt)

    def to_dict(self) -> dict[str, str]:
        return asdict(self)


def _first_user_turn(value: Any) -> str | None:
    """The text of a prompt cell: a string, a list of turns or of {role, content}."""
    if value is None:
        return None
    if isinstance(value, str):
        stripped = value.strip()
        if stripped.startswith("[") and stripped.endswith("]"):
            try:
                return _first_user_turn(json.loads(stripped))
            except json.JSONDecodeError:
                return stripped
        return stripped
    if isinstance(value, Mapping):
        return _first_user_turn(value.get("content"))
    if isinstance(value, list | tuple):
        for turn in value:
            if isinstance(turn, Mapping):
                if turn.get("role", "user") == "user":
                    return _first_user_turn(turn.get("content"))
            else:
                return _first_user_turn(turn)
        return None
    if hasattr(value, "tolist"):  # numpy arrays from parquet
        return _first_user_turn(value.tolist())
    return None


def item_from_record(record: Mapping[str, Any], where: str) -> PromptItem | None:
    """One prompt from a JSON object or CSV row, or None when the row holds no prompt."""
    text: str | None = None
    for key in _TEXT_KEYS:
        if key in record and record[key] not in (None, ""):
            text = _first_user_turn(record[key])
            break
    if text is None and "conversation_a" in record:
        text = _first_user_turn(record["conversation_a"])
    if not text:
        return None
    category = record.get("category")
    if not isinstance(category, str) or not category.strip():
        category = DEFAULT_CATEGORY
    category = category.strip()
    if category not in CATEGORY_IDS:
        raise PromptSetError(
            f"{where}: unknown category {category!r} (use one of: {', '.join(CATEGORY_IDS)})"
        )
    ident = record.get("id", record.get("question_id", ""))
    return PromptItem(text, category, "" if ident is None else str(ident))


def _read_jsonl(text: str, name: str) -> Iterator[PromptItem]:
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise PromptSetError(f"{name}:{number}: not valid JSON ({exc.msg})") from exc
        if isinstance(record, str):
            record = {"prompt": record}
        if not isinstance(record, Mapping):
            raise PromptSetError(f"{name}:{number}: expected a JSON object")
        item = item_from_record(record, f"{name}:{number}")
        if item is not None:
            yield item


def _read_json(text: str, name: str) -> Iterator[PromptItem]:
    data = json.loads(text)
    rows = data if isinstance(data, list) else [data]
    for number, record in enumerate(rows, 1):
        if isinstance(record, str):
            record = {"prompt": record}
        if not isinstance(record, Mapping):
            raise PromptSetError(f"{name}[{number}]: expected a JSON object")
        item = item_from_record(record, f"{name}[{number}]")
        if item is not None:
            yield item


def _read_csv(text: str, name: str) -> Iterator[PromptItem]:
    reader = csv.DictReader(io.StringIO(text))
    if not reader.fieldnames or not any(
        k in reader.fieldnames for k in (*_TEXT_KEYS, "conversation_a")
    ):
        raise PromptSetError(f"{name}: a CSV prompt set needs a 'prompt' column")
    for number, row in enumerate(reader, 2):
        item = item_from_record(row, f"{name}:{number}")
        if item is not None:
            yield item


def _read_text(text: str, name: str) -> Iterator[PromptItem]:
    for line in text.splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            yield PromptItem(stripped)


def _read_parquet(path: Path) -> Iterator[PromptItem]:
    try:
        import pyarrow.parquet as pq
    except ImportError as exc:
        raise PromptSetError(
            f"{path}: reading Parquet needs pyarrow: pip install 'modelarena[parquet]'"
        ) from exc
    table = pq.read_table(path)
    for number, row in enumerate(table.to_pylist(), 1):
        item = item_from_record(row, f"{path}[{number}]")
        if item is not None:
            yield item


def dedupe(items: Iterable[PromptItem]) -> list[PromptItem]:
    seen: set[str] = set()
    out: list[PromptItem] = []
    for item in items:
        if item.hash not in seen:
            seen.add(item.hash)
            out.append(item)
    return out


def load_prompts(source: str | Path, *, category: str | None = None) -> list[PromptItem]:
    """Read a prompt set (see the module doc).  ``category`` fills in missing categories."""
    if str(source) == BUILTIN:
        text = resources.files("modelarena.prompts").joinpath(BUILTIN_FILE).read_text("utf-8")
        items = list(_read_jsonl(text, BUILTIN_FILE))
        return dedupe(items)
    path = Path(source)
    if not path.is_file():
        raise PromptSetError(f"prompt file {str(path)!r} does not exist")
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        items = list(_read_parquet(path))
    else:
        try:
            text = path.read_text("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise PromptSetError(f"{path}: not UTF-8 text") from exc
        name = path.name
        if suffix in (".jsonl", ".ndjson"):
            items = list(_read_jsonl(text, name))
        elif suffix == ".json":
            try:
                items = list(_read_json(text, name))
            except json.JSONDecodeError:
                items = list(_read_jsonl(text, name))
        elif suffix in (".csv", ".tsv"):
            items = list(_read_csv(text, name))
        else:
            items = list(_read_text(text, name))
    if category is not None:
        if category not in CATEGORY_IDS:
            raise PromptSetError(f"unknown category {category!r}")
        items = [
            PromptItem(i.prompt, category, i.id) if i.category == DEFAULT_CATEGORY else i
            for i in items
        ]
    items = dedupe(items)
    if not items:
        raise PromptSetError(f"{path}: no prompts found")
    return items


def write_prompts(items: Iterable[PromptItem], path: Path) -> int:
    """Write a prompt set as JSONL ({"prompt", "category", "id"} per line)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    with path.open("w", encoding="utf-8") as out:
        for item in items:
            out.write(json.dumps(item.to_dict(), ensure_ascii=False) + "\n")
            count += 1
    return count


def by_category(items: Iterable[PromptItem]) -> dict[str, int]:
    return dict(Counter(i.category for i in items))


def round_robin(items: Iterable[PromptItem], limit: int | None) -> list[PromptItem]:
    """At most ``limit`` prompts, taken in turn from each category (in order of appearance)."""
    items = list(items)
    if limit is None or limit >= len(items):
        return items
    queues: dict[str, list[PromptItem]] = {}
    for item in items:
        queues.setdefault(item.category, []).append(item)
    out: list[PromptItem] = []
    while len(out) < limit:
        for queue in queues.values():
            if queue and len(out) < limit:
                out.append(queue.pop(0))
    return out
