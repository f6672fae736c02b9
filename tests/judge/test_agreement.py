"""Agreement maths on hand-made fixtures whose answers are worked out by hand."""

from __future__ import annotations

import math

import pytest

from modelarena.judge.agreement import agreement_report
from modelarena.ratings.proportions import cohen_kappa, confusion, wilson
from modelarena.store import Store

from .helpers import JUDGE, JUDGE_SAYS, add_battle

# Ten battles.  Rows: human, columns: judge.
#            judge A  judge B  judge tie | row total
# human A        3        1        0     |  4
# human B        1        2        0     |  3
# human tie      1        0        2     |  3
# column total   5        3        2     | 10
# observed agreement p_o = (3 + 2 + 2) / 10 = 0.7
# chance agreement   p_e = (4*5 + 3*3 + 3*2) / 100 = 0.35
# kappa = (0.7 - 0.35) / (1 - 0.35) = 0.35 / 0.65 = 7/13
HUMAN = ["a", "a", "a", "a", "b", "b", "b", "tie", "tie", "tie"]
JUDGE_V = ["a", "a", "a", "b", "b", "b", "a", "tie", "a", "tie"]
CODE = {"a": 0, "b": 1, "tie": 2}


def test_cohen_kappa_by_hand() -> None:
    x = [CODE[v] for v in HUMAN]
    y = [CODE[v] for v in JUDGE_V]
    assert cohen_kappa(x, y) == pytest.approx(7 / 13)
    assert confusion(x, y).tolist() == [[3, 1, 0], [1, 2, 0], [1, 0, 2]]


def test_kappa_edge_cases() -> None:
    assert cohen_kappa([0, 1, 2], [0, 1, 2]) == pytest.approx(1.0)
    # p_o = 0, p_e = 0.5 (each rater uses A and B half the time): kappa = -1
    assert cohen_kappa([0, 1], [1, 0]) == pytest.approx(-1.0)
    assert cohen_kappa([], []) is None
    assert cohen_kappa([0, 0, 0], [0, 0, 0]) is None  # undefined: chance agreement is 1


def test_wilson_interval_known_values() -> None:
    fig = wilson(50, 100)
    assert fig.value == 0.5
    assert fig.lower == pytest.approx(0.4038, abs=1e-4)
    assert fig.upper == pytest.approx(0.5962, abs=1e-4)
    zero = wilson(0, 10)
    assert zero.lower == 0.0 and zero.upper == pytest.approx(0.2775, abs=1e-4)
    assert wilson(0, 0).value is None


def test_report_on_hand_made_store(sqlite_url: str) -> None:
    store = Store.open(sqlite_url)
    for h, j in zip(HUMAN, JUDGE_V, strict=True):
        add_battle(store, human=h, passes=JUDGE_SAYS[j], len_a=100, len_b=50)
    # two judge-only battles where the judge always picks the first-shown answer:
    # inconsistent, so they combine to a tie
    for _ in range(2):
        add_battle(store, passes=("[[A>B]]", "[[A>B]]"))
    # one unparseable verdict (stored, never counted), with a human vote that must be ignored
    add_battle(store, human="a", passes=("garbage", "[[A>B]]"))
    # a human-only battle: not in the comparison
    add_battle(store, human="b")

    rep = agreement_report(store, JUDGE, rounds=300)
    assert rep.judge_votes == 13
    assert rep.unparseable.value == pytest.approx(1 / 13)
    assert rep.battles_both == 10
    assert rep.agreement.value == pytest.approx(0.7)
    assert rep.kappa.value == pytest.approx(7 / 13)
    assert rep.kappa.lower is not None and rep.kappa.upper is not None
    assert rep.kappa.lower < 7 / 13 < rep.kappa.upper
    assert rep.confusion == [[3, 1, 0], [1, 2, 0], [1, 0, 2]]
    # Passes that picked a side: 8 decisive battles x 2 passes (one first-shown each),
    # 2 biased battles x 2 first-shown passes, 1 parsed pass of the unparseable verdict.
    assert rep.position_bias.n == 16 + 4 + 1
    assert rep.position_bias.value == pytest.approx(13 / 21)
    # Decisive counted verdicts with a longer side a: 5 won by a (longer), 3 by b.
    assert rep.length_bias.value == pytest.approx(5 / 8)
    # Humans on the 10 shared battles: 4 picked a (longer), 3 b.
    assert rep.human_length_bias.value == pytest.approx(4 / 7)
    assert rep.inconsistency.value == pytest.approx(2 / 12)
    assert rep.spearman.value is None  # two models: no rank correlation
    store.close()


def test_rank_correlation_of_the_two_leaderboards(sqlite_url: str) -> None:
    store = Store.open(sqlite_url)
    models = ["m1", "m2", "m3", "m4"]
    for i, better in enumerate(models):
        for worse in models[i + 1 :]:
            # human and judge agree: the better one wins 2 of 3
            for winner in ("a", "a", "b"):
                add_battle(
                    store, model_a=better, model_b=worse, human=winner, passes=JUDGE_SAYS[winner]
                )
    rep = agreement_report(store, JUDGE, rounds=100)
    assert rep.models == models
    assert rep.spearman.value == pytest.approx(1.0)
    assert rep.kendall.value == pytest.approx(1.0)
    assert rep.spearman.n == 4
    assert rep.agreement.value == pytest.approx(1.0)
    assert rep.kappa.value == pytest.approx(1.0)
    store.close()


def test_rank_correlation_detects_a_reversed_judge(sqlite_url: str) -> None:
    store = Store.open(sqlite_url)
    models = ["m1", "m2", "m3"]
    flip = {"a": "b", "b": "a"}
    for i, better in enumerate(models):
        for worse in models[i + 1 :]:
            for winner in ("a", "a", "b"):
                add_battle(
                    store,
                    model_a=better,
                    model_b=worse,
                    human=winner,
                    passes=JUDGE_SAYS[flip[winner]],
                )
    rep = agreement_report(store, JUDGE, rounds=100)
    assert rep.spearman.value == pytest.approx(-1.0)
    assert rep.kendall.value == pytest.approx(-1.0)
    assert rep.agreement.value == 0.0
    assert rep.kappa.value is not None and rep.kappa.value < 0
    assert not math.isnan(rep.kappa.value)
    store.close()
