"""Hand-made battles with human votes and judge verdicts, stored through the real Store."""

from __future__ import annotations

from modelarena.battles.records import Answer, Verdict
from modelarena.battles.style import style_counts
from modelarena.judge.judge import NOT_COUNTED_UNPARSEABLE, JudgePass, combine
from modelarena.store import Store

JUDGE = "judge:tester"


def add_battle(
    store: Store,
    *,
    model_a: str = "m-a",
    model_b: str = "m-b",
    human: str | None = None,
    passes: tuple[str, str] | None = None,
    len_a: int = 100,
    len_b: int = 50,
    prompt: str = "a prompt",
) -> str:
    """A complete battle; ``human`` a verdict value; ``passes`` the judge's two replies
    (side a shown first, then swapped)."""
    battle = store.create_battle(
        category="chat", model_a=model_a, model_b=model_b, source="judge", prompt=prompt
    )
    answers = [
        Answer(
            side,
            0,
            prompt,
            content=f"answer {side}",
            style=style_counts(f"answer {side}", tokens=n),
        )
        for side, n in (("a", len_a), ("b", len_b))
    ]
    store.save_answers(battle.id, answers)
    if passes is not None:
        combined = combine(
            JudgePass.from_text("ab", passes[0]), JudgePass.from_text("ba", passes[1])
        )
        store.record_vote(
            battle.id,
            combined.verdict,
            voter=None,
            source=JUDGE,
            not_counted_reason=None if combined.counted else NOT_COUNTED_UNPARSEABLE,
            detail=combined.detail("tester"),
            reveal=False,
        )
    if human is not None:
        store.record_vote(battle.id, Verdict(human), voter="v1")
    return battle.id


# judge replies that combine to each class without position bias
JUDGE_SAYS = {
    "a": ("[[A>B]]", "[[B>A]]"),
    "b": ("[[B>A]]", "[[A>B]]"),
    "tie": ("[[A=B]]", "[[A=B]]"),
}
