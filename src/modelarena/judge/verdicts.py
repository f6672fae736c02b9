"""Reading a judge's 5-point verdict out of its free text.

The judge is asked for one label in double square brackets: ``[[A>>B]]``, ``[[A>B]]``,
``[[A=B]]``, ``[[B>A]]`` or ``[[B>>A]]``.  Models are sloppy, so a few variants are read
too (single brackets, ``A < B``, ``≫``, "my final verdict is: Assistant A is significantly
better").  The rule, from the strictest form to the loosest: the first form that occurs
decides; within it, every label found must agree.  Several different labels (a judge that
echoes the scale, or changes its mind) and no label at all are *unparseable*: the judgment
is kept with its text and the reason, and never counted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum


class Label(StrEnum):
    """A judge's verdict on one presentation, in the order the answers were shown."""

    A_MUCH_BETTER = "A>>B"
    A_BETTER = "A>B"
    TIE = "A=B"
    B_BETTER = "B>A"
    B_MUCH_BETTER = "B>>A"

    @property
    def score(self) -> int:
        """+2 .. -2 for the first-shown answer (A)."""
        return _SCORES[self]

    @property
    def strong(self) -> bool:
        return abs(_SCORES[self]) == 2


_SCORES = {
    Label.A_MUCH_BETTER: 2,
    Label.A_BETTER: 1,
    Label.TIE: 0,
    Label.B_BETTER: -1,
    Label.B_MUCH_BETTER: -2,
}

UNPARSEABLE_NO_LABEL = "no_label"
UNPARSEABLE_CONFLICT = "conflicting_labels"


@dataclass(frozen=True)
class ParsedVerdict:
    label: Label | None
    problem: str | None = None  # why there is no label: no_label | conflicting_labels

    @property
    def ok(self) -> bool:
        return self.label is not None


_OP = r"(>>|<<|>|<|=)"
_SIDE = r"([AB])"
_CORE = rf"{_SIDE}\s*{_OP}\s*{_SIDE}"
_DOUBLE = re.compile(rf"\[\[\s*{_CORE}\s*\]\]")
_SINGLE = re.compile(rf"\[\s*{_CORE}\s*\]")
_INTRO = re.compile(rf"verdict\s*(?:is|:)?\s*:?\s*{_CORE}(?![A-Za-z])", re.IGNORECASE)
_BARE = re.compile(rf"(?<![A-Za-z0-9]){_CORE}(?![A-Za-z0-9])")
_PHRASE = re.compile(
    r"(?:assistant|answer|response|model)\s+([AB])\s+is\s+"
    r"(significantly|much|far|slightly|somewhat|clearly)?\s*better",
    re.IGNORECASE,
)
_TIE_PHRASE = re.compile(
    r"\b(?:tie|relatively the same|equally (?:good|bad)|about the same)\b", re.IGNORECASE
)


def _normalise(text: str) -> str:
    table = {
        "≫": ">>",
        "≪": "<<",
        "»": ">>",
        "«": "<<",
        "≈": "=",
        "~": "=",
        "＞": ">",
        "＜": "<",
        "＝": "=",
        "*": "",
        "`": "",
    }
    for old, new in table.items():
        text = text.replace(old, new)
    # "A>=B" and "A==B" mean nothing more than their first sign
    return text.replace(">=", ">").replace("<=", "<").replace("==", "=")


def _label(left: str, op: str, right: str) -> Label | None:
    if left == right:
        return None
    if op in ("<", "<<"):  # A<B is B>A
        left, right, op = right, left, op.replace("<", ">")
    if op == "=":
        return Label.TIE
    strong = op == ">>"
    if left == "A":
        return Label.A_MUCH_BETTER if strong else Label.A_BETTER
    return Label.B_MUCH_BETTER if strong else Label.B_BETTER


def _decide(found: list[Label]) -> ParsedVerdict | None:
    if not found:
        return None
    distinct = set(found)
    if len(distinct) == 1:
        return ParsedVerdict(found[0])
    return ParsedVerdict(None, UNPARSEABLE_CONFLICT)


def parse_verdict(text: str | None) -> ParsedVerdict:
    """The label in a judge's reply, or why there is none."""
    if not text or not text.strip():
        return ParsedVerdict(None, UNPARSEABLE_NO_LABEL)
    norm = _normalise(text)
    for pattern in (_DOUBLE, _SINGLE, _INTRO, _BARE):
        labels = [lab for m in pattern.finditer(norm) if (lab := _label(*m.groups()))]
        decided = _decide(labels)
        if decided is not None:
            return decided
    phrases: list[Label] = []
    for m in _PHRASE.finditer(norm):
        side, degree = m.group(1).upper(), (m.group(2) or "").lower()
        strong = degree in ("significantly", "much", "far", "clearly")
        phrases.append(
            _label(side, ">>" if strong else ">", "B" if side == "A" else "A") or Label.TIE
        )
    if _TIE_PHRASE.search(norm) and not phrases:
        phrases.append(Label.TIE)
    decided = _decide(phrases)
    return decided or ParsedVerdict(None, UNPARSEABLE_NO_LABEL)
