"""Log-likelihood of a set of ratings, for model comparison and tests.

Useful to compare the half-tie and Davidson fits, or to run a likelihood-ratio test of a
subset of votes (e.g. one voter's) against the fitted board.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike

from . import _likelihood as lk
from .counts import PairCounts


def _theta(ratings: ArrayLike, scale: float, base: float) -> np.ndarray:
    return np.asarray(ratings, dtype=np.float64) * (math.log(base) / scale)


def half_log_likelihood(
    counts: PairCounts, ratings: ArrayLike, *, scale: float = 400.0, base: float = 10.0
) -> float:
    """Log-likelihood with ties as half a win (a pseudo-likelihood) at ``ratings``."""
    theta = _theta(ratings, scale, base)
    return lk.half_loglik(theta[counts.a] - theta[counts.b], counts.outcome_matrix())


def davidson_log_likelihood(
    counts: PairCounts,
    ratings: ArrayLike,
    tie_param: float,
    *,
    scale: float = 400.0,
    base: float = 10.0,
) -> float:
    """Davidson log-likelihood at ``ratings`` and tie parameter ``nu = tie_param``."""
    if tie_param <= 0:
        raise ValueError("tie_param must be positive")
    theta = _theta(ratings, scale, base)
    return lk.davidson_loglik(
        theta[counts.a] - theta[counts.b], math.log(tie_param), counts.outcome_matrix()
    )
