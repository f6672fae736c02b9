"""The bracket of a four-model tournament, as pure functions (no store, no clock).

Four answers to one prompt fill four slots in a uniformly random order, drawn before any
model has answered, so nothing about speed can enter it. Round 1 is slot 0 against slot 1,
then slot 2 against slot 3, with slot ``a`` on the left: one random permutation makes the
pairings, the sides and the order of the matches independent of which model finishes
first. Round 2 has the winners' match (places 1 and 2) and the losers' match (places 3
and 4), in random order, with random sides.

A tie or "both bad" is allowed at every step. In round 1 one side must still go on to the
winners' match: a fair coin the voter never sees decides which (the vote itself is stored
as what the voter said, a tie, and counts half a win each in the fit). In round 2 a tie
decides nothing further, so the two share the place: 1 and 1, or 3 and 3.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

ROUND1 = "round1"
WINNERS = "winners"
LOSERS = "losers"
DECISIVE = {"a": "a", "b": "b"}
VERDICTS = ("a", "b", "tie", "both_bad")
MATCHES = 4  # two in round 1, the winners' and the losers' match


@dataclass(frozen=True)
class Pairing:
    """One match of the bracket: slot ``slot_a`` on the left against ``slot_b``."""

    position: int
    stage: str
    slot_a: int
    slot_b: int


def draw_slots(models: Sequence[str], rng: random.Random) -> list[str]:
    """The four models in a uniformly random slot order (a fresh permutation)."""
    if len(models) != 4 or len(set(models)) != 4:
        raise ValueError("a tournament needs four different models")
    slots = list(models)
    rng.shuffle(slots)
    return slots


def round_one() -> list[Pairing]:
    """Slot 0 v slot 1, then slot 2 v slot 3: random because the slots are."""
    return [Pairing(0, ROUND1, 0, 1), Pairing(1, ROUND1, 2, 3)]


def advancing(verdict: str, coin: bool) -> str:
    """The side placed higher by a verdict: the winner, or after a tie or "both bad" the
    side a hidden fair coin picks (``coin`` True: ``a``)."""
    if verdict not in VERDICTS:
        raise ValueError(f"unknown verdict {verdict!r}; use one of: {', '.join(VERDICTS)}")
    if verdict in DECISIVE:
        return DECISIVE[verdict]
    return "a" if coin else "b"


def winner_loser(p: Pairing, advances: str) -> tuple[int, int]:
    """(higher slot, lower slot) of a decided match."""
    return (p.slot_a, p.slot_b) if advances == "a" else (p.slot_b, p.slot_a)


def round_two(
    first: tuple[Pairing, str], second: tuple[Pairing, str], rng: random.Random
) -> list[Pairing]:
    """The winners' and the losers' match after round 1 (each match with the side it
    advanced), in random order with random sides."""
    w1, l1 = winner_loser(*first)
    w2, l2 = winner_loser(*second)
    games = []
    for stage, x, y in ((WINNERS, w1, w2), (LOSERS, l1, l2)):
        if rng.random() < 0.5:
            x, y = y, x
        games.append((stage, x, y))
    if rng.random() < 0.5:
        games.reverse()
    return [Pairing(2 + i, stage, x, y) for i, (stage, x, y) in enumerate(games)]


def ranking(decided: Sequence[tuple[Pairing, str, str]]) -> list[int]:
    """Places 1-4 per slot from the four decided matches ``(pairing, verdict, advances)``.
    The winners' match gives 1 and 2, the losers' match 3 and 4; a tie in either shares
    the place (1 and 1, or 3 and 3)."""
    places = [0, 0, 0, 0]
    stages = {p.stage: (p, verdict, adv) for p, verdict, adv in decided}
    if WINNERS not in stages or LOSERS not in stages:
        raise ValueError("the ranking needs the winners' and the losers' match")
    for stage, top in ((WINNERS, 1), (LOSERS, 3)):
        p, verdict, adv = stages[stage]
        hi, lo = winner_loser(p, adv)
        places[hi] = top
        places[lo] = top if verdict not in DECISIVE else top + 1
    return places
