"""Inverse-probability weights for votes collected under non-uniform pair sampling.

When pairs are sampled adaptively, some pairs are over-represented. Weighting each vote by
1 / P(its pair was drawn) makes every pair count as if pairs had been drawn uniformly, so
the fitted ratings target the same quantity whatever the sampling did (this matters when
the model is imperfect, e.g. intransitive preferences). The sampler therefore gives every
allowed pair a probability floor above zero and logs P(pair) per battle.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from .counts import FloatArray


def inverse_probability_weights(pair_probability: ArrayLike) -> FloatArray:
    """Weights ``1 / p``, rescaled so their mean is 1.

    Rescaling keeps the effective sample size readable (the weighted vote total stays the
    number of votes) and does not change the ratings. Probabilities must lie in (0, 1].
    """
    p = np.asarray(pair_probability, dtype=np.float64)
    if p.size == 0:
        return p.copy()
    if not np.all(np.isfinite(p)) or np.any(p <= 0.0) or np.any(p > 1.0):
        raise ValueError("pair probabilities must lie in (0, 1]")
    w = 1.0 / p
    return np.asarray(w / float(w.mean()), dtype=np.float64)
