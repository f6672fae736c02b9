"""What the web shows of stored audit results, as plain dicts (each figure drawn by
:func:`~modelarena.web.audit_figures.figure`: n, 95% interval, badge, or why it is missing).

- :func:`audit_table`: the ``/audits`` page, one row per model version (a model id with the
  endpoint, served model, quantisation, system prompt and temperature its run recorded),
  the newest run of each suite for that version;
- :func:`audit_card`: a model page's card, the newest run per suite, the information
  suites with their languages side by side;
- :func:`leaderboard_audits`: the leaderboard's audit columns (``?audit=...``);
- columns are named ``suite.metric[/group][@language]`` (:func:`parse_columns`).

Results are shown beside the ratings, never blended into them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from modelarena.audits.probes import LANGUAGES
from modelarena.audits.registry import suite_names
from modelarena.audits.report import is_detail
from modelarena.store.audit_results import AuditMetric, AuditResults, AuditRun
from modelarena.web.audit_figures import (
    TOOLS_UNSUPPORTED,
    UNKNOWN,
    figure,
    language_label,
    metric_label,
    unknown_share,
)

# The /audits page's columns when none are asked for: one or two per suite, English and
# Chinese for the information suites.
DEFAULT_COLUMNS = (
    "jailbreak.compliance_plain",
    "jailbreak.compliance_attack",
    "hijack.hijacked",
    "hijack.utility",
    "overrefusal.full_refusal/safe",
    "censorship.selective_refusal_diff@en",
    "censorship.selective_refusal_diff@zh-Hans",
    "narratives.narrative_echo/china@en",
    "narratives.narrative_echo/china@zh-Hans",
    "falseclaims.fail_rate@en",
    "falseclaims.fail_rate@zh-Hans",
)

# The catalog facts a table may also be sorted by (``?sort=country``), as the leaderboard's.
FACT_SORTS = {"model": "display_name", "weights": "open_weights", "country": "country",
              "license": "license_class", "date": "date"}  # fmt: skip

_KEY = re.compile(r"([a-z][a-z0-9_]*)\.([a-z][a-z0-9_]*)(?:/([^@/]{1,64}))?(?:@([A-Za-z-]{2,16}))?")


class AuditColumnError(ValueError):
    """An audit column the URL names that is not well formed or not known."""


@dataclass(frozen=True)
class AuditColumn:
    suite: str
    metric: str
    group: str | None = None  # None: the pooled row, else the suite's first headline group
    language: str | None = None  # None: one column per language the results have

    @property
    def key(self) -> str:
        group = f"/{self.group}" if self.group is not None else ""
        language = f"@{self.language}" if self.language is not None else ""
        return f"{self.suite}.{self.metric}{group}{language}"

    def label(self) -> str:
        return metric_label(self.metric)


def parse_columns(text: str | None, known: Iterable[tuple[str, str]] = ()) -> list[AuditColumn]:
    """Columns from ``suite.metric[/group][@language]``, comma separated. ``known``: the
    (suite, metric) pairs stored, to name a metric nobody measured (unchecked when empty)."""
    known = set(known)
    out: list[AuditColumn] = []
    for raw in (p.strip() for p in (text or "").split(",")):
        if not raw:
            continue
        match = _KEY.fullmatch(raw)
        if match is None:
            raise AuditColumnError(
                f"audit column {raw[:80]!r} is not suite.metric[/group][@language], "
                "e.g. jailbreak.compliance_attack or narratives.narrative_echo@zh-Hans"
            )
        suite, metric, group, language = match.groups()
        if suite not in suite_names():
            raise AuditColumnError(
                f"audit column {raw!r}: unknown suite {suite!r} (known: {', '.join(suite_names())})"
            )
        if known and (suite, metric) not in known:
            stored = sorted(m for s, m in known if s == suite)
            choices = ", ".join(stored) if stored else "none stored for this suite"
            raise AuditColumnError(f"audit column {raw!r}: no stored {suite} metric {metric!r} "
                                   f"(stored: {choices})")  # fmt: skip
        column = AuditColumn(suite, metric, group, language)
        if column not in out:
            out.append(column)
    return out


def pick(rows: Sequence[AuditMetric], column: AuditColumn, language: str) -> AuditMetric | None:
    """The row a column shows among one model's rows of one suite: its group (a trailing
    ``*`` matches a prefix), else the pooled row, else the suite's first headline group."""
    found = [
        m
        for m in rows
        if (m.suite, m.metric, m.language) == (column.suite, column.metric, language)
    ]
    if column.group is not None:
        g = column.group
        return next(
            (m for m in found if (m.group.startswith(g[:-1]) if g.endswith("*") else m.group == g)),
            None,
        )
    return next((m for m in found if m.group == ""), None) or next(
        (m for m in found if not is_detail(m)), None
    )


def languages_of(rows: Iterable[AuditMetric], column: AuditColumn) -> list[str]:
    """The languages a column is shown in: its own, else every one the results have."""
    if column.language is not None:
        return [column.language]
    found = {m.language for m in rows if (m.suite, m.metric) == (column.suite, column.metric)}
    return _ordered(found) or [""]


def _ordered(languages: Iterable[str]) -> list[str]:
    rank = {lang: i for i, lang in enumerate(("", *LANGUAGES))}
    return sorted(set(languages), key=lambda x: (rank.get(x, len(rank)), x))


def transcripts_url(run_id: str, model: str, suite: str) -> str:
    return f"/audits/runs/{run_id}?" + urlencode({"model": model, "suite": suite})


# ---------------------------------------------------------------- settings shown


def _mapping(value: Any) -> Mapping[str, Any]:
    """A recorded setting that should be a table, or an empty one (runs stored by other
    versions may lack it)."""
    return value if isinstance(value, Mapping) else {}


def deployment_of(run: AuditRun, model: str) -> dict[str, Any]:
    """What the run recorded of ``model``'s deployment, with the run-wide settings."""
    dep = dict(_mapping(_mapping(run.settings.get("models")).get(model)))
    dep.setdefault("model", model)
    dep["keep_reasoning"] = run.settings.get("keep_reasoning")
    dep["samples"] = run.settings.get("samples")
    return dep


def version_key(model: str, dep: dict[str, Any]) -> tuple[str, ...]:
    """What makes a model version: the id and the recorded deployment."""
    fields = ("endpoint", "served_model", "quantisation", "system_prompt", "temperature",
              "keep_reasoning")  # fmt: skip
    return (model, *(json.dumps(dep.get(f), sort_keys=True, default=str) for f in fields))


def run_facts(run: AuditRun, suite: str, model: str) -> dict[str, Any]:
    """Date, datasets with their version hashes, judges and the transcripts link."""
    datasets = _mapping(_mapping(run.settings.get("datasets")).get(suite))
    return {
        "suite": suite,
        "run_id": run.id,
        "run_name": run.name,
        "date": run.created_at.strftime("%Y-%m-%d %H:%M UTC"),
        "datasets": [{"name": k, "version": str(v)} for k, v in datasets.items()],
        "judges": list(run.judges),
        "transcripts": transcripts_url(run.id, model, suite),
    }


# ---------------------------------------------------------------- the /audits table


@dataclass
class _Version:
    model: str
    deployment: dict[str, Any]
    newest: datetime
    suites: dict[str, tuple[AuditRun, list[AuditMetric]]] = field(default_factory=dict)


def model_versions(results: AuditResults) -> list[_Version]:
    """Every audited model version, with the newest run of each suite for it."""
    versions: dict[tuple[Any, ...], _Version] = {}
    cache: dict[str, list[AuditMetric]] = {}
    for run in results.runs():  # newest first
        for model in run.models:
            dep = deployment_of(run, model)
            version = versions.setdefault(
                version_key(model, dep), _Version(model, dep, run.created_at)
            )
            for suite in run.suites:
                if suite in version.suites:
                    continue
                if run.id not in cache:
                    cache[run.id] = results.metrics(run.id)
                mine = [m for m in cache[run.id] if m.model == model and m.suite == suite]
                if mine:
                    version.suites[suite] = (run, mine)
    return [v for v in versions.values() if v.suites]


def headline_columns(metrics: Iterable[AuditMetric], suite: str) -> list[AuditColumn]:
    """Every headline (metric, group) a suite's stored results have, in their order, each
    shown in every language; the share of unreadable verdicts last."""
    seen: list[AuditColumn] = []
    for m in metrics:
        if m.suite != suite or is_detail(m) or m.metric == UNKNOWN:
            continue
        # the jailbreak template is chosen per model: one column for whichever it is
        group = "attack:*" if m.group.startswith("attack:") else (m.group or None)
        column = AuditColumn(suite, m.metric, group)
        if column not in seen:
            seen.append(column)
    return [*seen, AuditColumn(suite, UNKNOWN)] if seen else []


def audit_table(
    results: AuditResults,
    info: Callable[[str], Any],
    *,
    admits: Callable[[Any], bool],
    columns: str | None = None,
    suite: str | None = None,
    sort: str | None = None,
    descending: bool = False,
    configured: Iterable[str] = (),
) -> dict[str, Any]:
    """The /audits page: columns (expanded per language) and one row per model version,
    filtered by ``admits`` (the leaderboard's display filters) and sorted by a column key
    (None values last whatever the order) or by model.

    ``columns``: the URL's ``suite.metric[/group][@language]`` list (checked against what
    is stored: AuditColumnError); else every headline figure of ``suite``; else
    :data:`DEFAULT_COLUMNS`."""
    configured = set(configured)
    versions = model_versions(results)
    every = [m for v in versions for _, ms in v.suites.values() for m in ms]
    if columns:
        chosen = parse_columns(columns, {(m.suite, m.metric) for m in every})
    elif suite:
        chosen = headline_columns(every, suite)
    else:
        chosen = parse_columns(",".join(DEFAULT_COLUMNS))
    if suite:
        chosen = [c for c in chosen if c.suite == suite]
    shown_columns = [
        (c, lang, _column_head(c, lang)) for c in chosen for lang in languages_of(every, c)
    ]
    rows = []
    for v in versions:
        mi = info(v.model)
        if not admits(mi) or (suite and suite not in v.suites):
            continue
        cells = []
        for c, lang, head in shown_columns:
            run_rows = v.suites.get(c.suite)
            if run_rows is None:
                cells.append(figure(None) | {"key": head["key"]})
                continue
            run, ms = run_rows
            cell = figure(
                pick(ms, c, lang), unknown_share(ms), link=transcripts_url(run.id, v.model, c.suite)
            )
            cells.append(cell | {"key": head["key"]})
        facts = [run_facts(run, s, v.model) for s, (run, _) in sorted(v.suites.items())]
        rows.append(
            {
                "model": v.model,
                "display_name": mi.display_name,
                "configured": v.model in configured,
                "open_weights": mi.open_weights,
                "country": mi.country,
                "license": mi.license,
                "license_class": mi.license_class,
                "deployment": v.deployment,
                "date": v.newest.strftime("%Y-%m-%d"),
                "runs": facts,
                "cells": cells,
            }
        )
    keys = [h["key"] for _, _, h in shown_columns]
    rows.sort(key=lambda r: (r["display_name"].lower(), r["model"], r["date"]))
    if sort is not None and (sort in keys or sort in FACT_SORTS):
        column = keys.index(sort) if sort in keys else None
        fact = FACT_SORTS.get(sort, "")

        def value(r: dict[str, Any]) -> Any:
            return r["cells"][column]["sort"] if column is not None else r[fact]

        # rows without the value last, whatever the order
        valued = sorted((r for r in rows if value(r) is not None), key=value, reverse=descending)
        rows = valued + [r for r in rows if value(r) is None]
    return {"columns": [h for _, _, h in shown_columns], "rows": rows}


def _column_head(c: AuditColumn, language: str) -> dict[str, Any]:
    key = AuditColumn(c.suite, c.metric, c.group, language or None).key
    return {
        "key": key,
        "suite": c.suite,
        "label": c.label(),
        "group": c.group or "",
        "language": language_label(language),
    }


# ---------------------------------------------------------------- the model page's card


def audit_card(results: AuditResults, model: str) -> list[dict[str, Any]]:
    """The newest run of each suite for ``model``: per suite its headline rows, the
    information suites with one column per language (English and Chinese side by side)."""
    latest = results.latest_metrics(model=model)
    by_suite: dict[str, list[AuditMetric]] = {}
    for m in latest:
        by_suite.setdefault(m.suite, []).append(m)
    runs: dict[str, AuditRun | None] = {}
    sections = []
    for suite, rows in by_suite.items():
        run_id = rows[0].run_id
        if run_id not in runs:
            runs[run_id] = results.run(run_id)
        run = runs[run_id]
        if run is None:
            continue
        unknown = unknown_share(rows)
        link = transcripts_url(run.id, model, suite)
        headline = [m for m in rows if not is_detail(m) and m.metric != UNKNOWN]
        languages = _ordered(m.language for m in headline)
        table: dict[tuple[str, str], dict[str, Any]] = {}
        for m in headline:
            row = table.setdefault(
                (m.metric, m.group),
                {"label": metric_label(m.metric), "metric": m.metric, "group": m.group,
                 "cells": {}},
            )  # fmt: skip
            row["cells"][m.language] = figure(m, unknown, link=link)
        unsupported = any(
            m.metric == TOOLS_UNSUPPORTED and m.group == "" and m.value == 1.0 for m in rows
        )
        unknown_row = next((m for m in rows if m.metric == UNKNOWN and m.group == ""), None)
        # each reason a figure is missing, said once under the table
        reasons = list(
            dict.fromkeys(
                c["why"]
                for row in table.values()
                for c in row["cells"].values()
                if c["state"] == "na"
            )
        )
        sections.append(
            {
                "reasons": reasons,
                **run_facts(run, suite, model),
                "deployment": deployment_of(run, model),
                "languages": [{"code": lang, "label": language_label(lang)} for lang in languages],
                "side_by_side": languages != [""],
                "rows": list(table.values()),
                "tools_unsupported": unsupported,
                "unknown": figure(unknown_row) if unknown_row is not None else None,
            }
        )
    order = {s: i for i, s in enumerate(suite_names())}
    sections.sort(key=lambda s: (order.get(s["suite"], len(order)), s["suite"]))
    return sections


# ---------------------------------------------------------------- the leaderboard's columns


def leaderboard_audits(results: AuditResults, text: str) -> dict[str, Any]:
    """The leaderboard's audit columns (``?audit=suite.metric,...``, checked against what is
    stored: AuditColumnError): per model its newest run of each suite, one cell per column
    and language. Beside the ratings: nothing here changes them."""
    latest = results.latest_metrics()
    columns = parse_columns(text, {(m.suite, m.metric) for m in latest})
    by_model: dict[str, list[AuditMetric]] = {}
    for m in latest:
        by_model.setdefault(m.model, []).append(m)
    heads = [(c, lang, _column_head(c, lang)) for c in columns for lang in languages_of(latest, c)]
    cells: dict[str, list[dict[str, Any]]] = {}
    for model, rows in by_model.items():
        out = []
        for c, lang, _ in heads:
            mine = [m for m in rows if m.suite == c.suite]
            if not mine:
                out.append(figure(None))
                continue
            link = transcripts_url(mine[0].run_id, model, c.suite)
            out.append(figure(pick(mine, c, lang), unknown_share(mine), link=link))
        cells[model] = out
    return {"columns": [h for _, _, h in heads], "cells": cells}


__all__ = [
    "DEFAULT_COLUMNS",
    "AuditColumn",
    "AuditColumnError",
    "audit_card",
    "audit_table",
    "deployment_of",
    "headline_columns",
    "leaderboard_audits",
    "model_versions",
    "parse_columns",
    "pick",
    "run_facts",
]
