"""Records and figures as the store keeps them (the store cannot import the audits)."""

from __future__ import annotations

from typing import Any

from modelarena.audits.probes import Metric, Probe, Record
from modelarena.store.audit_results import AuditItem, AuditMetric


def metric_row(m: Metric) -> AuditMetric:
    return AuditMetric(
        model=m.model,
        suite=m.suite,
        metric=m.metric,
        n=m.n,
        value=m.value,
        ci_lower=m.ci_lower,
        ci_upper=m.ci_upper,
        language=m.language,
        group=m.group,
        method=m.method,
    )


def _prompt_text(probe: Probe) -> str:
    users = [m.content for m in probe.messages if m.role == "user"]
    return users[-1] if users else (probe.messages[-1].content if probe.messages else "")


def item_of(r: Record) -> AuditItem:
    """A record as the store keeps it."""
    t, v = r.transcript, r.verdict
    detail: dict[str, Any] = {"verdict": dict(v.detail), "probe": dict(r.probe.meta)}
    if t.turns:
        detail["turns"] = [dict(turn) for turn in t.turns]
    if t.finish_reason:
        detail["finish_reason"] = t.finish_reason
    return AuditItem(
        model=r.model,
        suite=r.probe.suite,
        probe_id=r.probe.id,
        sample=r.sample,
        prompt=_prompt_text(r.probe),
        answer=t.text,
        label=v.label,
        judge=v.judge,
        language=r.probe.language,
        group=r.probe.group,
        split=r.probe.split,
        reasoning=t.reasoning,
        tool_calls=[{"id": c.id, "name": c.name, "arguments": c.arguments} for c in t.tool_calls],
        tools_supported=t.tools_supported,
        error=t.error,
        score=v.score,
        agreement=v.agreement,
        detail=detail,
    )
