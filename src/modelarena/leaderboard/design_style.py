"""Style control for design categories: the browser checks of each vote's two answers as
covariates beside length and formatting.

For chat, style control asks "is this model liked for its content or for its formatting?".
For designs it also asks "is it liked for its looks or for pages that work?": each vote gets
the checks of its two answers (script and console errors, overflow at 390 px, serious and
critical accessibility violations, network attempts; see
:meth:`modelarena.store.design_checks.DesignChecks.vote_features`) as (a - b) / (a + b + 1),
z-scored like the other features. A positive coefficient on ``errors`` would mean voters
prefer the page with more errors; a negative one, that broken pages lose votes. Votes whose
answers were not both checked get zero for these features (no difference).
"""

from __future__ import annotations

import numpy as np

from modelarena.battles.categories import CATEGORIES
from modelarena.ratings import STYLE_FEATURES, StyleFit
from modelarena.ratings.proportions import Z95
from modelarena.store import Store
from modelarena.store.design_checks import CHECK_FEATURES


def design_only(categories: list[str] | None) -> bool:
    """A board of design categories only (the checks mean nothing for chat)."""
    return bool(categories) and all(
        c in CATEGORIES and CATEGORIES[c].design for c in categories or ()
    )


def with_design_checks(
    store: Store,
    sources: list[str],
    categories: list[str] | None,
    pick: np.ndarray,
    a_stats: np.ndarray,
    b_stats: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    """The style counts of the picked votes with the check features appended, and the
    feature names; unchanged when none of these votes has both answers checked."""
    a, b, checked = store.design_checks.vote_features(sources, categories)
    if len(checked) != len(pick) or not checked[pick].any():
        return a_stats, b_stats, STYLE_FEATURES
    return (
        np.hstack([a_stats, a[pick]]),
        np.hstack([b_stats, b[pick]]),
        (*STYLE_FEATURES, *CHECK_FEATURES),
    )


def style_intervals(fit: StyleFit) -> dict[str, tuple[float, float]]:
    """Each style coefficient's 95% interval (sandwich standard errors, normal); none for a
    feature with no variation over the votes (nothing to estimate it from)."""
    if fit.coefficient_se is None:
        return {}
    return {
        name: (float(c - Z95 * se), float(c + Z95 * se))
        for name, c, se in zip(fit.feature_names, fit.coefficients, fit.coefficient_se, strict=True)
        if se > 0
    }
