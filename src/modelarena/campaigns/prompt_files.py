"""Reading a campaign's prompts from CSV or JSON Lines, and from text typed in a page.

A row needs a ``prompt`` column (or ``question``, ``text``); ``language`` and ``id`` are
kept when present. A prompt without a language is detected (see
:func:`modelarena.battles.language.detect_language`).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from modelarena.battles.language import detect_language, normalise_language

PROMPT_COLUMNS = ("prompt", "question", "text")


class PromptFileError(ValueError):
    """A prompt file that cannot be read; the message names the file, the row and the fix."""


@dataclass(frozen=True)
class CampaignPrompt:
    text: str
    language: str
    external_id: str | None = None

    def as_row(self) -> tuple[str, str, str | None]:
        return (self.text, self.language, self.external_id)


def _prompt(row: Mapping[str, Any], where: str) -> CampaignPrompt | None:
    text = next((row[c] for c in PROMPT_COLUMNS if isinstance(row.get(c), str)), None)
    if text is None:
        raise PromptFileError(
            f"{where}: no prompt column (use one of: {', '.join(PROMPT_COLUMNS)})"
        )
    text = text.strip()
    if not text:
        return None
    language = normalise_language(row.get("language")) or detect_language(text)
    raw_id = row.get("id")
    external_id = str(raw_id)[:128] if raw_id not in (None, "") else None
    return CampaignPrompt(text, language, external_id)


def prompts_from_rows(rows: Iterable[Mapping[str, Any]], name: str) -> list[CampaignPrompt]:
    out = []
    for i, row in enumerate(rows, start=1):
        if not isinstance(row, Mapping):
            raise PromptFileError(f"{name} row {i}: expected an object with a prompt column")
        prompt = _prompt(row, f"{name} row {i}")
        if prompt is not None:
            out.append(prompt)
    if not out:
        raise PromptFileError(f"{name}: no prompts in it")
    return out


def read_prompt_file(path: Path) -> list[CampaignPrompt]:
    """Prompts from a ``.csv`` or ``.jsonl`` file. Raises :class:`PromptFileError`."""
    if not path.is_file():
        raise PromptFileError(f"{path}: no such file")
    suffix = path.suffix.lower()
    try:
        text = path.read_text("utf-8-sig")
    except UnicodeDecodeError:
        raise PromptFileError(f"{path}: not UTF-8 text; save it as UTF-8") from None
    if suffix == ".csv":
        return prompts_from_rows(csv.DictReader(text.splitlines()), path.name)
    if suffix in (".jsonl", ".ndjson"):
        rows = []
        for i, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise PromptFileError(f"{path.name} line {i}: not JSON ({exc.msg})") from None
        return prompts_from_rows(rows, path.name)
    raise PromptFileError(f"{path}: use a .csv or .jsonl file (with a prompt column)")


def prompts_from_text(text: str) -> list[CampaignPrompt]:
    """One prompt per block of text separated by a blank line (as typed in the page)."""
    blocks = [b.strip() for b in text.replace("\r\n", "\n").split("\n\n")]
    out = [CampaignPrompt(b, detect_language(b)) for b in blocks if b]
    if not out:
        raise PromptFileError("no prompts: write one prompt per paragraph")
    return out
