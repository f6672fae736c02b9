"""Models compared on the same probes: for two, the 2x2 table of their yes/no outcomes,
McNemar's test, the paired difference and the ratio of their rates (when it is defined); for
three or more, Cochran's Q."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from modelarena.audits.probes import Record, Suite
from modelarena.ratings.proportions import cochran_q, mcnemar, paired_difference, ratio


def paired_outcomes(
    suite: Suite, model: str, records: Sequence[Record]
) -> dict[str, dict[str, bool]]:
    """Per metric, the unit (a probe and sample, or what the suite pairs on) -> yes/no.
    A suite may pair on its own units with ``paired_outcomes(model, records)``."""
    own = getattr(suite, "paired_outcomes", None)
    if own is not None:
        given: Mapping[str, Mapping[str, bool]] = own(model, records)
        return {k: dict(v) for k, v in given.items()}
    out: dict[str, dict[str, bool]] = defaultdict(dict)
    for r in records:
        for metric, outcome in suite.outcomes(r).items():
            if outcome is not None:
                out[metric][f"{r.probe.id}#{r.sample}"] = outcome
    return dict(out)


def compare_outcomes(a: Mapping[str, bool], b: Mapping[str, bool]) -> dict[str, Any] | None:
    """The 2x2 table of two models' outcomes on their common units, McNemar's test, the
    paired difference (Newcombe) and the ratio (Katz, only when defined)."""
    common = sorted(set(a) & set(b))
    if not common:
        return None
    both = sum(a[u] and b[u] for u in common)
    a_only = sum(a[u] and not b[u] for u in common)
    b_only = sum(b[u] and not a[u] for u in common)
    neither = len(common) - both - a_only - b_only
    test = mcnemar(a_only, b_only)
    diff = paired_difference(both, a_only, b_only, neither)
    n = len(common)
    rr = ratio(both + a_only, n, both + b_only, n)
    return {
        "n": n,
        "both": both,
        "a_only": a_only,
        "b_only": b_only,
        "neither": neither,
        "rate_a": (both + a_only) / n,
        "rate_b": (both + b_only) / n,
        "difference": diff.value,
        "difference_lower": diff.lower,
        "difference_upper": diff.upper,
        "difference_method": diff.method,
        "mcnemar_p_exact": test.p_exact,
        "mcnemar_p_mid": test.p_mid,
        "ratio": rr.value,
        "ratio_lower": rr.lower,
        "ratio_upper": rr.upper,
        "ratio_method": rr.method,
    }


def compare_many(outcomes: Mapping[str, Mapping[str, bool]]) -> dict[str, Any] | None:
    """Three models or more on their common units: Cochran's Q (do they share one rate?)
    with each model's rate; None with fewer than three models or no common unit."""
    models = list(outcomes)
    if len(models) < 3:
        return None
    common = sorted(set.intersection(*(set(outcomes[m]) for m in models)))
    if not common:
        return None
    table = [[int(outcomes[m][u]) for m in models] for u in common]
    test = cochran_q(table)
    return {
        "test": "cochran_q",
        "models": models,
        "n": test.n,
        "q": test.q,
        "df": test.df,
        "p": test.p,
        "rates": {m: sum(outcomes[m][u] for u in common) / len(common) for m in models},
    }
