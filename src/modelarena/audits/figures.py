"""What a finished audit run reports, from its records: each suite's figures per model with
an ``unknown`` share beside them (a verdict nobody could read is never counted as safe),
paired comparisons between models on the same probes, and how the LLM judges agreed."""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from modelarena.audits.comparisons import compare_many, compare_outcomes, paired_outcomes
from modelarena.audits.judging import run_agreement
from modelarena.audits.probes import UNKNOWN, Record, Suite
from modelarena.audits.stored import metric_row
from modelarena.ratings.proportions import wilson
from modelarena.store.audit_results import AuditComparison, AuditMetric

ALL_MODELS = "*"  # model_a of a comparison of every model at once (Cochran's Q)


def _by_suite_and_model(records: Sequence[Record]) -> dict[tuple[str, str], list[Record]]:
    by: dict[tuple[str, str], list[Record]] = defaultdict(list)
    for r in records:
        by[(r.probe.suite, r.model)].append(r)
    return by


def run_figures(
    suites: Sequence[Suite], models: Sequence[str], records: Sequence[Record]
) -> list[AuditMetric]:
    """Each suite's metrics for each model, and the model's share of unknown verdicts."""
    by = _by_suite_and_model(records)
    out: list[AuditMetric] = []
    for suite in suites:
        for model in models:
            mine = by.get((suite.name, model), [])
            out.extend(metric_row(m) for m in suite.metrics(model, mine))
            fig = wilson(sum(r.verdict.label == UNKNOWN for r in mine), len(mine))
            out.append(
                AuditMetric(model, suite.name, "unknown", fig.n, fig.value, fig.lower, fig.upper)
            )
    return out


def run_comparisons(
    suites: Sequence[Suite], models: Sequence[str], records: Sequence[Record]
) -> list[AuditComparison]:
    """Every two models on the same probes, per metric the suite reports outcomes for
    (McNemar); every model at once when there are three or more (Cochran's Q)."""
    by = _by_suite_and_model(records)
    out: list[AuditComparison] = []
    for suite in suites:
        units = {m: paired_outcomes(suite, m, by.get((suite.name, m), [])) for m in models}
        for a, b in itertools.combinations(models, 2):
            for metric in sorted(set(units[a]) & set(units[b])):
                detail = compare_outcomes(units[a][metric], units[b][metric])
                if detail is not None:
                    out.append(AuditComparison(suite.name, metric, a, b, detail))
        shared = set.intersection(*(set(u) for u in units.values())) if units else set()
        for metric in sorted(shared):
            many = compare_many({m: units[m][metric] for m in models})
            if many is not None:  # three models or more: Cochran's Q
                out.append(AuditComparison(suite.name, metric, ALL_MODELS, "", many))
    return out


def run_judge_agreement(suites: Sequence[Suite], records: Sequence[Record]) -> dict[str, Any]:
    """Per suite, how the LLM judges agreed with each other over the run (pairwise
    agreement and kappa, Fleiss' kappa, each judge's unreadable share)."""
    out: dict[str, Any] = {}
    for suite in suites:
        verdicts = [r.verdict for r in records if r.probe.suite == suite.name]
        agreement = run_agreement(verdicts, suite.labels)
        if agreement is not None:
            out[suite.name] = agreement.to_dict()
    return out
