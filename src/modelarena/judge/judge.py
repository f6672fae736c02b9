"""The judge: a rubric, two presentations with the sides swapped, one combined verdict.

Any configured model can judge.  It sees the user's prompt and two answers, labelled
"Answer A" and "Answer B", and replies with a 5-point label (see :mod:`.verdicts`).  Every
pair is judged twice: once as stored (battle side ``a`` shown first) and once swapped.

Combining (decided here, documented in docs/judge.md): each pass gives a score for the
battle's side ``a`` (A>>B = +2, A>B = +1, A=B = 0, B>A = -1, B>>A = -2, negated for the
swapped pass).  The two scores are summed; the sign is the vote (``a``, ``b`` or ``tie``).
So a strong verdict weighs twice a plain one: "much better" in one order beats "better"
the other way, and two opposite plain verdicts (the judge followed the position, not the
answers) cancel into a tie.  Passes that prefer opposite sides are *inconsistent* and are
reported.  If either pass is unparseable the vote is stored but not counted.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from modelarena.backends.base import Message
from modelarena.battles.categories import Category
from modelarena.battles.records import Verdict
from modelarena.judge.verdicts import Label, parse_verdict

RUBRIC_VERSION = "3"  # part of every cached judgment's key: a new rubric re-judges
MAX_ANSWER_CHARS = 12_000  # per answer shown to the judge; longer ones are cut
NOT_COUNTED_UNPARSEABLE = "judge_unparseable"

_COMMON = (
    "You are an impartial judge comparing two AI answers to the same user prompt. "
    "Do not let the order of the answers, their length, or the names of any models "
    "influence you; a longer answer is not better unless its extra content helps. "
    "Start your reply with exactly one verdict label, then explain it in one or two "
    "sentences.\n"
    "Labels: [[A>>B]] A is much better; [[A>B]] A is better; [[A=B]] about the same; "
    "[[B>A]] B is better; [[B>>A]] B is much better."
)
RUBRIC_CHAT = (
    _COMMON + "\nJudge helpfulness (does it do what was asked?), correctness (are the facts "
    "and reasoning right?), relevance and concision. An answer with a factual error is "
    "worse than a shorter correct one."
)
RUBRIC_DESIGN = (
    _COMMON + "\nThe answers are code for a {kind}. You cannot run it: judge the code itself. "
    "Does it build everything the prompt asked for? Would it work as written in a browser "
    "(one complete, self-contained document, no external resources, no obvious bugs)? How "
    "good would the result look and feel to use? Code that would not run, or only "
    "describes the result, is much worse than a working page."
)
RUBRIC_DESIGN_SCREENSHOTS = (
    _COMMON + "\nThe answers are {kind}s, and you see them as they render: a screenshot of "
    "each page in a browser 390 px wide (a phone), the first image for Answer A, the second "
    "for Answer B. Judge what you see: does it show everything the prompt asked for, is it "
    "laid out well and readable at that width, how good does it look? A page that is blank, "
    "cut off or did not render is much worse than a working one."
)
_KINDS = {
    "website": "website",
    "ui-component": "UI component",
    "game": "browser game",
    "svg": "drawing (SVG)",
    "data-viz": "data visualisation",
}
_TAIL = (
    "Which answer is better? Output one label: [[A>>B]], [[A>B]], [[A=B]], [[B>A]] or "
    "[[B>>A]], then one sentence why.\nVerdict:"
)


def rubric(category: Category, *, screenshots: bool = False) -> str:
    kind = _KINDS.get(category.id, "web page")
    if category.design and screenshots:
        return RUBRIC_DESIGN_SCREENSHOTS.format(kind=kind)
    if category.design:
        return RUBRIC_DESIGN.format(kind=kind)
    return RUBRIC_CHAT


def _clip(text: str) -> str:
    if len(text) <= MAX_ANSWER_CHARS:
        return text
    return text[:MAX_ANSWER_CHARS] + "\n[... answer cut for length ...]"


def judge_messages(
    category: Category,
    prompt: str,
    first: str,
    second: str,
    *,
    screenshots: tuple[bytes | None, bytes | None] | None = None,
) -> list[Message]:
    """The conversation the judge sees, with ``first`` shown as Answer A.

    ``screenshots`` (design categories, a judge that accepts images): the two pages as PNG
    screenshots instead of their code, in the order shown (None: that page did not render).
    """
    if screenshots is not None and category.design:
        images = tuple(png for png in screenshots if png is not None)
        missing = [
            f"Answer {label} did not render (no screenshot)."
            for label, png in zip("AB", screenshots, strict=True)
            if png is None
        ]
        if missing and images:
            missing.append(f"The one image shows Answer {'B' if screenshots[0] is None else 'A'}.")
        parts = [f"User prompt:\n{prompt}", " ".join(missing), _TAIL]
        user = "\n\n".join(p for p in parts if p)
        return [
            Message("system", rubric(category, screenshots=True)),
            Message("user", user, images=images),
        ]
    user = (
        f"User prompt:\n{prompt}\n\n"
        f"[Answer A]\n{_clip(first)}\n[End of answer A]\n\n"
        f"[Answer B]\n{_clip(second)}\n[End of answer B]\n\n{_TAIL}"
    )
    return [Message("system", rubric(category)), Message("user", user)]


@dataclass(frozen=True)
class JudgePass:
    """One presentation: ``order`` "ab" shows battle side a first, "ba" side b first."""

    order: str
    text: str
    label: Label | None
    problem: str | None = None

    @classmethod
    def from_text(cls, order: str, text: str) -> JudgePass:
        parsed = parse_verdict(text)
        return cls(order, text, parsed.label, parsed.problem)

    @property
    def score_for_a(self) -> int | None:
        """The pass's score for the battle's side a (+2 .. -2), None if unparseable."""
        if self.label is None:
            return None
        return self.label.score if self.order == "ab" else -self.label.score

    @property
    def prefers_first_shown(self) -> bool | None:
        """True/False when the pass picked a side; None for a tie or no label."""
        if self.label is None or self.label is Label.TIE:
            return None
        return self.label.score > 0


@dataclass(frozen=True)
class Combined:
    verdict: Verdict  # a, b or tie; meaningful only when counted
    counted: bool
    score: int | None  # sum of both passes' scores for side a, -4 .. 4
    consistent: bool | None  # False: the passes preferred opposite sides
    passes: tuple[JudgePass, ...] = field(default_factory=tuple)

    def detail(self, judge: str) -> str:
        """The JSON stored with the vote: the judge's reasoning and how it was read."""
        body: dict[str, Any] = {
            "judge": judge,
            "rubric": RUBRIC_VERSION,
            "score": self.score,
            "consistent": self.consistent,
            "counted": self.counted,
            "passes": [
                {
                    "order": p.order,
                    "label": p.label.value if p.label else None,
                    "problem": p.problem,
                    "text": p.text,
                }
                for p in self.passes
            ],
        }
        return json.dumps(body, ensure_ascii=False)


def combine(first: JudgePass, second: JudgePass) -> Combined:
    """One verdict from the two passes (see the module doc)."""
    passes = (first, second)
    s1, s2 = first.score_for_a, second.score_for_a
    if s1 is None or s2 is None:
        return Combined(Verdict.TIE, False, None, None, passes)
    total = s1 + s2
    verdict = Verdict.A if total > 0 else Verdict.B if total < 0 else Verdict.TIE
    return Combined(verdict, True, total, not (s1 * s2 < 0), passes)


def parse_detail(detail: str | None) -> dict[str, Any] | None:
    """The stored detail of a judge vote, or None if it is not one of ours."""
    if not detail:
        return None
    try:
        body = json.loads(detail)
    except json.JSONDecodeError:
        return None
    return body if isinstance(body, dict) and "passes" in body else None
