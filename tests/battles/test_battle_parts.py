"""Pairing, style features and verdict parsing (the identity filter: tests/battles)."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from modelarena.battles.pairing import NotEnoughModels, draw_pair, pair_probability
from modelarena.battles.records import Verdict
from modelarena.battles.style import style_counts


def test_pair_probability_matches_the_sampler() -> None:
    rng = random.Random(7)
    models = ["a", "b", "c", "d"]
    weights = {"a": 1.0, "b": 2.0, "c": 3.0, "d": 0.5}
    votes = {m: 1000 for m in models}
    seen: Counter[frozenset[str]] = Counter()
    n = 40_000
    logged = {}
    for _ in range(n):
        p = draw_pair(models, weights=weights, votes=votes, rng=rng)
        key = frozenset((p.model_a, p.model_b))
        seen[key] += 1
        logged[key] = p.probability
    for key, count in seen.items():
        assert abs(count / n - logged[key]) < 0.01
        a, b = sorted(key)
        assert logged[key] == pytest.approx(pair_probability(weights, a, b))
    assert sum(logged.values()) == pytest.approx(1.0)


def test_new_models_are_boosted_and_excluded_ones_never_drawn() -> None:
    rng = random.Random(1)
    votes = {"old1": 5000, "old2": 5000, "new": 0}
    drawn = Counter()
    for _ in range(3000):
        p = draw_pair(["old1", "old2", "new"], votes=votes, rng=rng, excluded=frozenset({"gone"}))
        drawn.update([p.model_a, p.model_b])
    assert drawn["new"] > drawn["old1"]
    with pytest.raises(NotEnoughModels):
        draw_pair(["a", "b"], excluded=frozenset({"b"}))


def test_sides_are_a_coin_flip() -> None:
    rng = random.Random(3)
    firsts = Counter(draw_pair(["x", "y"], rng=rng).model_a for _ in range(2000))
    assert 900 < firsts["x"] < 1100


def test_style_counts_skip_code_blocks() -> None:
    text = (
        "# Title\n\nSome **bold** and __also__.\n\n- one\n- two\n1. three\n"
        "```\n# not a header\n- nor a list\n```\n"
    )
    s = style_counts(text, tokens=42)
    assert (s.tokens, s.headers, s.lists, s.bold) == (42, 1, 3, 2)
    assert style_counts("plain").tokens == 1


@pytest.mark.parametrize(
    ("raw", "verdict"),
    [
        ("model_a", Verdict.A),
        ("rightvote", Verdict.B),
        ("tie (bothbad)", Verdict.BOTH_BAD),
        ("both_bad", Verdict.BOTH_BAD),
        ("TIE", Verdict.TIE),
        ("3", Verdict.TIE),
    ],
)
def test_verdict_parsing(raw: str, verdict: Verdict) -> None:
    assert Verdict.parse(raw) is verdict


def test_unknown_verdict() -> None:
    with pytest.raises(ValueError, match="unknown verdict"):
        Verdict.parse("model_c")
