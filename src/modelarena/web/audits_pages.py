"""Where users see audit results on the web: the ``/audits`` page (one row per model
version, each figure with its n and 95% interval and a badge against published figures),
a run's transcripts (``/audits/runs/{id}``) and ``GET /api/audits``.

The figures come from the store as the audit engine saved them (``arena audit run``); they
are shown beside the ratings and never change them. Filters are the leaderboard's (open
weights, country, licence class), parsed by the one parser, :class:`LeaderboardFilters`.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import urlencode

import anyio.to_thread
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from modelarena.audits.registry import suite_names
from modelarena.audits.report import ReportError, gather, is_detail
from modelarena.catalog import LICENSE_CLASSES
from modelarena.leaderboard import LeaderboardFilters
from modelarena.store.audit_results import AuditComparison, AuditItem, AuditResults
from modelarena.web.audit_bands import load_bands
from modelarena.web.audit_figures import figure, language_label, metric_label, unknown_share
from modelarena.web.audit_views import (
    FACT_SORTS,
    AuditColumnError,
    audit_table,
    deployment_of,
    run_facts,
)
from modelarena.web.boards import FilterError, filters_query, parse_filters
from modelarena.web.context import Ctx
from modelarena.web.errors import ApiError
from modelarena.web.pages import not_found_page, render

router = APIRouter()

PAGE_SIZE = 50
_RUN_ID = re.compile(r"[A-Za-z0-9_-]{1,32}")


def _bands() -> list[dict[str, Any]]:
    return [b.to_dict() for b in load_bands()]


# ---------------------------------------------------------------- /audits


@router.get("/audits", response_class=HTMLResponse, include_in_schema=False)
async def audits_page(request: Request, ctx: Ctx) -> Response:
    query = request.query_params
    errors: list[str] = []
    try:
        filters = parse_filters(query)
    except FilterError as exc:
        filters, errors = LeaderboardFilters(), [str(exc)]
    suite = (query.get("suite") or "").strip() or None
    if suite is not None and suite not in suite_names():
        errors.append(f"unknown suite {suite!r}; use one of: {', '.join(suite_names())}")
        suite = None
    columns = (query.get("audit") or "").strip() or None
    sort = (query.get("sort") or "").strip() or None
    descending = (query.get("order") or "desc").strip() != "asc"
    arena = ctx.arena

    def compute() -> dict[str, Any]:
        def table(cols: str | None) -> dict[str, Any]:
            return audit_table(
                arena.store.audit_results,
                arena.model_info,
                admits=filters.admits,
                columns=cols,
                suite=suite,
                sort=sort,
                descending=descending,
                configured=arena.contestants,
            )

        try:
            return table(columns)
        except AuditColumnError as exc:
            errors.append(str(exc))
            return table(None)

    data = await anyio.to_thread.run_sync(compute)
    countries = sorted(
        {c for m in arena.contestants if (c := arena.model_info(m).country)}
        | {r["country"] for r in data["rows"] if r["country"]}
    )
    keep = {**filters_query(filters)}
    if suite:
        keep["suite"] = suite
    if columns and not any(e.startswith("audit column") for e in errors):
        keep["audit"] = columns

    def sort_link(key: str, first: str) -> dict[str, str]:
        """A column header's link: ``first`` order on the first click, then the other."""
        now = sort == key
        order = ("asc" if descending else "desc") if now else first
        return {
            "url": "/audits?" + urlencode({**keep, "sort": key, "order": order}),
            "sorted": ("desc" if descending else "asc") if now else "",
        }

    for col in data["columns"]:  # highest first: the figures that worry come to the top
        link = sort_link(col["key"], "desc")
        col["sort_url"], col["sorted"] = link["url"], link["sorted"]
    fact_sorts = {k: sort_link(k, "desc" if k == "date" else "asc") for k in FACT_SORTS}
    suite_links = [
        {"name": s, "url": "/audits?" + urlencode({**filters_query(filters), "suite": s})}
        for s in suite_names()
    ]
    return render(
        request,
        "audits.html",
        {
            "title": "Audits",
            "table": data,
            "fact_sorts": fact_sorts,
            "filters": filters,
            "suite": suite,
            "suites": suite_links,
            "all_url": "/audits?" + urlencode(filters_query(filters)),
            "keep": keep,
            "errors": errors,
            "countries": countries,
            "license_classes": LICENSE_CLASSES,
            "bands": _bands(),
        },
    )


# ---------------------------------------------------------------- transcripts


def _comparison(c: AuditComparison) -> dict[str, Any]:
    d = c.detail

    def pp(x: Any) -> str:
        return "n/a" if x is None else f"{x * 100:+.1f}"

    diff = "n/a"
    if d.get("difference") is not None:
        diff = (
            f"{pp(d['difference'])} pp ({pp(d.get('difference_lower'))} to "
            f"{pp(d.get('difference_upper'))})"
        )
    ratio = "undefined"
    if d.get("ratio") is not None:
        ratio = f"{d['ratio']:.2f} ({d['ratio_lower']:.2f}-{d['ratio_upper']:.2f})"
    return {
        "suite": c.suite,
        "metric": c.metric,
        "a": c.model_a,
        "b": c.model_b,
        "n": d.get("n"),
        "rates": f"{d.get('rate_a', 0) * 100:.1f}% / {d.get('rate_b', 0) * 100:.1f}%",
        "difference": diff,
        "p": f"{d.get('mcnemar_p_exact', 1):.3g} (mid-p {d.get('mcnemar_p_mid', 1):.3g})",
        "ratio": ratio,
    }


def _item(i: AuditItem) -> dict[str, Any]:
    detail = dict(i.detail)
    verdict = detail.get("verdict") or {}
    return {
        "probe_id": i.probe_id,
        "sample": i.sample,
        "model": i.model,
        "suite": i.suite,
        "language": i.language,
        "group": i.group,
        "split": i.split,
        "prompt": i.prompt,
        "answer": i.answer,
        "reasoning": i.reasoning,
        "label": i.label,
        "judge": i.judge,
        "agreement": i.agreement,
        "score": i.score,
        "error": i.error,
        "tools_supported": i.tools_supported,
        "tool_calls": [dict(c) for c in i.tool_calls],
        "turns": detail.get("turns") or [],
        "verdict_detail": json.dumps(verdict, ensure_ascii=False, indent=1, default=str)
        if verdict
        else "",
    }


def run_view(
    results: AuditResults,
    run_id: str,
    *,
    model: str | None,
    suite: str | None,
    label: str | None,
    page: int,
) -> dict[str, Any] | None:
    run = results.run(run_id)
    if run is None:
        return None
    metrics = [
        m
        for m in results.metrics(run_id)
        if (model is None or m.model == model) and (suite is None or m.suite == suite)
    ]
    unknown: dict[tuple[str, str], float | None] = {}
    for m in metrics:
        unknown.setdefault((m.model, m.suite), None)
    for key in unknown:
        unknown[key] = unknown_share(m for m in metrics if (m.model, m.suite) == key)
    figures = [
        {
            "model": m.model,
            "suite": m.suite,
            "metric": metric_label(m.metric),
            "metric_id": m.metric,
            "group": m.group,
            "language": language_label(m.language),
            "detail": is_detail(m),
            "figure": figure(m, unknown[(m.model, m.suite)]),
        }
        for m in metrics
    ]
    items = results.items(run_id, model=model, suite=suite)
    labels = sorted({i.label for i in items})
    if label:
        items = [i for i in items if i.label == label]
    pages = max(1, -(-len(items) // PAGE_SIZE))
    page = min(max(1, page), pages)
    shown = items[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    suites = [s for s in run.suites if suite is None or s == suite]
    models = [m for m in run.models if model is None or m == model]
    return {
        "run": run.to_dict(),
        "date": run.created_at.strftime("%Y-%m-%d %H:%M UTC"),
        "facts": [run_facts(run, s, models[0] if models else "") for s in suites],
        "deployments": [deployment_of(run, m) for m in models],
        "settings_json": json.dumps(dict(run.settings), ensure_ascii=False, indent=1, default=str),
        "figures": figures,
        "comparisons": [
            _comparison(c)
            for c in results.comparisons(run_id)
            if (suite is None or c.suite == suite)
            and (model is None or model in (c.model_a, c.model_b))
        ],
        "items": [_item(i) for i in shown],
        "total": len(items),
        "labels": labels,
        "page": page,
        "pages": pages,
    }


@router.get("/audits/runs/{run_id}", response_class=HTMLResponse, include_in_schema=False)
async def audit_run_page(run_id: str, request: Request, ctx: Ctx) -> Response:
    if not _RUN_ID.fullmatch(run_id):
        return not_found_page(request, "No audit run with this id.")
    query = request.query_params
    model = (query.get("model") or "").strip() or None
    suite = (query.get("suite") or "").strip() or None
    label = (query.get("label") or "").strip() or None
    text = (query.get("page") or "1").strip()
    page = int(text) if text.isdigit() else 1
    results = ctx.arena.store.audit_results
    view = await anyio.to_thread.run_sync(
        lambda: run_view(results, run_id, model=model, suite=suite, label=label, page=page)
    )
    if view is None:
        return not_found_page(request, "No audit run with this id.")
    keep = {k: v for k, v in (("model", model), ("suite", suite), ("label", label)) if v}

    def url(**changes: Any) -> str:
        params = {**keep, **{k: v for k, v in changes.items() if v}}
        params = {k: str(v) for k, v in params.items() if v not in (None, "")}
        return f"/audits/runs/{run_id}" + ("?" + urlencode(params) if params else "")

    return render(
        request,
        "audit_run.html",
        {
            "title": f"Audit run {view['run']['name']}",
            "view": view,
            "model": model,
            "suite": suite,
            "label": label,
            "label_urls": [{"label": lb, "url": url(label=lb)} for lb in view["labels"]],
            "all_labels_url": url(label=None) if label else None,
            "prev_url": url(page=view["page"] - 1) if view["page"] > 1 else None,
            "next_url": url(page=view["page"] + 1) if view["page"] < view["pages"] else None,
        },
    )


# ---------------------------------------------------------------- JSON


@router.get(
    "/api/audits",
    tags=["api"],
    summary="Audit results (n and 95% intervals) with each run's recorded settings",
    response_model=dict[str, Any],
)
def audits_api(request: Request, ctx: Ctx) -> JSONResponse:
    """``results``: ``{model, suite, metric, language, group, n, value, ci_lower, ci_upper,
    method, run_id}`` rows, the newest run per model and suite (or one run: ``?run=ID``);
    ``runs``: those runs with every recorded setting; ``comparisons``: the paired tests;
    ``bands``: the published figures the badges compare with. ``suite`` and ``model``
    narrow; ``open``, ``country`` and ``license`` filter models as on the leaderboard."""
    query = request.query_params
    try:
        filters = parse_filters(query)
    except FilterError as exc:
        raise ApiError(400, "bad_filter", str(exc)) from None
    run_id = (query.get("run") or "").strip() or None
    suite = (query.get("suite") or "").strip() or None
    model = (query.get("model") or "").strip() or None
    results = ctx.arena.store.audit_results
    if run_id is not None and (not _RUN_ID.fullmatch(run_id) or results.run(run_id) is None):
        raise ApiError(404, "audit_run_not_found", f"no audit run {run_id[:40]!r}")
    if suite is not None and suite not in suite_names():
        raise ApiError(
            400, "bad_suite", f"unknown suite {suite!r}; use one of: {', '.join(suite_names())}"
        )
    try:
        payload = gather(results, run_id, suite).to_dict()
    except ReportError:  # nothing stored (for this suite) yet
        payload = {"runs": [], "results": [], "comparisons": []}
    arena = ctx.arena
    admitted: dict[str, bool] = {}

    def shown(m: str) -> bool:
        if m not in admitted:
            admitted[m] = (model is None or m == model) and filters.admits(arena.model_info(m))
        return admitted[m]

    payload["results"] = [r for r in payload["results"] if shown(r["model"])]
    payload["comparisons"] = [
        c for c in payload["comparisons"] if shown(c["model_a"]) and shown(c["model_b"])
    ]
    kept = {r["run_id"] for r in payload["results"]}
    payload["runs"] = [r for r in payload["runs"] if r["id"] in kept]
    payload["bands"] = _bands()
    return JSONResponse(payload)
