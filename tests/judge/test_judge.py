"""The judge's rubric, the swap and how two passes become one vote."""

from __future__ import annotations

import json

from modelarena.battles.categories import get_category
from modelarena.battles.records import Verdict
from modelarena.judge.judge import (
    RUBRIC_CHAT,
    JudgePass,
    combine,
    judge_messages,
    parse_detail,
    rubric,
)


def passes(first: str, second: str) -> tuple[JudgePass, JudgePass]:
    return JudgePass.from_text("ab", first), JudgePass.from_text("ba", second)


def test_consistent_verdicts() -> None:
    c = combine(*passes("[[A>B]]", "[[B>A]]"))  # both prefer battle side a
    assert (c.verdict, c.counted, c.score, c.consistent) == (Verdict.A, True, 2, True)
    c = combine(*passes("[[B>>A]]", "[[A>>B]]"))
    assert (c.verdict, c.score) == (Verdict.B, -4)
    c = combine(*passes("[[A=B]]", "[[A=B]]"))
    assert (c.verdict, c.score, c.consistent) == (Verdict.TIE, 0, True)


def test_strong_verdict_outweighs_an_opposite_weak_one() -> None:
    c = combine(*passes("[[A>>B]]", "[[A>B]]"))  # +2 for a, then +1 for b
    assert (c.verdict, c.score, c.consistent) == (Verdict.A, 1, False)


def test_position_following_judge_cancels_to_a_tie_and_is_inconsistent() -> None:
    c = combine(*passes("[[A>B]]", "[[A>B]]"))
    assert (c.verdict, c.counted, c.score, c.consistent) == (Verdict.TIE, True, 0, False)


def test_half_tie_is_not_inconsistent() -> None:
    c = combine(*passes("[[A>B]]", "[[A=B]]"))
    assert (c.verdict, c.consistent) == (Verdict.A, True)


def test_unparseable_pass_is_never_counted() -> None:
    for first, second in (("nonsense", "[[B>A]]"), ("[[A>B]]", ""), ("?", "[[A>B]] [[B>A]]")):
        c = combine(*passes(first, second))
        assert not c.counted
        assert c.score is None


def test_detail_keeps_the_reasoning() -> None:
    c = combine(*passes("[[A>B]] A is correct, B is wrong.", "I am confused"))
    detail = json.loads(c.detail("m"))
    assert detail["judge"] == "m"
    assert detail["counted"] is False
    assert [p["order"] for p in detail["passes"]] == ["ab", "ba"]
    assert detail["passes"][0]["text"] == "[[A>B]] A is correct, B is wrong."
    assert detail["passes"][1]["problem"] == "no_label"
    assert parse_detail(c.detail("m")) == detail
    assert parse_detail("not json") is None
    assert parse_detail('{"import": 1}') is None


def test_design_battles_are_judged_on_the_code() -> None:
    assert rubric(get_category("chat")) == RUBRIC_CHAT
    design = rubric(get_category("game"))
    assert "code" in design and "browser game" in design
    assert design != RUBRIC_CHAT
    msgs = judge_messages(get_category("svg"), "a pelican", "<svg>1</svg>", "<svg>2</svg>")
    assert msgs[0].role == "system" and "SVG" in msgs[0].content
    user = msgs[1].content
    assert user.index("<svg>1</svg>") < user.index("<svg>2</svg>")
    swapped = judge_messages(get_category("svg"), "a pelican", "<svg>2</svg>", "<svg>1</svg>")
    assert swapped[1].content.index("<svg>2</svg>") < swapped[1].content.index("<svg>1</svg>")


def test_long_answers_are_cut_for_the_judge() -> None:
    msgs = judge_messages(get_category("chat"), "p", "x" * 50_000, "short")
    assert len(msgs[1].content) < 20_000
    assert "answer cut for length" in msgs[1].content
