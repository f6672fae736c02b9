"""Tables of the audits (created by their migration 0005; see schema.py).

One row in ``audit_runs`` per ``arena audit run``, with every setting that changes results
(endpoint, provider, model id, quantisation, system prompt, temperature, max tokens,
samples, reasoning kept, datasets and their version hashes, judges, date) as JSON. Its
transcripts (one per model x probe x sample, with the verdict) are in ``audit_items``, its
figures (each with n and a 95% interval) in ``audit_metrics`` and its paired comparisons
between models (McNemar) in ``audit_comparisons``. A run is written in one transaction."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
)

from modelarena.store.schema import metadata

audit_runs = Table(
    "audit_runs",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("name", String(128), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("suites", String(256), nullable=False),  # comma-separated suite names
    Column("models", Text, nullable=False),  # comma-separated model ids
    Column("judges", String(512), nullable=False),  # "rules" or judge ids, comma-separated
    Column("settings", Text, nullable=False),  # JSON: everything that changes results
)
Index("ix_audit_runs_created_at", audit_runs.c.created_at)

audit_items = Table(
    "audit_items",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("run_id", String(32), ForeignKey("audit_runs.id"), nullable=False),
    Column("model", String(128), nullable=False),
    Column("suite", String(64), nullable=False),
    Column("probe_id", String(256), nullable=False),
    Column("sample", Integer, nullable=False),
    Column("language", String(16), nullable=False),
    Column("arm", String(128), nullable=False),  # the probe's group: plain, attack, a persona
    Column("split", String(16), nullable=False),
    Column("prompt", Text, nullable=False),
    Column("answer", Text, nullable=False),
    Column("reasoning", Text, nullable=False),
    Column("tool_calls", Text, nullable=False),  # JSON list of {id, name, arguments}
    Column("tools_supported", Boolean, nullable=True),
    Column("error", Text, nullable=True),
    Column("label", String(64), nullable=False),
    Column("score", Float, nullable=True),
    Column("judge", String(512), nullable=False),
    Column("agreement", Float, nullable=True),
    Column("detail", Text, nullable=False),  # JSON: verdict detail, probe meta, turns
)
Index("ix_audit_items_run", audit_items.c.run_id, audit_items.c.model, audit_items.c.suite)

audit_metrics = Table(
    "audit_metrics",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("run_id", String(32), ForeignKey("audit_runs.id"), nullable=False),
    Column("model", String(128), nullable=False),
    Column("suite", String(64), nullable=False),
    Column("metric", String(64), nullable=False),
    Column("language", String(16), nullable=False),
    Column("arm", String(128), nullable=False),
    Column("n", Integer, nullable=False),
    Column("value", Float, nullable=True),
    Column("ci_lower", Float, nullable=True),
    Column("ci_upper", Float, nullable=True),
    Column("method", String(64), nullable=False),
)
Index("ix_audit_metrics_run", audit_metrics.c.run_id)
Index("ix_audit_metrics_model", audit_metrics.c.model, audit_metrics.c.suite)

audit_comparisons = Table(
    "audit_comparisons",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("run_id", String(32), ForeignKey("audit_runs.id"), nullable=False),
    Column("suite", String(64), nullable=False),
    Column("metric", String(64), nullable=False),
    Column("model_a", String(128), nullable=False),
    Column("model_b", String(128), nullable=False),
    Column("detail", Text, nullable=False),  # JSON: counts, difference, McNemar, ratio
)
Index("ix_audit_comparisons_run", audit_comparisons.c.run_id)

__all__ = ["audit_comparisons", "audit_items", "audit_metrics", "audit_runs", "metadata"]
