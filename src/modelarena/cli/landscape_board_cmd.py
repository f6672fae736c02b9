"""``arena landscape import | snapshots | board | agree | gap | cost | report``: who leads
among open models, by how many months, at what cost (docs/landscape.md)."""

from __future__ import annotations

import contextlib
import csv
import io
import json
from collections.abc import Iterator, Sequence
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from modelarena.cli.common import (
    ConfigOption,
    DatabaseOption,
    console,
    fail,
    load_arena,
    user_errors,
)

FORMATS = ("table", "json", "csv", "markdown")
FormatOption = Annotated[str, typer.Option("--format", "-f", help="table, json, csv or markdown")]
CategoryOption = Annotated[
    str, typer.Option("--category", help="Category of a published board (full, coding, ...)")
]


@contextlib.contextmanager
def _errors() -> Iterator[None]:
    from modelarena.landscape.snapshots import LandscapeError

    with user_errors():
        try:
            yield
        except LandscapeError as exc:
            fail(str(exc))


def _check_format(output: str) -> None:
    if output not in FORMATS:
        fail(f"unknown format {output!r}; choose one of: {', '.join(FORMATS)}")


def _emit(
    output: str,
    data: dict[str, Any],
    rows: Sequence[dict[str, Any]],
    columns: Sequence[str],
    *,
    title: str,
    caption: str,
    shown: tuple[Sequence[dict[str, Any]], Sequence[str]] | None = None,
) -> None:
    """Print ``data`` as JSON, ``rows`` (``columns`` of them) as CSV, or ``shown`` (rows and
    columns for people, default ``rows``) as Markdown or a table. One row is shown as a
    two-column table of names and values."""
    if output == "json":
        print(json.dumps(data, indent=2, default=str))
        return
    if output == "csv":
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=list(columns), extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
        print(buf.getvalue(), end="")
        return
    if shown is not None:
        rows, columns = shown
    if output == "markdown":
        print(f"**{title}**\n")
        print("| " + " | ".join(columns) + " |")
        print("|" + "---|" * len(columns))
        for r in rows:
            print(
                "| " + " | ".join("" if r.get(c) is None else str(r.get(c)) for c in columns) + " |"
            )
        print(f"\n{caption}")
        return
    table = Table(title=title, caption=caption)
    if len(rows) == 1:
        table.add_column("figure")
        table.add_column("value", overflow="fold")
        for c in columns:
            table.add_row(c, "" if rows[0].get(c) is None else str(rows[0].get(c)))
        console.print(table)
        return
    for c in columns:
        table.add_column(c, overflow="fold")
    for r in rows:
        table.add_row(*("" if r.get(c) is None else str(r.get(c)) for c in columns))
    console.print(table)


def _arena_filters(source: str, category: list[str] | None, min_votes: int, style: bool) -> Any:
    from modelarena.leaderboard import ALL_FILTERS, LeaderboardFilters

    return LeaderboardFilters.parse(
        {
            "source": source,
            "category": ",".join(category or []),
            "min_votes": str(min_votes),
            "style": str(style),
        },
        allow=ALL_FILTERS,
    )


ArenaSource = Annotated[
    str, typer.Option("--source", help="With --arena: human, judge or judge:<model>")
]
ArenaCategory = Annotated[
    list[str] | None, typer.Option("--arena-category", help="With --arena: battle category")
]
PoolVariants = Annotated[
    bool,
    typer.Option("--pool-variants", help="One row per catalog model (its best-rated variant)"),
]
MinVotes = Annotated[
    int,
    typer.Option("--min-votes", min=0, help="Leave out models with fewer votes (when known)"),
]
Style = Annotated[bool, typer.Option("--style-control", help="With --arena")]


def import_board(
    file: Annotated[Path, typer.Argument(help="LMArena leaderboard JSON or a CSV table")],
    name: Annotated[str, typer.Option("--name", help="The board's name, e.g. lmarena")],
    when: Annotated[str, typer.Option("--date", help="The date it was published, YYYY-MM-DD")],
    config: ConfigOption = None,
    db: DatabaseOption = None,
) -> None:
    """Store a published leaderboard as a dated snapshot (every category in the file)."""
    from modelarena.catalog import resolver
    from modelarena.landscape.snapshots import read_board_file

    try:
        day = date.fromisoformat(when)
    except ValueError:
        fail(f"--date {when!r} is not a date; give YYYY-MM-DD, e.g. 2025-11-20")
    if not name.strip() or "@" in name:
        fail(f"--name {name!r}: give a short name without '@', e.g. lmarena")
    with _errors():
        boards = read_board_file(file)
        arena = load_arena(config, db)
        names = resolver(arena.catalog)
        for category, rows in boards.items():
            arena.store.landscape.save(name, day, category, rows, source_file=str(file))
            known = sum(1 for r in rows if names.resolve(r.model).resolved)
            console.print(
                f"{name}@{day} ({category}): {len(rows)} models, {known} resolved by the catalog"
                f" ({100 * known / max(len(rows), 1):.0f}%)"
            )


def snapshots(config: ConfigOption = None, db: DatabaseOption = None) -> None:
    """List the stored published boards."""
    with _errors():
        arena = load_arena(config, db)
        found = arena.store.landscape.snapshots()
    if not found:
        console.print("No board stored; `arena landscape import FILE --name NAME --date DATE`.")
        return
    table = Table(title="Stored published boards")
    for c in ("snapshot", "category", "models", "file", "imported"):
        table.add_column(c, overflow="fold")
    for s in found:
        table.add_row(
            s.label,
            s.category,
            str(s.models),
            Path(s.source_file).name if s.source_file else "",
            s.imported_at.strftime("%Y-%m-%d %H:%M"),
        )
    console.print(table)


def board(
    snapshot: Annotated[
        str | None, typer.Option("--snapshot", help="NAME@DATE or NAME (its newest)")
    ] = None,
    arena_own: Annotated[bool, typer.Option("--arena", help="The arena's own board")] = False,
    category: CategoryOption = "full",
    countries: Annotated[
        str, typer.Option("--countries", help="Two ISO codes: FIRST,SECOND (default CN,US)")
    ] = "CN,US",
    by: Annotated[str, typer.Option("--by", help="developer or lineage")] = "developer",
    pool_variants: PoolVariants = False,
    history: Annotated[
        bool, typer.Option("--history", help="Every stored date of --snapshot NAME, oldest first")
    ] = False,
    source: ArenaSource = "human",
    arena_category: ArenaCategory = None,
    min_votes: MinVotes = 0,
    style_control: Style = False,
    config: ConfigOption = None,
    db: DatabaseOption = None,
    output: FormatOption = "table",
) -> None:
    """Who leads among open models: shares of the top 10/20, best open model per country,
    how many of the first country's open models rate above the second's best."""
    from modelarena.landscape.board import open_board, parse_by
    from modelarena.landscape.inputs import ARENA, pick_board

    _check_format(output)
    if snapshot and arena_own:
        fail("--snapshot and --arena exclude each other; choose one board")
    pair = tuple(c.strip().upper() for c in countries.split(",") if c.strip())
    if len(pair) != 2 or not all(len(c) == 2 and c.isalpha() for c in pair):
        fail(f"--countries {countries!r}: give two ISO codes, e.g. CN,US")
    if history:
        if not snapshot or "@" in snapshot or arena_own:
            fail("--history needs --snapshot NAME (a board's name without a date), e.g. lmarena")
        _history(snapshot, category, (pair[0], pair[1]), by, pool_variants, config, db, output)
        return
    with _errors():
        attribution = parse_by(by)
        filters = _arena_filters(source, arena_category, min_votes, style_control)
        arena = load_arena(config, db)
        chosen = pick_board(arena, ARENA if arena_own else snapshot, category, filters)
        result = open_board(
            chosen.label,
            chosen.models,
            arena.catalog,
            countries=(pair[0], pair[1]),
            by=attribution,
            method=chosen.method,
            pool_variants=pool_variants,
        )
    d = result.to_dict()
    first, second = result.countries
    summary = (
        f"{result.above_best} open models from {first} ({result.above_best_labs} labs) rate above "
        f"the best open model from {second}; {result.above_best_separated} with intervals "
        "entirely above it"
        if result.above_best is not None
        else f"no open model from {second} on this board"
    )
    shares = ", ".join(f"{c} {k}" for c, k in result.share_top10["counts"].items())
    caption = (
        f"{summary}. Top {result.share_top10['of']} open: {shares}. Country by {result.by}. "
        f"Rank range: best to worst place among open models from the 95% intervals. "
        f"{len(result.unresolved)} names not in the catalog (country unknown). {result.method}."
    )
    columns = (
        "rank",
        "rank_upper",
        "rank_lower",
        "rank_overall",
        "model",
        "lab",
        "country",
        "rating",
        "rating_lower",
        "rating_upper",
    )
    people = [
        {
            "rank": r["rank"],
            "range": f"{r['rank_upper']}-{r['rank_lower']}",
            "model": r["model"],
            "lab": r["lab"] or "?",
            "country": r["country"],
            "rating (95% CI)": f"{r['rating']:.0f}"
            + (
                f" ({r['rating_lower']:.0f}-{r['rating_upper']:.0f})"
                if r["rating_lower"] is not None and r["rating_upper"] is not None
                else ""
            ),
            "overall": r["rank_overall"],
        }
        for r in result.open_models
    ]
    _emit(
        output,
        d,
        result.open_models,
        columns,
        title=f"Open models on {result.source}",
        caption=caption,
        shown=(people, list(people[0]) if people else []),
    )


def _history(
    name: str,
    category: str,
    countries: tuple[str, str],
    by: str,
    pool_variants: bool,
    config: str | None,
    db: str | None,
    output: str,
) -> None:
    """The board's figures on every stored date of one published board, oldest first."""
    from modelarena.landscape.board import open_board, parse_by
    from modelarena.landscape.inputs import snapshot_board
    from modelarena.landscape.snapshots import LandscapeError

    first, second = countries
    boards, rows = [], []
    with _errors():
        attribution = parse_by(by)
        arena = load_arena(config, db)
        dates = [s for s in arena.store.landscape.snapshots(name) if s.category == category]
        if not dates:
            raise LandscapeError(
                f"no stored board {name!r} with category {category!r}; import one with "
                "`arena landscape import FILE --name NAME --date YYYY-MM-DD`"
            )
        for info in reversed(dates):
            b = snapshot_board(arena.store, info.label, category)
            try:
                result = open_board(
                    b.label,
                    b.models,
                    arena.catalog,
                    countries=countries,
                    by=attribution,
                    method=b.method,
                    pool_variants=pool_variants,
                )
            except LandscapeError as exc:  # a date without open models is a row that says so
                rows.append({"date": info.snapshot_date.isoformat(), "note": str(exc)})
                continue
            boards.append(result.to_dict() | {"date": info.snapshot_date.isoformat()})
            best_a = result.best_open.get(first, {})
            best_b = result.best_open.get(second, {})
            rows.append(
                {
                    "date": info.snapshot_date.isoformat(),
                    "open_models": len(result.open_models),
                    f"best_{first}": best_a.get("model"),
                    f"best_{first}_rank": best_a.get("rank"),
                    f"best_{second}": best_b.get("model"),
                    f"best_{second}_rank": best_b.get("rank"),
                    "above_best": result.above_best,
                    "above_best_labs": result.above_best_labs,
                    "above_best_separated": result.above_best_separated,
                    f"top10_{first}": result.share_top10["counts"].get(first, 0),
                    f"top10_{second}": result.share_top10["counts"].get(second, 0),
                }
            )
    keys = list(dict.fromkeys(k for row in rows for k in row))
    columns = [k for k in keys if k != "note"] + (["note"] if "note" in keys else [])
    _emit(
        output,
        {"name": name, "category": category, "boards": boards},
        rows,
        columns,
        title=f"{name} ({category}) over time, {first} against {second}",
        caption=f"One row per stored date; country by {attribution}. Figures as in "
        "`arena landscape board`.",
    )


def agree(
    a: Annotated[str, typer.Argument(help="A board: NAME@DATE, NAME or arena")],
    b: Annotated[str, typer.Argument(help="Another board")],
    category: CategoryOption = "full",
    source: ArenaSource = "human",
    arena_category: ArenaCategory = None,
    resamples: Annotated[int, typer.Option("--resamples", min=100)] = 1000,
    config: ConfigOption = None,
    db: DatabaseOption = None,
    output: FormatOption = "table",
) -> None:
    """Rank agreement of two boards on their shared models (Spearman, Kendall, bootstrap CI)."""
    from modelarena.landscape.board import rank_agreement
    from modelarena.landscape.inputs import pick_board

    _check_format(output)
    with _errors():
        filters = _arena_filters(source, arena_category, 0, False)
        arena = load_arena(config, db)
        ba = pick_board(arena, a, category, filters)
        bb = pick_board(arena, b, category, filters)
        result = rank_agreement(
            ba.label, ba.models, bb.label, bb.models, arena.catalog, resamples=resamples
        )
    row = {
        "shared": result.shared,
        "spearman": result.spearman,
        "spearman_95ci": f"{result.spearman_ci[0]} to {result.spearman_ci[1]}",
        "kendall": result.kendall,
        "kendall_95ci": f"{result.kendall_ci[0]} to {result.kendall_ci[1]}",
    }
    _emit(
        output,
        result.to_dict(),
        [row],
        list(row),
        title=f"{result.board_a} vs {result.board_b}",
        caption=result.method,
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
    source: ArenaSource = "human",
    config: ConfigOption = None,
    db: DatabaseOption = None,
    output: FormatOption = "table",
) -> None:
    """The capability gap in months (Epoch's method) with a bootstrap interval."""
    from modelarena.landscape.gap import capability_gap, read_dated_scores
    from modelarena.landscape.inputs import arena_dated_scores

    _check_format(output)
    if (file is None) == (not arena_own):
        fail("give a file of dated scores (e.g. an Epoch ECI export) or --arena, not both")
    try:
        first = date.fromisoformat(start)
        last = date.fromisoformat(end) if end else None
    except ValueError:
        fail("--start and --end are dates: YYYY-MM-DD")
    lead, lag = ("closed", "open") if open_vs_closed else (leading.upper(), lagging.upper())
    with _errors():
        if file is not None:
            scores = read_dated_scores(file)
        else:
            arena = load_arena(config, db)
            scores = arena_dated_scores(arena, _arena_filters(source, None, 0, False))
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
    _emit(
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
    from modelarena.landscape.cost import PriceTable, cost_report
    from modelarena.landscape.inputs import ARENA, logged_usage, pick_board

    _check_format(output)
    hosting = _hosting(gpu_hour, tokens_per_s, self_hosted)
    with _errors():
        arena = load_arena(config, db)
        chosen = pick_board(
            arena, snapshot or ARENA, category, _arena_filters(source, None, 0, False)
        )
        named = logged_usage(arena, chosen)
        result = cost_report(
            chosen.models,
            arena.catalog,
            named,
            table=PriceTable.vendored(),
            anchor=anchor,
            hosting=hosting,
        )
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
    _emit(
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
    with _errors(), Progress(transient=True, console=console) as progress:
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
    group.command("import")(import_board)
    group.command("snapshots")(snapshots)
    group.command("board")(board)
    group.command("agree")(agree)
    group.command("gap")(gap)
    group.command("cost")(cost)
    group.command("report")(report)
