"""The landscape as HTML: sections for the boards, the gap, the cost and adoption, and one
self-contained report (``arena landscape report --out report.html``) that reads offline.

The charts are SVG drawn in Python (charts.py): no script, no CDN, no network. The same
section HTML is what the ``/landscape`` page shows inside the site's layout, so the page and
the report cannot drift apart."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html import escape
from typing import Any

from modelarena.landscape.board import Agreement, OpenBoard
from modelarena.landscape.charts import bar_chart, scatter_chart, step_chart
from modelarena.landscape.cost import CostReport
from modelarena.landscape.gap import Gap


@dataclass
class ReportInputs:
    boards: list[OpenBoard] = field(default_factory=list)
    agreements: list[Agreement] = field(default_factory=list)
    gaps: list[Gap] = field(default_factory=list)
    cost: CostReport | None = None
    adoption_html: str | None = None  # drawn from landscape.adoption's figures
    missing: list[str] = field(default_factory=list)  # what was not computed, and the fix


def _fmt(value: Any, digits: int = 0) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return escape(str(value))


def _interval(lo: float | None, hi: float | None, digits: int = 0) -> str:
    if lo is None or hi is None:
        return "no interval"
    return f"{lo:.{digits}f} to {hi:.{digits}f}"


def _table(head: Sequence[str], rows: Sequence[Sequence[str]], cls: str = "board") -> str:
    out = [f'<table class="{cls}"><thead><tr>']
    out += [f"<th>{escape(h)}</th>" for h in head]
    out.append("</tr></thead><tbody>")
    for row in rows:
        out.append("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def board_section(board: OpenBoard) -> str:
    first, second = board.countries
    parts = [
        f'<section class="landscape-board"><h2>Who leads among open models: '
        f"{escape(board.source)}</h2>"
    ]
    parts.append(
        f'<p class="method">{escape(board.method)}. Country by <strong>{escape(board.by)}'
        f"</strong>{' (the lab of the root base model)' if board.by == 'lineage' else ''}. "
        f"{len(board.open_models)} open models of {board.models} on the board.</p>"
    )
    if board.above_best is not None:
        ref = board.best_open.get(second, {})
        overlap = (
            f"; {board.above_best_separated} with an interval entirely above it, "
            f"{board.above_best - board.above_best_separated} overlapping it (tied)"
            if board.above_best_separated is not None
            else "; the board has no intervals, so none can be called separated"
        )
        parts.append(
            f'<p class="headline-figure"><strong>{board.above_best}</strong> open models from '
            f"{first} rate above the best open model from {second} "
            f"({escape(str(ref.get('model')))}), from {board.above_best_labs} labs{overlap}.</p>"
        )
    else:
        parts.append(f"<p>No open model from {escape(second)} on this board.</p>")
    best_rows = [
        [
            escape(c),
            escape(str(b["model"])),
            str(b["rank"]),
            f"{b['rank_upper']} to {b['rank_lower']}",
            str(b["rank_overall"]),
            _fmt(b["rating"]) + " (" + _interval(b["rating_lower"], b["rating_upper"]) + ")",
        ]
        for c, b in board.best_open.items()
    ]
    parts.append("<h3>Best open model of each country</h3>")
    parts.append(
        _table(
            [
                "country",
                "model",
                "rank (open)",
                "rank range (open)",
                "rank overall",
                "rating (95% CI)",
            ],
            best_rows,
        )
    )
    for key, share in (("top 10", board.share_top10), ("top 20", board.share_top20)):
        bars = [(c, float(k)) for c, k in share["counts"].items()]
        parts.append(
            bar_chart(bars, title=f"Countries of the {key} open models ({share['of']} models)")
        )
        leave, enter = share.get("might_leave", []), share.get("might_enter", [])
        if share["of"] and (leave or enter):
            parts.append(
                f'<p class="note">How settled the {key} is, from the rank ranges: '
                f"{len(leave)} in it could rank below it ({escape(', '.join(leave)) or 'none'}); "
                f"{len(enter)} outside could rank within it "
                f"({escape(', '.join(enter)) or 'none'}).</p>"
            )
    rows = [
        [
            str(r["rank"]),
            f"{r['rank_upper']}–{r['rank_lower']}",
            escape(r["model"])
            + (f" <small>({escape(r['variant'])})</small>" if r["variant"] else ""),
            escape(r["lab"] or "?"),
            escape(r["country"]),
            _fmt(r["rating"]) + " (" + _interval(r["rating_lower"], r["rating_upper"]) + ")",
            str(r["rank_overall"]),
        ]
        for r in board.open_models[:25]
    ]
    parts.append("<h3>Top open models</h3>")
    parts.append(
        _table(["rank", "range", "model", "lab", "country", "rating (95% CI)", "overall"], rows)
    )
    if board.unresolved:
        names = ", ".join(
            f"{escape(u['model'])} (nearest: {escape(', '.join(u['nearest']) or 'none')})"
            for u in board.unresolved[:30]
        )
        parts.append(
            f'<p class="note">{len(board.unresolved)} names the catalog does not know (country '
            f"unknown, never guessed): {names}</p>"
        )
    if board.disagreements:
        items = "".join(
            f"<li>{escape(d['model'])}: {escape(d['field'])} is {escape(str(d['file']))} in the "
            f"file, {escape(str(d['catalog']))} in the catalog</li>"
            for d in board.disagreements[:30]
        )
        parts.append(f"<h3>File and catalog disagree</h3><ul>{items}</ul>")
    parts.append("</section>")
    return "\n".join(parts)


def agreement_section(agreements: Sequence[Agreement]) -> str:
    if not agreements:
        return ""
    rows = [
        [
            escape(a.board_a),
            escape(a.board_b),
            str(a.shared),
            f"{a.spearman:.2f} ({_interval(*a.spearman_ci, digits=2)})",
            f"{a.kendall:.2f} ({_interval(*a.kendall_ci, digits=2)})",
        ]
        for a in agreements
    ]
    return (
        '<section class="landscape-agree"><h2>Do the boards agree?</h2>'
        f'<p class="method">{escape(agreements[0].method)}</p>'
        + _table(["board", "board", "shared models", "Spearman (95% CI)", "Kendall (95% CI)"], rows)
        + "</section>"
    )


def gap_section(gap: Gap) -> str:
    chart = step_chart(
        [(gap.leading, gap.frontier_leading), (gap.lagging, gap.frontier_lagging)],
        title=f"Frontier of {gap.leading} and {gap.lagging} models",
        y_label="score",
        end=gap.end,
    )
    pct = round(100 * gap.level)
    return (
        f'<section class="landscape-gap"><h2>How far {escape(gap.lagging)} trails '
        f"{escape(gap.leading)}</h2>"
        f'<p class="headline-figure"><strong>{gap.mean_months:.1f} months</strong> on average '
        f"({pct}% CI {gap.ci_lower:.1f} to {gap.ci_upper:.1f}), ranging from "
        f"{gap.min_months:.1f} to {gap.max_months:.1f} months; {gap.vertical_mean:.1f} score "
        f"points behind on average ({pct}% CI {gap.vertical_ci_lower:.1f} to "
        f"{gap.vertical_ci_upper:.1f}). {gap.days} days from {gap.start} to {gap.end}; "
        f"{gap.models_leading} {escape(gap.leading)} and {gap.models_lagging} "
        f"{escape(gap.lagging)} models.</p>"
        f'<p class="method">{escape(gap.method)}</p>{chart}</section>'
    )


def cost_section(cost: CostReport) -> str:
    points = [(r.model, r.blended_per_m, r.rating) for r in cost.rows if r.blended_per_m]
    chart = scatter_chart(
        [(n, float(p), float(y)) for n, p, y in points if p is not None],
        frontier=cost.frontier,
        title="Rating against blended price (Pareto frontier in red)",
        x_label="USD per million tokens, 3:1 input:output (log scale)",
        y_label="rating",
    )
    rows = [
        [
            escape(r.model) + (" ★" if r.pareto else ""),
            _fmt(r.rating) + " (" + _interval(r.rating_lower, r.rating_upper) + ")",
            _fmt(r.blended_per_m, 2),
            escape(r.price_source or "unpriced"),
            f"{r.with_tokens}/{r.answers}",
            _fmt(r.completion_tokens, 0),
            (_fmt(r.cost_1k, 2) + " (" + _interval(r.cost_1k_lower, r.cost_1k_upper, 2) + ")")
            if r.cost_1k is not None
            else "–",
            (_fmt(r.win_prob, 2) + " (" + _interval(r.win_prob_lower, r.win_prob_upper, 2) + ")")
            if r.win_prob is not None
            else "–",
            _fmt(r.win_prob_per_usd_1k, 3),
        ]
        for r in cost.rows
    ]
    return (
        '<section class="landscape-cost"><h2>Quality against price</h2>'
        f'<p class="method">{escape(cost.method)}. Anchor: {escape(str(cost.anchor))}. '
        f"{escape(cost.prices)}. ★ on the Pareto frontier.</p>{chart}"
        + _table(
            [
                "model",
                "rating (95% CI)",
                "$/M blended",
                "price source",
                "answers with tokens",
                "output tokens/answer",
                "$ per 1,000 answers (95% CI)",
                "P(win vs anchor) (95% CI)",
                "P(win) per $ of 1,000 answers",
            ],
            rows,
        )
        + (
            f'<p class="note">No price for: {escape(", ".join(cost.unpriced))} (add one to the '
            "catalog, or price self-hosted models with --gpu-hour).</p>"
            if cost.unpriced
            else ""
        )
        + "</section>"
    )


def adoption_html(data: dict[str, Any]) -> str:
    """The adoption section drawn from ``landscape.adoption.adoption_section``'s data: one
    bar chart per share (with its 95% interval in the tooltip and the table), labelled as a
    sample when it is one."""
    label = str(data.get("label", ""))
    report = data.get("report", {})
    bars: dict[str, list[dict[str, Any]]] = data.get("series", {}).get("bars", {})
    titles = {
        "by_developer": "Download share by developer region",
        "by_lineage": "Download share by root base-model region (lineage)",
        "by_uploader": "Download share by uploader (top 10)",
        "by_root_lab": "Download share by root base-model lab (top 10)",
    }
    parts = [
        '<section class="landscape-adoption"><h2>Adoption on the Hub</h2>',
        f'<p class="headline-figure"><strong>{escape(label)}</strong></p>',
        f'<p class="method">Window: {escape(str(report.get("window", "")))}; filters: '
        f"{escape(str(report.get('filters', '')))}; snapshot "
        f"{escape(str(report.get('snapshot', '')))}.</p>",
    ]
    for key, rows in bars.items():
        title = titles.get(key) or (
            f"New derivatives by base-model region: {key.split(':', 1)[1]}"
            if key.startswith("derivatives:")
            else key
        )
        top = rows[:10]
        parts.append(
            bar_chart(
                [(str(r["label"]), round(100 * float(r["share"] or 0.0), 1)) for r in top],
                title=f"{title} ({label.split(':')[0]})",
                unit="%",
            )
        )
        parts.append(
            _table(
                ["", "share", "95% CI", "models"],
                [
                    [
                        escape(str(r["label"])),
                        f"{100 * float(r['share'] or 0.0):.1f}%",
                        _interval(
                            None if r.get("lower") is None else 100 * float(r["lower"]),
                            None if r.get("upper") is None else 100 * float(r["upper"]),
                            1,
                        ),
                        _fmt(r.get("models")),
                    ]
                    for r in top
                ],
            )
        )
    parts.append("</section>")
    return "\n".join(parts)


def adoption_section(snapshot: str | None) -> tuple[str | None, str | None]:
    """The adoption section of a Hub snapshot (``landscape.adoption``), or why it is not
    there: (html, None) or (None, the reason with its fix)."""
    if snapshot is None:
        return None, (
            "adoption: give --hub SNAPSHOT (a Hub metadata snapshot, Parquet or JSONL) to "
            "include download and derivative shares"
        )
    try:
        from modelarena.landscape.adoption import adoption_section as figures

        return adoption_html(figures(snapshot)), None
    except ImportError as exc:
        return None, f"adoption: {exc}; install the landscape extra"
    except ValueError as exc:  # AdoptionError and friends name the fix
        return None, f"adoption: {exc}"


def sections_html(inputs: ReportInputs) -> str:
    parts = [board_section(b) for b in inputs.boards]
    parts.append(agreement_section(inputs.agreements))
    parts += [gap_section(g) for g in inputs.gaps]
    if inputs.cost is not None:
        parts.append(cost_section(inputs.cost))
    if inputs.adoption_html:
        parts.append(inputs.adoption_html)
    if inputs.missing:
        items = "".join(f"<li>{escape(m)}</li>" for m in inputs.missing)
        parts.append(
            f'<section class="landscape-missing"><h2>Not computed</h2><ul>{items}</ul></section>'
        )
    return "\n".join(p for p in parts if p)


_STYLE = """
body{font-family:system-ui,sans-serif;max-width:980px;margin:2em auto;padding:0 1em;color:#222}
h1{font-size:1.6em}h2{margin-top:2em;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:1em 0;font-size:.9em}
td,th{border-bottom:1px solid #eee;padding:.3em .6em;text-align:left}
.method,.note{color:#555;font-size:.9em}.headline-figure{font-size:1.1em}
svg.chart{width:100%;height:auto;max-width:720px;display:block;margin:1em 0}
"""


def render_report(inputs: ReportInputs, *, title: str = "The model landscape") -> str:
    """One HTML document, everything inline (no script, no external resource)."""
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head><body>"
        f'<h1>{escape(title)}</h1><p class="method">Generated {when} by modelarena '
        "(<code>arena landscape report</code>). Every figure states its method and its "
        "uncertainty; definitions and how they compare with published figures: "
        "docs/landscape.md.</p>"
        f"{sections_html(inputs)}</body></html>\n"
    )


__all__ = [
    "adoption_html",
    "ReportInputs",
    "adoption_section",
    "agreement_section",
    "board_section",
    "cost_section",
    "gap_section",
    "render_report",
    "sections_html",
]
