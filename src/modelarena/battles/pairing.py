"""Choosing the two contestants of a battle.

The default sampler follows FastChat's: the first model is drawn with probability
proportional to its weight, the second among the rest the same way, and sides are a coin
flip. Models with few votes get a boost; models that keep failing get weight 0. The
probability of the drawn unordered pair is returned so ratings can weight by its inverse.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

NEW_MODEL_VOTES = 300  # below this many votes a model counts as new
NEW_MODEL_BOOST = 5.0


@dataclass(frozen=True)
class Pairing:
    model_a: str
    model_b: str
    probability: float  # of the unordered pair {a, b}


class NotEnoughModels(ValueError):
    def __init__(self, available: int) -> None:
        super().__init__(
            f"a battle needs two available models, but {available} "
            f"{'is' if available == 1 else 'are'} available"
        )


def effective_weights(
    models: Sequence[str],
    weights: Mapping[str, float],
    votes: Mapping[str, int],
    excluded: frozenset[str] = frozenset(),
) -> dict[str, float]:
    out = {}
    for m in models:
        if m in excluded:
            continue
        w = weights.get(m, 1.0)
        if votes.get(m, 0) < NEW_MODEL_VOTES:
            w *= NEW_MODEL_BOOST
        if w > 0:
            out[m] = w
    return out


def pair_probability(w: Mapping[str, float], a: str, b: str) -> float:
    """P(draw {a,b}) when the first is drawn by weight and the second among the rest."""
    total = sum(w.values())
    p_a_first = w[a] / total * w[b] / (total - w[a])
    p_b_first = w[b] / total * w[a] / (total - w[b])
    return p_a_first + p_b_first


def draw_pair(
    models: Sequence[str],
    *,
    weights: Mapping[str, float] | None = None,
    votes: Mapping[str, int] | None = None,
    excluded: frozenset[str] = frozenset(),
    rng: random.Random | None = None,
    pair_matrix: Mapping[tuple[str, str], float] | None = None,
) -> Pairing:
    """Draw two distinct models. ``pair_matrix`` (adaptive pairing) overrides the weights."""
    rng = rng or random.Random()
    if pair_matrix:
        pairs = [
            (p, q)
            for (p, q), v in pair_matrix.items()
            if v > 0 and p not in excluded and q not in excluded
        ]
        if pairs:
            mass = [pair_matrix[p] for p in pairs]
            total = sum(mass)
            a, b = rng.choices(pairs, weights=mass)[0]
            prob = pair_matrix[(a, b)] / total
            if rng.random() < 0.5:
                a, b = b, a
            return Pairing(a, b, prob)
    w = effective_weights(models, weights or {}, votes or {}, excluded)
    if len(w) < 2:
        raise NotEnoughModels(len(w))
    names = list(w)
    first = rng.choices(names, weights=[w[n] for n in names])[0]
    rest = [n for n in names if n != first]
    second = rng.choices(rest, weights=[w[n] for n in rest])[0]
    prob = pair_probability(w, first, second)
    if rng.random() < 0.5:
        first, second = second, first
    return Pairing(first, second, prob)
