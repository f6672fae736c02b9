"""The run's memory: a JSONL file of every answer, judgment and battle already paid for.

One line per finished item, appended as soon as it is done, so an interrupted run loses at
most what was in flight.  Items are keyed by a hash of everything that decides their
content (prompt, model, settings, rubric), so a rerun reuses them and pays nothing twice.
Failed generations are not written: a rerun tries them again.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from modelarena.backends.base import AnswerStats, ToolCall
from modelarena.battles.records import Answer
from modelarena.battles.style import style_counts

ANSWER = "answer"
JUDGMENT = "judgment"
BATTLE = "battle"
DEFAULT_WORK_DIR = ".arena-judge"


def key_of(**parts: Any) -> str:
    """A stable hash of the given fields (sorted JSON)."""
    blob = json.dumps(parts, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:32]


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:32]


class Cache:
    """Entries by (kind, key); ``resume=False`` ignores what the file already holds."""

    def __init__(self, path: Path, *, resume: bool = True) -> None:
        self.path = path
        self._entries: dict[tuple[str, str], dict[str, Any]] = {}
        if resume and path.is_file():
            for entry in read_entries(path):
                self._entries[(entry["kind"], entry["key"])] = entry

    def get(self, kind: str, key: str) -> dict[str, Any] | None:
        return self._entries.get((kind, key))

    def put(self, entry: dict[str, Any]) -> None:
        self._entries[(entry["kind"], entry["key"])] = entry
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as out:
            out.write(json.dumps(entry, ensure_ascii=False) + "\n")
            out.flush()

    def __len__(self) -> int:
        return len(self._entries)


def read_entries(path: Path) -> Iterator[dict[str, Any]]:
    """Every well-formed entry of a cache file; a line cut by a crash is skipped."""
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            try:
                entry = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(entry, dict) and "kind" in entry and "key" in entry:
                yield entry


def cache_files(work_dir: Path) -> list[Path]:
    return sorted(work_dir.glob("*.jsonl")) if work_dir.is_dir() else []


@dataclass(frozen=True)
class Generated:
    """A finished generation: the text, its reasoning, its stats and what it cost, and the
    tool calls the model made when it was offered tools."""

    text: str
    reasoning: str
    stats: AnswerStats
    cost_usd: float | None
    tool_calls: tuple[ToolCall, ...] = field(default=())


def cache_entry(
    kind: str,
    key: str,
    *,
    model: str,
    prompt_hash: str,
    prompt_id: str,
    category: str,
    run: str,
    result: Generated,
) -> dict[str, Any]:
    s = result.stats
    return {
        "kind": kind,
        "key": key,
        "model": model,
        "prompt_hash": prompt_hash,
        "prompt_id": prompt_id,
        "category": category,
        "run": run,
        "text": result.text,
        "reasoning": result.reasoning,
        "prompt_tokens": s.prompt_tokens or 0,
        "completion_tokens": s.completion_tokens or 0,
        "reasoning_tokens": s.reasoning_tokens,
        "tokens_estimated": s.tokens_estimated,
        "time_to_first_token_s": s.time_to_first_token_s,
        "total_time_s": s.total_time_s,
        "finish_reason": s.finish_reason,
        "cost_usd": result.cost_usd,
        "created_at": datetime.now(UTC).isoformat(),
        "t": time.time(),
    } | ({"tool_calls": tool_calls_to_json(result.tool_calls)} if result.tool_calls else {})


def tool_calls_to_json(calls: tuple[ToolCall, ...]) -> list[dict[str, str]]:
    return [{"id": c.id, "name": c.name, "arguments": c.arguments} for c in calls]


def tool_calls_from_json(rows: Any) -> tuple[ToolCall, ...]:
    """The tool calls of a cache entry (``entry.get("tool_calls")``); none when absent."""
    if not isinstance(rows, list):
        return ()
    return tuple(
        ToolCall(
            id=str(r.get("id", "")),
            name=str(r.get("name", "")),
            arguments=str(r.get("arguments", "")),
        )
        for r in rows
        if isinstance(r, dict)
    )


def answer_from_entry(side: str, prompt: str, entry: dict[str, Any]) -> Answer:
    stats = AnswerStats(
        prompt_tokens=entry.get("prompt_tokens"),
        completion_tokens=entry.get("completion_tokens"),
        reasoning_tokens=entry.get("reasoning_tokens"),
        time_to_first_token_s=entry.get("time_to_first_token_s"),
        total_time_s=entry.get("total_time_s") or 0.0,
        finish_reason=entry.get("finish_reason"),
        tokens_estimated=bool(entry.get("tokens_estimated")),
    )
    return Answer(
        side=side,
        turn=0,
        prompt=prompt,
        content=entry["text"],
        reasoning=entry.get("reasoning") or "",
        stats=stats,
        style=style_counts(entry["text"], entry.get("completion_tokens")),
    )


def default_cache_path(work_dir: Path, run_name: str) -> Path:
    return work_dir / f"{run_name}.jsonl"
