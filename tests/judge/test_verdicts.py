"""Verdict parsing: strict labels, sloppy variants, and garbage that must never count."""

from __future__ import annotations

import pytest

from modelarena.judge.verdicts import (
    UNPARSEABLE_CONFLICT,
    UNPARSEABLE_NO_LABEL,
    Label,
    parse_verdict,
)


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("My final verdict is [[A>>B]].", Label.A_MUCH_BETTER),
        ("[[A>B]] because it is right.", Label.A_BETTER),
        ("Tie: [[A=B]]", Label.TIE),
        ("[[B>A]]", Label.B_BETTER),
        ("Clearly [[B>>A]]", Label.B_MUCH_BETTER),
        # sloppy variants
        ("Output: [A>>B]", Label.A_MUCH_BETTER),
        ("[[ A > B ]]", Label.A_BETTER),
        ("[[A<B]]", Label.B_BETTER),
        ("[[A<<B]]", Label.B_MUCH_BETTER),
        ("[[B=A]]", Label.TIE),
        ("**[[B>A]]**", Label.B_BETTER),
        ("`[[A>B]]`", Label.A_BETTER),
        ("Verdict: A≫B", Label.A_MUCH_BETTER),
        ("verdict is B > A, since A is wrong", Label.B_BETTER),
        ("A>B", Label.A_BETTER),
        ("I pick B>>A.", Label.B_MUCH_BETTER),
        ("[[A>=B]]", Label.A_BETTER),
        ("My final verdict is: Assistant A is significantly better.", Label.A_MUCH_BETTER),
        ("Answer B is slightly better.", Label.B_BETTER),
        ("It's a tie, relatively the same.", Label.TIE),
        # the double-bracket label wins over an echoed scale in single brackets
        ("[A>>B] is one option; my verdict: [[B>A]]", Label.B_BETTER),
        # repeating the same label is fine
        ("[[A>B]] ... so again [[A>B]]", Label.A_BETTER),
    ],
)
def test_labels_are_read(text: str, label: Label) -> None:
    parsed = parse_verdict(text)
    assert parsed.ok
    assert parsed.label is label


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", UNPARSEABLE_NO_LABEL),
        (None, UNPARSEABLE_NO_LABEL),
        ("   \n", UNPARSEABLE_NO_LABEL),
        ("Output:", UNPARSEABLE_NO_LABEL),
        ("The capital of France is Paris.", UNPARSEABLE_NO_LABEL),
        ("Both are fine I guess", UNPARSEABLE_NO_LABEL),
        ("[[C>D]]", UNPARSEABLE_NO_LABEL),
        ("[[A>A]]", UNPARSEABLE_NO_LABEL),
        ("Bananas>Apples", UNPARSEABLE_NO_LABEL),
        ("<answer_a>AB</answer_b>", UNPARSEABLE_NO_LABEL),
        # a judge that echoes the scale, or changes its mind
        ("[[A>>B]], [[A>B]], [[A=B]], [[B>A]] or [[B>>A]]", UNPARSEABLE_CONFLICT),
        ("First [[A>B]], on reflection [[B>A]]", UNPARSEABLE_CONFLICT),
        ("Output: [A>>B, B>A]", UNPARSEABLE_CONFLICT),
        ("Assistant A is better. Assistant B is better.", UNPARSEABLE_CONFLICT),
    ],
)
def test_garbage_is_unparseable(text: str | None, problem: str) -> None:
    parsed = parse_verdict(text)
    assert not parsed.ok
    assert parsed.label is None
    assert parsed.problem == problem


def test_scores_are_symmetric_and_strong_weighs_double() -> None:
    assert [lab.score for lab in Label] == [2, 1, 0, -1, -2]
    assert Label.A_MUCH_BETTER.strong and Label.B_MUCH_BETTER.strong
    assert not Label.A_BETTER.strong and not Label.TIE.strong
