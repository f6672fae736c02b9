from __future__ import annotations

import numpy as np

from modelarena.ratings import (
    aggregate,
    connected_group,
    fit_bradley_terry,
    fit_connected,
    pair_counts_from_cells,
)


def _two_groups() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    # models 0-2 compared with each other, 3-4 with each other, 5 never
    a = np.array([0, 1, 0, 2, 1, 3, 4, 3])
    b = np.array([1, 0, 2, 0, 2, 4, 3, 4])
    outcome = np.array([0, 0, 1, 0, 2, 0, 0, 1])
    return a, b, outcome


def test_fits_the_largest_group_and_maps_back() -> None:
    a, b, outcome = _two_groups()
    counts = aggregate(a, b, outcome, 6)
    group = fit_connected(counts)
    assert group is not None
    assert group.models.tolist() == [0, 1, 2]
    alone = fit_bradley_terry(counts.restrict(np.array([0, 1, 2])))
    assert np.allclose(group.fit.ratings, alone.ratings)
    spread = group.spread(6)
    assert np.allclose(spread[:3], alone.ratings) and np.all(np.isnan(spread[3:]))
    assert group.position(2) == 2 and group.position(4) is None


def test_group_containing_a_model() -> None:
    a, b, outcome = _two_groups()
    counts = aggregate(a, b, outcome, 6)
    assert connected_group(counts, containing=4).tolist() == [3, 4]
    group = fit_connected(counts, containing=4)
    assert group is not None and group.models.tolist() == [3, 4]
    assert group.position(4) == 1
    assert fit_connected(counts, containing=5) is None  # a model without votes: no group


def test_connected_board_is_fitted_whole() -> None:
    counts = pair_counts_from_cells(
        np.array([0, 1]),
        np.array([1, 2]),
        np.array([3.0, 2.0]),
        np.array([1.0, 2.0]),
        np.array([1.0, 0.0]),
        3,
    )
    group = fit_connected(counts, ties="davidson")
    assert group is not None and group.counts is counts
    assert np.allclose(group.fit.ratings, fit_bradley_terry(counts, ties="davidson").ratings)


def test_nothing_to_fit() -> None:
    empty = aggregate(
        np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), 3
    )
    assert fit_connected(empty) is None
    a, b, outcome = _two_groups()
    assert fit_connected(aggregate(a, b, outcome, 6), min_models=4) is None
