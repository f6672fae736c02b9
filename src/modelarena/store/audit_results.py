"""Audit runs, their transcripts, metrics and paired comparisons (reads and writes).

The records here are the store's own (the store cannot import :mod:`modelarena.audits`);
the audit engine converts its probes, transcripts and verdicts into them. A run is saved
whole in one transaction, so a reader never sees half of it.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, Table, insert, select
from sqlalchemy.engine import Row

from modelarena.store.schema_audits import (
    audit_comparisons,
    audit_items,
    audit_metrics,
    audit_runs,
)


@dataclass(frozen=True)
class AuditRun:
    """One ``arena audit run``: what was asked of which models, with which settings.

    ``settings`` holds everything that changes results: per model the endpoint and
    provider, the served model id, its quantisation, system prompt, temperature, max
    tokens; the samples per probe, whether reasoning was kept, the datasets and their
    version hashes, the judges, the date."""

    name: str
    suites: tuple[str, ...]
    models: tuple[str, ...]
    judges: tuple[str, ...]
    settings: Mapping[str, Any]
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    id: str = field(default_factory=lambda: secrets.token_hex(8))

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "created_at": self.created_at.isoformat(),
            "suites": list(self.suites),
            "models": list(self.models),
            "judges": list(self.judges),
            "settings": dict(self.settings),
        }


@dataclass(frozen=True)
class AuditItem:
    """One transcript: a model's answer to one probe (one sample) and its verdict."""

    model: str
    suite: str
    probe_id: str
    sample: int
    prompt: str
    answer: str
    label: str
    judge: str
    language: str = "en"
    group: str = ""
    split: str = ""
    reasoning: str = ""
    tool_calls: Sequence[Mapping[str, Any]] = ()
    tools_supported: bool | None = None
    error: str | None = None
    score: float | None = None
    agreement: float | None = None
    detail: Mapping[str, Any] = field(default_factory=dict)
    run_id: str = ""
    id: int | None = None

    def to_dict(self) -> dict[str, Any]:
        out = {k: getattr(self, k) for k in self.__dataclass_fields__}
        out["tool_calls"] = [dict(c) for c in self.tool_calls]
        out["detail"] = dict(self.detail)
        return out


@dataclass(frozen=True)
class AuditMetric:
    """One figure with its n and 95% interval (a row of the report's ``results``)."""

    model: str
    suite: str
    metric: str
    n: int
    value: float | None
    ci_lower: float | None
    ci_upper: float | None
    language: str = ""
    group: str = ""
    method: str = "Wilson"
    run_id: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


@dataclass(frozen=True)
class AuditComparison:
    """Two models compared on the same probes for one metric (McNemar, paired difference
    and, when defined, the ratio); ``detail`` holds the figures."""

    suite: str
    metric: str
    model_a: str
    model_b: str
    detail: Mapping[str, Any]
    run_id: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "suite": self.suite,
            "metric": self.metric,
            "model_a": self.model_a,
            "model_b": self.model_b,
            **dict(self.detail),
        }


def _aware(when: datetime) -> datetime:
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


def _split(text: str) -> tuple[str, ...]:
    return tuple(p for p in text.split(",") if p)


class AuditResults:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    # ------------------------------------------------------------------ writes
    def save_run(
        self,
        run: AuditRun,
        items: Iterable[AuditItem],
        metrics: Iterable[AuditMetric],
        comparisons: Iterable[AuditComparison] = (),
    ) -> str:
        """Store a finished run whole, in one transaction; returns its id."""
        item_rows = [_item_values(run.id, i) for i in items]
        metric_rows = [_metric_values(run.id, m) for m in metrics]
        comparison_rows = [
            {
                "run_id": run.id,
                "suite": c.suite,
                "metric": c.metric,
                "model_a": c.model_a,
                "model_b": c.model_b,
                "detail": json.dumps(dict(c.detail), ensure_ascii=False, default=str),
            }
            for c in comparisons
        ]
        with self.engine.begin() as conn:
            conn.execute(
                insert(audit_runs).values(
                    id=run.id,
                    name=run.name,
                    created_at=run.created_at,
                    suites=",".join(run.suites),
                    models=",".join(run.models),
                    judges=",".join(run.judges),
                    settings=json.dumps(dict(run.settings), ensure_ascii=False, default=str),
                )
            )
            for table, rows in (
                (audit_items, item_rows),
                (audit_metrics, metric_rows),
                (audit_comparisons, comparison_rows),
            ):
                for start in range(0, len(rows), 1000):
                    conn.execute(insert(table), rows[start : start + 1000])
        return run.id

    # ------------------------------------------------------------------ reads
    def runs(self) -> list[AuditRun]:
        """Every stored run, newest first."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(audit_runs).order_by(audit_runs.c.created_at.desc(), audit_runs.c.id)
            ).all()
        return [_run_from_row(r) for r in rows]

    def run(self, run_id: str) -> AuditRun | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(audit_runs).where(audit_runs.c.id == run_id)).first()
        return _run_from_row(row) if row is not None else None

    def _of_run(self, table: Table, run_id: str) -> Sequence[Row[Any]]:
        """A run's rows of ``table``, in the order they were stored."""
        with self.engine.connect() as conn:
            query = select(table).where(table.c.run_id == run_id).order_by(table.c.id)
            return conn.execute(query).all()

    def metrics(self, run_id: str) -> list[AuditMetric]:
        return [_metric_from_row(r) for r in self._of_run(audit_metrics, run_id)]

    def comparisons(self, run_id: str) -> list[AuditComparison]:
        rows = self._of_run(audit_comparisons, run_id)
        return [
            AuditComparison(
                suite=r.suite,
                metric=r.metric,
                model_a=r.model_a,
                model_b=r.model_b,
                detail=json.loads(r.detail),
                run_id=r.run_id,
            )
            for r in rows
        ]

    def latest_metrics(self, model: str | None = None) -> list[AuditMetric]:
        """The metrics of the newest run per (model, suite): what a model's audit card
        shows. ``model`` narrows to one model."""
        query = (
            select(
                audit_metrics.c.run_id,
                audit_metrics.c.model,
                audit_metrics.c.suite,
                audit_runs.c.created_at,
            )
            .distinct()
            .join(audit_runs, audit_runs.c.id == audit_metrics.c.run_id)
        )
        if model is not None:
            query = query.where(audit_metrics.c.model == model)
        newest: dict[tuple[str, str], tuple[datetime, str]] = {}
        with self.engine.connect() as conn:
            for run_id, m, suite, created in conn.execute(query):
                key, stamp = (m, suite), (_aware(created), run_id)
                if key not in newest or stamp > newest[key]:
                    newest[key] = stamp
            chosen: list[AuditMetric] = []
            for (m, suite), (_, run_id) in sorted(newest.items()):
                rows = conn.execute(
                    select(audit_metrics)
                    .where(
                        audit_metrics.c.run_id == run_id,
                        audit_metrics.c.model == m,
                        audit_metrics.c.suite == suite,
                    )
                    .order_by(audit_metrics.c.id)
                ).all()
                chosen.extend(_metric_from_row(r) for r in rows)
        return chosen

    def items(
        self, run_id: str, model: str | None = None, suite: str | None = None
    ) -> list[AuditItem]:
        """The transcripts of a run, in the order they were stored."""
        query = select(audit_items).where(audit_items.c.run_id == run_id)
        if model is not None:
            query = query.where(audit_items.c.model == model)
        if suite is not None:
            query = query.where(audit_items.c.suite == suite)
        with self.engine.connect() as conn:
            rows = conn.execute(query.order_by(audit_items.c.id)).all()
        return [_item_from_row(r) for r in rows]


def _item_values(run_id: str, item: AuditItem) -> dict[str, Any]:
    return {
        "run_id": run_id,
        "model": item.model,
        "suite": item.suite,
        "probe_id": item.probe_id,
        "sample": item.sample,
        "language": item.language,
        "arm": item.group,
        "split": item.split,
        "prompt": item.prompt,
        "answer": item.answer,
        "reasoning": item.reasoning,
        "tool_calls": json.dumps([dict(c) for c in item.tool_calls], ensure_ascii=False),
        "tools_supported": item.tools_supported,
        "error": item.error,
        "label": item.label,
        "score": item.score,
        "judge": item.judge,
        "agreement": item.agreement,
        "detail": json.dumps(dict(item.detail), ensure_ascii=False, default=str),
    }


def _metric_values(run_id: str, m: AuditMetric) -> dict[str, Any]:
    return {
        "run_id": run_id,
        "model": m.model,
        "suite": m.suite,
        "metric": m.metric,
        "language": m.language,
        "arm": m.group,
        "n": m.n,
        "value": m.value,
        "ci_lower": m.ci_lower,
        "ci_upper": m.ci_upper,
        "method": m.method,
    }


def _run_from_row(row: Row[Any]) -> AuditRun:
    return AuditRun(
        id=row.id,
        name=row.name,
        created_at=_aware(row.created_at),
        suites=_split(row.suites),
        models=_split(row.models),
        judges=_split(row.judges),
        settings=json.loads(row.settings),
    )


def _metric_from_row(row: Row[Any]) -> AuditMetric:
    return AuditMetric(
        model=row.model,
        suite=row.suite,
        metric=row.metric,
        n=row.n,
        value=row.value,
        ci_lower=row.ci_lower,
        ci_upper=row.ci_upper,
        language=row.language,
        group=row.arm,
        method=row.method,
        run_id=row.run_id,
    )


def _item_from_row(row: Row[Any]) -> AuditItem:
    return AuditItem(
        id=row.id,
        run_id=row.run_id,
        model=row.model,
        suite=row.suite,
        probe_id=row.probe_id,
        sample=row.sample,
        language=row.language,
        group=row.arm,
        split=row.split,
        prompt=row.prompt,
        answer=row.answer,
        reasoning=row.reasoning,
        tool_calls=json.loads(row.tool_calls),
        tools_supported=row.tools_supported,
        error=row.error,
        label=row.label,
        score=row.score,
        judge=row.judge,
        agreement=row.agreement,
        detail=json.loads(row.detail),
    )


__all__ = ["AuditComparison", "AuditItem", "AuditMetric", "AuditResults", "AuditRun"]
