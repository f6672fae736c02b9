"""The comparison graph: which models can be compared with which.

Bradley-Terry ratings only say something about two models if a chain of votes links them.
Models in different connected components have no common scale, so a fit across them would
print numbers that mean nothing; we refuse and say which groups exist instead.

A second, stricter condition decides whether the maximum-likelihood estimate is finite:
every model must have scored (won or tied) against the rest and been scored against, i.e.
the "beat-or-tied" directed graph must be strongly connected (Zermelo/Ford's condition).
"""

from __future__ import annotations

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components as _scipy_components

from .counts import IntArray, PairCounts


class DisconnectedComparisonGraph(ValueError):
    """The models with votes form more than one connected component.

    ``components`` lists the model indices of each component, largest first.
    """

    def __init__(self, components: list[IntArray]) -> None:
        self.components = components
        shown = "; ".join(
            "["
            + ", ".join(str(int(m)) for m in comp[:10])
            + (", ..." if comp.size > 10 else "")
            + "]"
            for comp in components[:5]
        )
        more = "" if len(components) <= 5 else f" and {len(components) - 5} more"
        super().__init__(
            f"the comparison graph has {len(components)} disconnected components "
            f"({shown}{more}); ratings across components are not comparable - "
            "fit each component separately or collect votes that link them"
        )


def _order(labels: IntArray, n: int) -> list[IntArray]:
    groups = (
        [np.flatnonzero(labels == c).astype(np.int64) for c in range(int(labels.max()) + 1)]
        if n
        else []
    )
    groups.sort(key=lambda g: (-g.size, int(g[0])))
    return groups


def connected_components(counts: PairCounts, models: IntArray | None = None) -> list[IntArray]:
    """Connected components of the comparison graph, largest first (ties: lowest index).

    Every model in ``range(n_models)`` appears exactly once; a model with no votes forms
    its own singleton component. Pass ``models`` to restrict the graph to those models
    (e.g. the models that have votes).
    """
    n = counts.n_models
    has = (counts.wins_a + counts.wins_b + counts.ties) > 0
    graph = coo_matrix(
        (np.ones(int(has.sum())), (counts.a[has], counts.b[has])), shape=(n, n)
    ).tocsr()
    _, labels = _scipy_components(graph, directed=False)
    groups = _order(labels.astype(np.int64), n)
    if models is None:
        return groups
    keep = np.zeros(n, dtype=bool)
    keep[models] = True
    return [g[keep[g]] for g in groups if keep[g].any()]


def largest_component(counts: PairCounts) -> tuple[PairCounts, IntArray]:
    """The votes of the largest connected component, and which models it holds.

    Models in different components were never compared, even indirectly, so their relative
    ratings are undefined; callers rate the largest component and report the rest.
    """
    main = connected_components(counts)[0]
    if main.size == counts.n_models:
        return counts, np.arange(counts.n_models, dtype=np.int64)
    return counts.restrict(main), main


def mle_is_finite(counts: PairCounts) -> bool:
    """Whether the half-tie (or Davidson) likelihood has a finite maximiser.

    True when the directed graph with an edge i -> j whenever i scored against j (a win or a
    tie) is strongly connected over the models that have votes. A model that won every one
    of its votes violates this: its maximum-likelihood rating is +infinity.
    """
    n = counts.n_models
    votes = counts.votes_per_model()
    present = votes > 0
    fwd = (counts.wins_a + counts.ties) > 0
    bwd = (counts.wins_b + counts.ties) > 0
    rows = np.concatenate([counts.a[fwd], counts.b[bwd]])
    cols = np.concatenate([counts.b[fwd], counts.a[bwd]])
    graph = coo_matrix((np.ones(rows.size), (rows, cols)), shape=(n, n)).tocsr()
    _, labels = _scipy_components(graph, directed=True, connection="strong")
    return bool(np.unique(labels[present]).size <= 1)
