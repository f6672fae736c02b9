"""The answers people labelled, for ``arena audit validate-judge`` (:mod:`.validate`).

- ``refusal`` and ``refusal_extra``: PyRIT 1.1.0's human refusal labels (105 + 64 answers,
  refusal or not; ``data/refusal_labels/PROVENANCE``).
- ``info``: the project's hand-labelled answers of the information suites
  (``data/info_labels/*.jsonl``: ``suite, language, prompt, answer, label, note``), one set
  per suite.
- a file a user brings (:func:`file_set`): CSV or JSONL of ``prompt, answer, label`` rows;
  XSTest's labelled completions (``type, prompt, completion, final_label``) as they are.
- ``xstest``: XSTest ships labels of its prompts, not of answers: skipped with the reason.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from modelarena.audits.probes import Suite

RULES = "rules"
REFUSAL, NOT_REFUSAL = "refusal", "not_refusal"
BINARY = (REFUSAL, NOT_REFUSAL)
THREE = ("compliance", "full_refusal", "partial_refusal")  # XSTest's classes
SETS = ("refusal", "refusal_extra", "info", "xstest")
XSTEST_SKIP = (
    "XSTest ships labels of its prompts (safe / unsafe), not human labels of model answers, "
    "so a judge of answers cannot be scored on it; give XSTest's labelled completions "
    "(xstest_v2_completions_*.csv from its repository) with --labels FILE"
)
_XSTEST_CODES = {
    "1_full_compliance": "compliance",
    "2_full_refusal": "full_refusal",
    "3_partial_refusal": "partial_refusal",
    "full_compliance": "compliance",
}


class LabelSetError(ValueError):
    """A label file that cannot be read (its path and the fix are in the message)."""


@dataclass(frozen=True)
class LabelledAnswer:
    id: str
    prompt: str
    answer: str
    label: str  # the people's label, in the set's vocabulary
    language: str = "en"
    group: str = ""  # XSTest's type, or the language for the information sets
    meta: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class LabelSet:
    name: str
    source: str
    labels: tuple[str, ...]  # the people's vocabulary
    items: tuple[LabelledAnswer, ...]
    suite: str = ""  # "" : refusal classification; else the suite whose judge is scored


@dataclass(frozen=True)
class Skipped:
    name: str
    reason: str


# ---------------------------------------------------------------- loading the sets


def _data(*parts: str) -> Path:
    return Path(str(resources.files("modelarena.audits").joinpath("data", *parts)))


def _csv_rows(text: str) -> list[dict[str, str]]:
    """CSV rows; ``#`` comment lines are skipped at the top of the file only (an answer
    may hold a markdown heading on a line of its own)."""
    lines = io.StringIO(text, newline="").readlines()
    while lines and lines[0].startswith("#"):
        lines.pop(0)
    return list(csv.DictReader(lines))


def pyrit_set(name: str, path: Path | None = None) -> LabelSet:
    """One of PyRIT's refusal files (``human_score`` 1 = refusal)."""
    path = path or _data("refusal_labels", f"{name}.csv")
    items = []
    for i, row in enumerate(_csv_rows(path.read_text(encoding="utf-8"))):
        score = (row.get("human_score") or "").strip()
        if score not in ("0", "1"):
            raise LabelSetError(f"{path}: row {i + 2} has human_score {score!r}, not 0 or 1")
        label = REFUSAL if score == "1" else NOT_REFUSAL
        items.append(
            LabelledAnswer(f"{name}-{i}", row["objective"], row["assistant_response"], label)
        )
    return LabelSet(name, f"PyRIT 1.1.0 {path.name} (MIT)", BINARY, tuple(items))


def info_sets(
    folder: Path | None = None, suites: Mapping[str, Suite] | None = None
) -> list[LabelSet]:
    """The hand-labelled answers of the information suites, one set per suite."""
    folder = folder or _data("info_labels")
    by_suite: dict[str, list[LabelledAnswer]] = {}
    for path in sorted(folder.glob("*.jsonl")) if folder.is_dir() else []:
        for n, row in enumerate(_jsonl(path), 1):
            where = f"{path} row {n}"
            if not row.get("suite"):
                raise LabelSetError(f"{where}: needs the suite it belongs to")
            item = _item(row, f"{path.stem}-{n}", where=where)
            by_suite.setdefault(str(row["suite"]), []).append(item)
    out = []
    for suite_name, items in sorted(by_suite.items()):
        vocab = _suite_labels(suite_name, suites) or tuple(sorted({i.label for i in items}))
        out.append(
            LabelSet(
                f"info:{suite_name}",
                "modelarena hand-labelled answers (data/info_labels)",
                vocab,
                tuple(items),
                suite=suite_name,
            )
        )
    return out


def _suite_labels(name: str, suites: Mapping[str, Suite] | None) -> tuple[str, ...]:
    if suites and name in suites:
        return tuple(suites[name].labels)
    return ()


def _jsonl(path: Path, text: str | None = None) -> list[dict[str, Any]]:
    out = []
    if text is None:
        text = path.read_text(encoding="utf-8")
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise LabelSetError(f"{path}:{n}: not JSON ({exc.msg}); one object a line") from exc
        if not isinstance(row, dict):
            raise LabelSetError(f"{path}:{n}: a line must be a JSON object")
        out.append(row)
    return out


def _item(row: Mapping[str, Any], default_id: str, *, where: str) -> LabelledAnswer:
    answer = row.get("answer", row.get("completion", row.get("response")))
    label = row.get("label", row.get("final_label"))
    if row.get("prompt") is None or answer is None or label in (None, ""):
        raise LabelSetError(f"{where}: needs prompt, answer and label")
    language = str(row.get("language") or "en")
    group = str(row.get("type") or row.get("group") or language)
    keep = {"suite", "prompt", "answer", "label", "language", "id", "completion", "response"}
    meta = {k: v for k, v in row.items() if k not in keep}
    return LabelledAnswer(
        str(row.get("id") or default_id),
        str(row["prompt"]),
        str(answer),
        _refusal_word(str(label)),
        language,
        group,
        meta,
    )


def _refusal_word(label: str) -> str:
    word = label.strip().lower().replace(" ", "_").replace("-", "_")
    return _XSTEST_CODES.get(word, word)


def file_set(path: Path) -> LabelSet:
    """A labelled file a user brings: CSV or JSONL with ``prompt``, ``answer`` (or
    ``completion``) and ``label`` (or XSTest's ``final_label``), optionally ``suite``,
    ``language`` and ``type``. Labels: refusal / not_refusal (or 1 / 0), or XSTest's
    full_compliance / full_refusal / partial_refusal; with a ``suite``, that suite's."""
    if path.is_dir():
        raise LabelSetError(f"{path} is a folder: give a CSV or JSONL file of labelled answers")
    if not path.is_file():
        raise LabelSetError(f"{path}: no such file (give a CSV or JSONL of labelled answers)")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise LabelSetError(
            f"{path}: cannot be read as UTF-8 text ({exc}); save it as UTF-8"
        ) from exc
    rows: list[dict[str, Any]] = (
        _jsonl(path, text) if path.suffix.lower() in (".jsonl", ".json") else _csv_rows(text)
    )
    if not rows:
        raise LabelSetError(f"{path}: no rows")
    items = [
        _item(row, f"{path.stem}-{i}", where=f"{path} row {i + 1}") for i, row in enumerate(rows)
    ]
    suites = {str(r.get("suite") or "") for r in rows}
    if len(suites) > 1:
        raise LabelSetError(f"{path}: one suite a file, not {', '.join(sorted(suites))}")
    suite = suites.pop()
    seen = {i.label for i in items}
    if not suite and seen <= {"1", "0", "true", "false", REFUSAL, NOT_REFUSAL}:
        binary = {"1": REFUSAL, "true": REFUSAL, "0": NOT_REFUSAL, "false": NOT_REFUSAL}
        items = [_relabel(i, binary.get(i.label, i.label)) for i in items]
        vocab: tuple[str, ...] = BINARY
    elif not suite:
        if not seen <= set(THREE):
            raise LabelSetError(
                f"{path}: labels {', '.join(sorted(seen - set(THREE)))} are neither "
                "refusal / not_refusal nor compliance / full_refusal / partial_refusal"
            )
        vocab = THREE
    else:
        vocab = tuple(sorted(seen))
    return LabelSet(path.stem, str(path), vocab, tuple(items), suite=suite)


def _relabel(item: LabelledAnswer, label: str) -> LabelledAnswer:
    return LabelledAnswer(
        item.id, item.prompt, item.answer, label, item.language, item.group, item.meta
    )


def take(label_set: LabelSet, limit: int | None) -> LabelSet:
    """At most ``limit`` answers, taken in turn from each of the people's labels (so a
    slice of a sorted file still holds refusals and answers), in file order within each."""
    if limit is None or limit >= len(label_set.items):
        return label_set
    by_label: dict[str, list[LabelledAnswer]] = {}
    for item in label_set.items:
        by_label.setdefault(item.label, []).append(item)
    queues = list(by_label.values())
    chosen: list[LabelledAnswer] = []
    while len(chosen) < limit:
        for queue in queues:
            if queue and len(chosen) < limit:
                chosen.append(queue.pop(0))
    order = {id(item): n for n, item in enumerate(label_set.items)}
    chosen.sort(key=lambda item: order[id(item)])
    return dataclasses.replace(label_set, items=tuple(chosen))
