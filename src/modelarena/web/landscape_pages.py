"""The ``/landscape`` page: who leads among open models on the stored published boards and
on the arena's own board, whether the boards agree, and the cost of the arena's models.

The sections are the HTML report's own (landscape/report.py), drawn server-side with inline
SVG charts: the page needs no script. ``?by=lineage`` counts a fine-tune under its base
model's country; ``?countries=CN,US`` picks the two countries compared."""

from __future__ import annotations

import anyio.to_thread
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup

from modelarena.landscape.board import By, parse_by
from modelarena.landscape.inputs import build_report
from modelarena.landscape.report import sections_html
from modelarena.landscape.snapshots import LandscapeError
from modelarena.web.context import Ctx
from modelarena.web.pages import render

router = APIRouter(include_in_schema=False)


def _countries(text: str | None) -> tuple[str, str] | None:
    parts = [c.strip().upper() for c in (text or "CN,US").split(",") if c.strip()]
    if len(parts) != 2 or not all(len(c) == 2 and c.isalpha() for c in parts):
        return None
    return parts[0], parts[1]


@router.get("/landscape", response_class=HTMLResponse)
async def landscape_page(request: Request, ctx: Ctx) -> Response:
    countries = _countries(request.query_params.get("countries"))
    error = None
    by: By = "developer"
    try:
        by = parse_by(request.query_params.get("by"))
    except LandscapeError as exc:
        error = str(exc)
    if countries is None:
        error, countries = "countries must be two ISO codes such as CN,US", ("CN", "US")
    pair = countries

    def compute() -> str:
        inputs = build_report(ctx.arena, countries=pair, by=by, resamples=200)
        inputs.missing = [
            m for m in inputs.missing if not m.startswith(("gap in months", "adoption"))
        ]
        return sections_html(inputs)

    try:
        body = await anyio.to_thread.run_sync(compute)
    except LandscapeError as exc:
        body, error = "", str(exc)
    return render(
        request,
        "landscape.html",
        {
            "title": "Landscape",
            "sections": Markup(body),  # noqa: S704 - built by report.py with every value escaped
            "by": by,
            "countries": ",".join(pair),
            "error": error,
        },
    )
