"""Stored audit results as a table, JSON, CSV or Markdown (``arena audit report``).

JSON: ``{"runs": [...], "results": [...], "comparisons": [...]}``: the runs with every
recorded setting, one result row per figure (``model, suite, metric, language, group, n,
value, ci_lower, ci_upper, method, run_id``), and the paired comparisons between models
(McNemar, paired difference, ratio when defined). Without a run id the newest run per
(model, suite) is shown, as the web page's audit cards show it.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from modelarena.store.audit_results import AuditComparison, AuditMetric, AuditResults, AuditRun

FORMATS = ("table", "json", "csv", "markdown")
CSV_COLUMNS = (
    "run_id",
    "model",
    "suite",
    "metric",
    "language",
    "group",
    "n",
    "value",
    "ci_lower",
    "ci_upper",
    "method",
)
SCORES = frozenset({"strongreject_score"})  # means of 0-1 scores, not shares
DIFFERENCES = frozenset({"attack_uplift"})  # differences of two shares


class ReportError(ValueError):
    """Nothing to report, or an unknown run or suite."""


@dataclass(frozen=True)
class AuditView:
    runs: list[AuditRun]
    results: list[AuditMetric]
    comparisons: list[AuditComparison]

    def to_dict(self) -> dict[str, Any]:
        return {
            "runs": [r.to_dict() for r in self.runs],
            "results": [m.to_dict() for m in self.results],
            "comparisons": [c.to_dict() for c in self.comparisons],
        }


def gather(results: AuditResults, run_id: str | None = None, suite: str | None = None) -> AuditView:
    """One run's figures, or the newest per (model, suite); ``suite`` narrows them."""
    if run_id is not None:
        run = results.run(run_id)
        if run is None:
            known = ", ".join(r.id for r in results.runs()[:10]) or "none yet"
            raise ReportError(f"no audit run {run_id!r} (newest: {known})")
        metrics = results.metrics(run_id)
        runs = [run]
    else:
        metrics = results.latest_metrics()
        ids = list(dict.fromkeys(m.run_id for m in metrics))
        runs = [r for r in (results.run(i) for i in ids) if r is not None]
    if not runs:
        raise ReportError("no audit results yet: run `arena audit run --suite jailbreak`")
    comparisons: list[AuditComparison] = []
    shown = {(m.run_id, m.suite) for m in metrics}
    for run in runs:
        comparisons.extend(c for c in results.comparisons(run.id) if (run.id, c.suite) in shown)
    if suite is not None:
        suites = {m.suite for m in metrics}
        if suite not in suites:
            raise ReportError(
                f"no results for suite {suite!r} (stored: {', '.join(sorted(suites))})"
            )
        metrics = [m for m in metrics if m.suite == suite]
        comparisons = [c for c in comparisons if c.suite == suite]
        runs = [r for r in runs if suite in r.suites]
    return AuditView(runs, metrics, comparisons)


def is_detail(m: AuditMetric) -> bool:
    """Rows behind the headline ones: per type, per dev template."""
    return m.metric == "compliance_dev" or (":" in m.group and not m.group.startswith("attack:"))


def fmt_value(m: AuditMetric) -> str:
    if m.value is None:
        return "n/a"
    if m.metric in SCORES:
        return f"{m.value:.3f} [{m.ci_lower:.3f}, {m.ci_upper:.3f}]"
    sign = "+" if m.metric in DIFFERENCES and m.value > 0 else ""
    lo, hi = m.ci_lower, m.ci_upper
    if lo is None or hi is None:
        return f"{sign}{m.value * 100:.1f}%"
    return f"{sign}{m.value * 100:.1f}% [{lo * 100:.1f}, {hi * 100:.1f}]"


def to_json(view: AuditView) -> str:
    return json.dumps(view.to_dict(), ensure_ascii=False, indent=2, default=str)


def to_csv(view: AuditView) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for m in view.results:
        writer.writerow({k: getattr(m, k) for k in CSV_COLUMNS})
    return out.getvalue()


def _rows(view: AuditView, detail: bool) -> list[list[str]]:
    return [
        [
            m.model,
            m.suite,
            m.metric,
            m.group,
            m.language,
            str(m.n),
            fmt_value(m),
            "" if m.value is not None or m.method in ("Wilson",) else m.method,
        ]
        for m in view.results
        if detail or not is_detail(m)
    ]


HEADERS = ("model", "suite", "metric", "group", "language", "n", "value [95% CI]", "note")
COMPARISON_HEADERS = (
    "suite",
    "metric",
    "model a",
    "model b",
    "n",
    "a / b",
    "difference [95% CI]",
    "p: McNemar (mid-p) or Cochran's Q",
    "ratio [95% CI]",
)


def _comparison_rows(comparisons: Sequence[AuditComparison]) -> list[list[str]]:
    rows = []
    for c in comparisons:
        d = c.detail
        if d.get("test") == "cochran_q":
            rates = " / ".join(f"{r * 100:.1f}%" for r in d.get("rates", {}).values())
            models = ", ".join(d.get("models", []))
            p = f"Cochran's Q {d['q']:.2f}, df {d['df']}, p {d['p']:.3g}"
            rows.append([c.suite, c.metric, models, "(all)", str(d["n"]), rates, "", p, ""])
            continue
        diff = "n/a"
        if d.get("difference") is not None:
            diff = (
                f"{d['difference'] * 100:+.1f} pp [{d['difference_lower'] * 100:+.1f}, "
                f"{d['difference_upper'] * 100:+.1f}]"
            )
        ratio = "undefined"
        if d.get("ratio") is not None:
            ratio = f"{d['ratio']:.2f} [{d['ratio_lower']:.2f}, {d['ratio_upper']:.2f}]"
        rows.append(
            [
                c.suite,
                c.metric,
                c.model_a,
                c.model_b,
                str(d.get("n")),
                f"{d.get('rate_a', 0) * 100:.1f}% / {d.get('rate_b', 0) * 100:.1f}%",
                diff,
                f"{d.get('mcnemar_p_exact', 1):.3g} ({d.get('mcnemar_p_mid', 1):.3g})",
                ratio,
            ]
        )
    return rows


def _settings_lines(view: AuditView) -> list[str]:
    lines = []
    for run in view.runs:
        s = run.settings
        lines.append(
            f"run {run.id} '{run.name}' {run.created_at:%Y-%m-%d %H:%M} UTC: suites "
            f"{', '.join(run.suites)}; judges {', '.join(run.judges)}; samples "
            f"{s.get('samples')}; reasoning kept {s.get('keep_reasoning')}"
        )
        for warning in s.get("warnings") or []:
            lines.append(f"  warning: {warning}")
        for name, versions in (s.get("datasets") or {}).items():
            sets = ", ".join(f"{k} {v}" for k, v in versions.items())
            lines.append(f"  data {name}: {sets}")
        for model, dep in (s.get("models") or {}).items():
            lines.append(
                f"  {model}: {dep.get('served_model')} at {dep.get('endpoint')} "
                f"({dep.get('provider')}), quantisation {dep.get('quantisation') or 'unknown'}, "
                f"temperature {dep.get('temperature')}, max tokens {dep.get('max_tokens')}, "
                f"system prompt {'none' if not dep.get('system_prompt') else repr(dep['system_prompt'][:60])}"  # noqa: E501
            )
    return lines


def to_markdown(view: AuditView, *, detail: bool = False) -> str:
    def table(headers: Sequence[str], rows: list[list[str]]) -> list[str]:
        out = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
        out += ["| " + " | ".join(c.replace("|", "\\|") for c in row) + " |" for row in rows]
        return out

    lines = ["## Audit results", ""]
    lines += table(HEADERS, _rows(view, detail))
    if view.comparisons:
        lines += ["", "## Paired comparisons (same prompts)", ""]
        lines += table(COMPARISON_HEADERS, _comparison_rows(view.comparisons))
    lines += ["", "## Settings", ""]
    lines += [f"- {line.strip()}" for line in _settings_lines(view)]
    return "\n".join(lines) + "\n"


def print_table(view: AuditView, console: Any, *, detail: bool = False) -> None:
    from rich.table import Table

    rows = _rows(view, detail)
    # columns that say nothing in this view (no language, no note) are left out
    keep = [
        i for i, h in enumerate(HEADERS) if h not in ("language", "note") or any(r[i] for r in rows)
    ]
    table = Table(title="Audit results (95% intervals; n = answers with a readable verdict)")
    for i in keep:
        table.add_column(HEADERS[i], overflow="fold")
    for row in rows:
        table.add_row(*(row[i] for i in keep))
    console.print(table)
    if view.comparisons:
        comp = Table(title="Paired comparisons on the same prompts (McNemar)")
        for header in COMPARISON_HEADERS:
            comp.add_column(header, overflow="fold")
        for row in _comparison_rows(view.comparisons):
            comp.add_row(*row)
        console.print(comp)
    for line in _settings_lines(view):
        console.print(line, highlight=False, markup=False)
