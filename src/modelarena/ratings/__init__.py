"""Leaderboard statistics: pure functions over arrays.

Votes are aggregated into per-pair counts (``aggregate``), fitted by Bradley-Terry maximum
likelihood (``fit_bradley_terry``) and given uncertainty (``sandwich_intervals``,
``bootstrap_intervals``, ``rank_bounds``). Around that: style control, inverse-probability
weights, fragility of the order, adaptive pair sampling and the provisional rule. This
package imports nothing from the rest of modelarena; see docs/statistics.md.
"""

from __future__ import annotations

from .adaptive import adaptive_pair_probabilities
from .bootstrap import bootstrap_intervals, bootstrap_ratings, rank_intervals
from .bradley_terry import SEPARATION_RIDGE, BTFit, fit_bradley_terry
from .connected import ConnectedFit, connected_group, fit_connected
from .counts import (
    OUTCOME_A,
    OUTCOME_B,
    OUTCOME_BOTH_BAD,
    OUTCOME_TIE,
    PairCounts,
    aggregate,
    pair_counts_from_cells,
)
from .fragility import TIED_MIN_VOTES, TIED_SHARE, FragilePair, fragility
from .graph import (
    DisconnectedComparisonGraph,
    connected_components,
    largest_component,
    mle_is_finite,
)
from .intervals import (
    MIN_INTERVAL_VOTES,
    PROVISIONAL_MAX_HALF_WIDTH,
    PROVISIONAL_MIN_VOTES,
    Intervals,
    has_interval,
    is_provisional,
    rank_bounds,
    sandwich_covariance,
    sandwich_intervals,
)
from .likelihood import davidson_log_likelihood, half_log_likelihood
from .style import STYLE_FEATURES, StyleFit, fit_style_controlled, style_features
from .weights import inverse_probability_weights

__all__ = [
    "MIN_INTERVAL_VOTES",
    "OUTCOME_A",
    "OUTCOME_B",
    "OUTCOME_BOTH_BAD",
    "OUTCOME_TIE",
    "PROVISIONAL_MAX_HALF_WIDTH",
    "PROVISIONAL_MIN_VOTES",
    "SEPARATION_RIDGE",
    "STYLE_FEATURES",
    "TIED_MIN_VOTES",
    "TIED_SHARE",
    "BTFit",
    "ConnectedFit",
    "DisconnectedComparisonGraph",
    "FragilePair",
    "Intervals",
    "PairCounts",
    "StyleFit",
    "adaptive_pair_probabilities",
    "aggregate",
    "bootstrap_intervals",
    "bootstrap_ratings",
    "connected_components",
    "connected_group",
    "largest_component",
    "davidson_log_likelihood",
    "fit_bradley_terry",
    "fit_connected",
    "fit_style_controlled",
    "fragility",
    "half_log_likelihood",
    "has_interval",
    "inverse_probability_weights",
    "is_provisional",
    "mle_is_finite",
    "pair_counts_from_cells",
    "rank_bounds",
    "rank_intervals",
    "sandwich_covariance",
    "sandwich_intervals",
    "style_features",
]
