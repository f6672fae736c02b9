"""``arena landscape gap | cost | report``: the capability gap in months, quality against
price, and the one self-contained HTML report (docs/landscape.md)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer

from modelarena.cli.common import (
    ConfigOption,
    DatabaseOption,
    console,
    fail,
    load_arena,
)
from modelarena.cli.landscape_common import (
    ArenaSource,
    CategoryOption,
    FormatOption,
    PoolVariants,
    arena_filters,
    check_format,
    emit,
    landscape_errors,
)


def gap(
    file: Annotated[
        Path | None, typer.Argument(help="Dated scores, e.g. an Epoch ECI export (CSV)")
    ] = None,
    arena_own: Annotated[
        bool, typer.Option("--arena", help="The arena's ratings with catalog release dates")
    ] = False,
    leading: Annotated[str, typer.Option("--leading", help="Group ahead: ISO code")] = "US",
    lagging: Annotated[str, typer.Option("--lagging", help="Group behind: ISO code")] = "CN",
    open_vs_closed: Annotated[
        bool, typer.Option("--open-vs-closed", help="Closed (leading) vs open weights")
    ] = False,
    start: Annotated[str, typer.Option("--start", help="First day, YYYY-MM-DD")] = "2023-01-01",
    end: Annotated[
        str | None, typer.Option("--end", help="Last day (default: the last release)")
    ] = None,
    tolerance: Annotated[
        float, typer.Option("--tolerance", min=0.0, help="Score points counted as a tie")
    ] = 0.0,
    resamples: Annotated[int, typer.Option("--resamples", min=100)] = 1000,
    level: Annotated[
        float, typer.Option("--level", min=0.5, max=0.999, help="Interval level (0.95)")
    ] = 0.95,
    refit: Annotated[
        bool,
        typer.Option("--refit", help="With --arena: ratings refitted on the votes up to each week"),
    ] = False,
    source: ArenaSource = "human",
    config: ConfigOption = None,
    db: DatabaseOption = None,
    output: FormatOption = "table",
) -> None:
    """The capability gap in months (Epoch's method) with a bootstrap interval."""
    from modelarena.landscape.gap import capability_gap, read_dated_scores
    from modelarena.landscape.gap_refit import refit_gap
    from modelarena.landscape.inputs import arena_dated_scores, arena_refits

    check_format(output)
    if (file is None) == (not arena_own):
        fail("give a file of dated scores (e.g. an Epoch ECI export) or --arena, not both")
    if refit and not arena_own:
        fail("--refit needs --arena: a file of scores has no votes to refit")
    try:
        first = date.fromisoformat(start)
        last = date.fromisoformat(end) if end else None
    except ValueError:
        fail("--start and --end are dates: YYYY-MM-DD")
    lead, lag = ("closed", "open") if open_vs_closed else (leading.upper(), lagging.upper())
    with landscape_errors():
        if refit:
            arena = load_arena(config, db)
            models, fits = arena_refits(
                arena, arena_filters(source, None, 0, False), start=first, end=last
            )
            result = refit_gap(
                models, fits, lead, lag, tolerance=tolerance, resamples=resamples, level=level
            )
        elif file is not None:
            scores = read_dated_scores(file)
        else:
            arena = load_arena(config, db)
            scores = arena_dated_scores(arena, arena_filters(source, None, 0, False))
        if not refit:
            result = capability_gap(
                scores,
                lead,
                lag,
                start=first,
                end=last,
                tolerance=tolerance,
                resamples=resamples,
                level=level,
            )
    if arena_own and not refit:
        result.method += (
            "; scores: the arena's current ratings placed at the catalog's release dates (not "
            "refitted on the votes up to each date, so later drift is mixed in)"
        )
    pct = f"{round(100 * result.level)}ci"
    row = {
        "leading": result.leading,
        "lagging": result.lagging,
        "mean_months": result.mean_months,
        f"{pct}_months": f"{result.ci_lower} to {result.ci_upper}",
        "min_months": result.min_months,
        "max_months": result.max_months,
        "vertical_points": result.vertical_mean,
        f"vertical_{pct}": f"{result.vertical_ci_lower} to {result.vertical_ci_upper}",
        "days": result.days,
        "models": f"{result.models_leading}/{result.models_lagging}",
    }
    emit(
        output,
        result.to_dict(),
        [row],
        list(row),
        title=f"{result.lagging} behind {result.leading}, {result.start} to {result.end}",
        caption=result.method,
    )


def _hosting(gpu_hour: float | None, tokens_per_s: float | None, self_hosted: str) -> Any:
    from modelarena.landscape.cost import SelfHosting

    if gpu_hour is None:
        if tokens_per_s is not None or self_hosted:
            fail("--tokens-per-s and --self-hosted need --gpu-hour USD (the GPU's hourly price)")
        return None
    names = tuple(m.strip() for m in self_hosted.split(",") if m.strip())
    return SelfHosting(gpu_hour, tokens_per_s, names)


GpuHour = Annotated[
    float | None, typer.Option("--gpu-hour", min=0.0, help="USD per GPU-hour (self-hosted)")
]
TokensPerS = Annotated[
    float | None,
    typer.Option("--tokens-per-s", min=0.0, help="Self-hosted speed (default: measured)"),
]
SelfHosted = Annotated[
    str, typer.Option("--self-hosted", help="Models priced by GPU-hour (default: unpriced ones)")
]


def cost(
    anchor: Annotated[
        str | None, typer.Option("--anchor", help="Model for win probabilities (default: best)")
    ] = None,
    snapshot: Annotated[
        str | None, typer.Option("--snapshot", help="Ratings of a published board, NAME@DATE")
    ] = None,
    category: CategoryOption = "full",
    source: ArenaSource = "human",
    gpu_hour: GpuHour = None,
    tokens_per_s: TokensPerS = None,
    self_hosted: SelfHosted = "",
    config: ConfigOption = None,
    db: DatabaseOption = None,
    output: FormatOption = "table",
) -> None:
    """Quality against price: Pareto frontier, cost of 1,000 answers, win probability per $."""
    from modelarena.landscape.inputs import ARENA, board_cost, pick_board

    check_format(output)
    hosting = _hosting(gpu_hour, tokens_per_s, self_hosted)
    with landscape_errors():
        arena = load_arena(config, db)
        chosen = pick_board(
            arena, snapshot or ARENA, category, arena_filters(source, None, 0, False)
        )
        result = board_cost(arena, chosen, anchor=anchor, hosting=hosting)
    rows = [dict(r.__dict__) for r in result.rows]
    people = [
        {
            "model": r["model"] + (" *" if r["pareto"] else ""),
            "rating": f"{r['rating']:.0f}",
            "$/M": "" if r["blended_per_m"] is None else f"{r['blended_per_m']:.2f}",
            "$/1k answers (95% CI)": ""
            if r["cost_1k"] is None
            else f"{r['cost_1k']:.3f} ({r['cost_1k_lower']:.3f}-{r['cost_1k_upper']:.3f})",
            "P(win)": "" if r["win_prob"] is None else f"{r['win_prob']:.2f}",
            "P(win)/$1k": ""
            if r["win_prob_per_usd_1k"] is None
            else f"{r['win_prob_per_usd_1k']:.2f}",
        }
        for r in rows
    ]
    columns = (
        "model",
        "rating",
        "blended_per_m",
        "price_source",
        "with_tokens",
        "completion_tokens",
        "cost_1k",
        "cost_1k_lower",
        "cost_1k_upper",
        "win_prob",
        "win_prob_per_usd_1k",
        "pareto",
    )
    caption = (
        f"{result.method}. Anchor: {result.anchor}. {result.prices}. Pareto frontier: "
        f"{', '.join(result.frontier) or 'none (no prices)'}."
        + (f" Unpriced: {', '.join(result.unpriced)}." if result.unpriced else "")
    )
    emit(
        output,
        result.to_dict(),
        rows,
        columns,
        title=f"Cost on {chosen.label}",
        caption=caption + " * on the Pareto frontier.",
        shown=(people, list(people[0]) if people else []),
    )


def report(
    out: Annotated[Path, typer.Option("--out", "-o", help="The HTML file to write")],
    snapshot: Annotated[
        list[str] | None,
        typer.Option("--snapshot", help="Boards to include (default: newest of each name)"),
    ] = None,
    category: CategoryOption = "full",
    eci: Annotated[
        Path | None, typer.Option("--eci", help="Epoch ECI export for the gap in months")
    ] = None,
    hub: Annotated[
        str | None,
        typer.Option("--hub", help="Hub metadata snapshot (Parquet/JSONL) for adoption"),
    ] = None,
    by: Annotated[str, typer.Option("--by", help="developer or lineage")] = "developer",
    pool_variants: PoolVariants = False,
    anchor: Annotated[str | None, typer.Option("--anchor")] = None,
    gpu_hour: GpuHour = None,
    tokens_per_s: TokensPerS = None,
    self_hosted: SelfHosted = "",
    config: ConfigOption = None,
    db: DatabaseOption = None,
) -> None:
    """One self-contained HTML report (charts inline, readable offline)."""
    from rich.progress import Progress

    from modelarena.landscape.board import parse_by
    from modelarena.landscape.inputs import build_report
    from modelarena.landscape.report import render_report

    if out.suffix.lower() not in (".html", ".htm") or out.is_dir():
        fail(f"--out {out}: give the path of an .html file to write, e.g. report.html")
    hosting = _hosting(gpu_hour, tokens_per_s, self_hosted)
    with landscape_errors(), Progress(transient=True, console=console) as progress:
        attribution = parse_by(by)
        progress.add_task("computing the landscape (bootstraps)", total=None)
        arena = load_arena(config, db)
        inputs = build_report(
            arena,
            snapshots=snapshot,
            category=category,
            eci=eci,
            hub=hub,
            by=attribution,
            pool_variants=pool_variants,
            anchor=anchor,
            hosting=hosting,
        )
        html = render_report(inputs)
    try:
        out.write_text(html, encoding="utf-8")
    except OSError as exc:
        fail(f"cannot write {out}: {exc.strerror}; choose another --out path")
    console.print(
        f"wrote {out} ({len(html) // 1024} KiB): {len(inputs.boards)} boards, "
        f"{len(inputs.gaps)} gaps, cost {'yes' if inputs.cost else 'no'}"
        + (
            f"; not computed: {len(inputs.missing)} (listed in the report)"
            if inputs.missing
            else ""
        )
    )


def register(group: typer.Typer) -> None:
    group.command("gap")(gap)
    group.command("cost")(cost)
    group.command("report")(report)
