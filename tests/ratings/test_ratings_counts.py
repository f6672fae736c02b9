from __future__ import annotations

import numpy as np
import pytest

from modelarena.ratings import (
    OUTCOME_A,
    OUTCOME_B,
    OUTCOME_BOTH_BAD,
    OUTCOME_TIE,
    aggregate,
    pair_counts_from_cells,
)
from modelarena.ratings import counts as counts_module
from modelarena.ratings.simulate import simulate_votes, true_ratings


def test_aggregate_normalises_sides_and_merges_tie_kinds() -> None:
    a = np.array([0, 1, 1, 2, 0, 2])
    b = np.array([1, 0, 0, 0, 1, 1])
    out = np.array([OUTCOME_A, OUTCOME_A, OUTCOME_TIE, OUTCOME_B, OUTCOME_BOTH_BAD, OUTCOME_B])
    c = aggregate(a, b, out, 3)
    assert c.a.tolist() == [0, 0, 1]
    assert c.b.tolist() == [1, 2, 2]
    # pair (0,1): 0 won once (as A), 1 won once (as A in the swapped vote), ties 2
    assert c.wins_a.tolist() == [1.0, 1.0, 1.0]
    assert c.wins_b.tolist() == [1.0, 0.0, 0.0]
    assert c.ties.tolist() == [2.0, 0.0, 0.0]
    assert c.total == 6.0
    assert c.votes_per_model().tolist() == [5.0, 5.0, 2.0]
    assert c.squared_weights is None


def test_aggregate_weights_and_squared_weights() -> None:
    a = np.array([0, 0, 1])
    b = np.array([1, 1, 0])
    out = np.array([OUTCOME_A, OUTCOME_A, OUTCOME_B])
    c = aggregate(a, b, out, 2, weights=np.array([2.0, 3.0, 0.5]))
    assert c.wins_a.tolist() == [5.5]
    assert c.squared_weights is not None
    assert c.squared_weights[0].tolist() == [13.25, 0.0, 0.0]


def test_aggregate_sparse_path_matches_dense(monkeypatch: pytest.MonkeyPatch) -> None:
    votes = simulate_votes(true_ratings(30, seed=3), 5000, seed=4)
    dense = aggregate(votes.model_a, votes.model_b, votes.outcome, 30)
    monkeypatch.setattr(counts_module, "_DENSE_CELL_LIMIT", 0)
    sparse = aggregate(votes.model_a, votes.model_b, votes.outcome, 30)
    for name in ("a", "b", "wins_a", "wins_b", "ties"):
        np.testing.assert_array_equal(getattr(dense, name), getattr(sparse, name))


def test_pair_counts_from_cells_swaps_and_merges() -> None:
    c = pair_counts_from_cells(
        a=[2, 0, 1, 1],
        b=[0, 2, 0, 2],
        wins_a=[3, 1, 0, 0],
        wins_b=[4, 2, 0, 0],
        ties=[1, 1, 0, 0],
        n_models=3,
    )
    assert c.a.tolist() == [0]
    assert c.b.tolist() == [2]
    assert c.wins_a.tolist() == [5.0]  # 0 beat 2: 4 (swapped cell) + 1
    assert c.wins_b.tolist() == [5.0]  # 2 beat 0: 3 + 2
    assert c.ties.tolist() == [2.0]


def test_cells_and_votes_agree() -> None:
    votes = simulate_votes(true_ratings(6, seed=1), 400, seed=2)
    direct = aggregate(votes.model_a, votes.model_b, votes.outcome, 6)
    # ordered cells as a store would keep them (model_a, model_b) -> counts
    key = votes.model_a * 6 + votes.model_b
    cells, inverse = np.unique(key, return_inverse=True)
    wa = np.bincount(inverse, votes.outcome == OUTCOME_A)
    wb = np.bincount(inverse, votes.outcome == OUTCOME_B)
    t = np.bincount(inverse, votes.outcome >= OUTCOME_TIE)
    rebuilt = pair_counts_from_cells(cells // 6, cells % 6, wa, wb, t, 6)
    for name in ("a", "b", "wins_a", "wins_b", "ties"):
        np.testing.assert_array_equal(getattr(direct, name), getattr(rebuilt, name))


@pytest.mark.parametrize(
    ("a", "b", "out", "n"),
    [
        ([0], [0], [OUTCOME_A], 2),
        ([0], [2], [OUTCOME_A], 2),
        ([0], [1], [7], 2),
        ([-1], [1], [OUTCOME_A], 2),
    ],
)
def test_aggregate_rejects_bad_input(a: list[int], b: list[int], out: list[int], n: int) -> None:
    with pytest.raises(ValueError):
        aggregate(np.array(a), np.array(b), np.array(out), n)


def test_restrict_and_largest_component() -> None:
    import numpy as np

    from modelarena.ratings import aggregate, largest_component

    a = np.array([0, 1, 3, 3, 0])
    b = np.array([1, 2, 4, 4, 2])
    out = np.array([0, 1, 2, 0, 0])
    counts = aggregate(a, b, out, 5)
    sub, kept = largest_component(counts)
    assert kept.tolist() == [0, 1, 2]
    assert sub.n_models == 3 and sub.total == 3.0
    other = counts.restrict(np.array([4, 3]))
    assert other.n_models == 2 and other.total == 2.0
    # model 3 (now 1) won one and tied one against model 4 (now 0): rows keep a < b
    assert (other.a.tolist(), other.b.tolist()) == ([0], [1])
    assert (other.wins_a.tolist(), other.wins_b.tolist(), other.ties.tolist()) == (
        [0.0],
        [1.0],
        [1.0],
    )
