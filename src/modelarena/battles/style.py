"""Style features of an answer: length and Markdown formatting, for style control.

Counted the way LMArena's style control counts them: headers are lines starting with
1-6 '#', list items are lines starting with '-', '*', '+' or 'N.', bold is '**x**' or
'__x__'. Code blocks are skipped so that code does not count as formatting.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_FENCE = re.compile(r"```.*?(```|\Z)", re.S)
_HEADER = re.compile(r"^\s{0,3}#{1,6}\s+\S", re.M)
_LIST = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+\S", re.M)
_BOLD = re.compile(r"\*\*[^*\n]+\*\*|__[^_\n]+__")
_TOKEN = re.compile(r"\w+|[^\w\s]")


@dataclass(frozen=True)
class StyleCounts:
    tokens: int
    headers: int
    lists: int
    bold: int


def approx_tokens(text: str) -> int:
    """A tokenizer-free token estimate (words and punctuation), for when no usage is known."""
    return len(_TOKEN.findall(text))


def style_counts(text: str, tokens: int | None = None) -> StyleCounts:
    prose = _FENCE.sub("", text)
    return StyleCounts(
        tokens=tokens if tokens is not None else approx_tokens(text),
        headers=len(_HEADER.findall(prose)),
        lists=len(_LIST.findall(prose)),
        bold=len(_BOLD.findall(prose)),
    )
