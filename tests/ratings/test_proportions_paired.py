"""McNemar's test, paired and unpaired differences, and the ratio of two proportions."""

from __future__ import annotations

import math

import numpy as np
import pytest

from modelarena.ratings.proportions import (
    cochran_q,
    difference,
    mcnemar,
    paired_difference,
    ratio,
)


def test_mcnemar_exact_and_mid_p_by_hand() -> None:
    # 9 vs 2 discordant pairs: P(X <= 2 | n=11, 1/2) = (1 + 11 + 55) / 2048
    test = mcnemar(9, 2)
    assert test.p_exact == pytest.approx(2 * 67 / 2048)
    assert test.p_mid == pytest.approx(2 * (67 - 55 / 2) / 2048)
    assert test.p_mid < test.p_exact
    assert mcnemar(2, 9) == mcnemar(2, 9)  # symmetric in value
    assert mcnemar(2, 9).p_exact == test.p_exact


def test_mcnemar_without_discordant_pairs_is_one() -> None:
    assert mcnemar(0, 0).p_exact == 1.0
    assert mcnemar(0, 0).p_mid == 1.0
    assert mcnemar(5, 5).p_exact == 1.0


def test_mcnemar_all_one_way() -> None:
    # 10 to 0: p = 2 / 2^10
    assert mcnemar(10, 0).p_exact == pytest.approx(2 / 1024)
    assert mcnemar(10, 0).p_mid == pytest.approx(1 / 1024)
    with pytest.raises(ValueError):
        mcnemar(-1, 2)


def test_newcombe_difference_matches_the_published_example() -> None:
    # Newcombe (1998a), 56/70 against 48/80, method 10: 0.0524 to 0.3339
    fig = difference(56, 70, 48, 80)
    assert fig.value == pytest.approx(0.2)
    assert fig.lower == pytest.approx(0.0524, abs=1e-4)
    assert fig.upper == pytest.approx(0.3339, abs=1e-4)
    assert fig.n == 150
    assert difference(0, 0, 1, 2).value is None


def test_paired_difference_reduces_to_newcombe_when_uncorrelated() -> None:
    # a*d == b*c gives phi = 0: the limits are the unpaired ones with equal n
    a, b, c, d = 4, 4, 6, 6
    paired = paired_difference(a, b, c, d)
    n = a + b + c + d
    unpaired = difference(a + b, n, a + c, n)
    assert paired.value == pytest.approx(unpaired.value)
    assert paired.lower == pytest.approx(unpaired.lower)
    assert paired.upper == pytest.approx(unpaired.upper)


def test_paired_difference_is_narrower_under_positive_correlation() -> None:
    paired = paired_difference(12, 9, 2, 21)
    assert paired.value == pytest.approx(7 / 44)
    assert paired.lower is not None and paired.upper is not None and paired.value is not None
    assert 0 < paired.lower < paired.value < paired.upper < 1
    unpaired = difference(21, 44, 14, 44)
    assert unpaired.lower is not None and unpaired.upper is not None
    assert paired.upper - paired.lower < unpaired.upper - unpaired.lower


def test_paired_difference_edges() -> None:
    assert paired_difference(0, 0, 0, 0).value is None
    same = paired_difference(10, 0, 0, 0)  # both always yes: difference 0, a narrow interval
    assert same.value == 0.0
    assert same.lower is not None and same.upper is not None
    assert same.lower <= 0 <= same.upper
    everything = paired_difference(0, 20, 0, 0)
    assert everything.value == 1.0
    assert everything.upper == 1.0
    assert everything.lower is not None and 0.7 < everything.lower < 1


def test_paired_difference_covers_the_truth() -> None:
    rng = np.random.default_rng(1)
    # correlated pairs: P(yes, yes)=0.3, (yes, no)=0.2, (no, yes)=0.1, (no, no)=0.4
    probs = [0.3, 0.2, 0.1, 0.4]
    truth = 0.5 - 0.4
    hits = 0
    trials = 2000
    for _ in range(trials):
        a, b, c, d = rng.multinomial(40, probs)
        fig = paired_difference(int(a), int(b), int(c), int(d))
        assert fig.lower is not None and fig.upper is not None
        hits += fig.lower <= truth <= fig.upper
    assert 0.93 <= hits / trials <= 0.975


def test_ratio_katz_by_hand_and_undefined_at_zero() -> None:
    fig = ratio(37, 100, 4, 100)
    assert fig.value == pytest.approx(9.25)
    se = math.sqrt(1 / 37 - 1 / 100 + 1 / 4 - 1 / 100)
    assert fig.lower == pytest.approx(9.25 * math.exp(-1.959963984540054 * se))
    assert fig.upper == pytest.approx(9.25 * math.exp(1.959963984540054 * se))
    undefined = ratio(5, 100, 0, 100)
    assert undefined.value is None and undefined.lower is None and undefined.upper is None
    assert ratio(0, 100, 5, 100).value is None
    assert ratio(10, 10, 10, 10).value is None  # a zero-width interval would claim certainty
    assert ratio(10, 10, 5, 10).value == 2.0


def test_cochran_q_by_hand() -> None:
    # columns 5, 3, 1 yes; rows 2, 1, 3, 0, 1, 2: Q = 2 (3 * 35 - 81) / (27 - 19) = 6
    table = [[1, 1, 0], [1, 0, 0], [1, 1, 1], [0, 0, 0], [1, 0, 0], [1, 1, 0]]
    test = cochran_q(table)
    assert (test.q, test.df, test.n) == (6.0, 2, 6)
    assert test.p == pytest.approx(math.exp(-3))  # chi-square, 2 df: exp(-Q / 2)
    assert cochran_q([[1, 1, 1], [0, 0, 0]]).p == 1.0  # every unit answered alike


def test_cochran_q_with_two_models_is_mcnemars_chi_square() -> None:
    # b = 7, c = 2 discordant pairs: Q = (b - c)^2 / (b + c)
    table = [[1, 0]] * 7 + [[0, 1]] * 2 + [[1, 1]] * 5 + [[0, 0]] * 4
    assert cochran_q(table).q == pytest.approx(25 / 9)
    with pytest.raises(ValueError, match="two models or more"):
        cochran_q([[1], [0]])
