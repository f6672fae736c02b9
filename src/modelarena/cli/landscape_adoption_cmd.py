"""``arena landscape adoption | hub-fetch | families``: who is downloaded and built on, from
a Hub metadata snapshot, the live Hub, or daily download series (docs/landscape.md)."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from modelarena.cli.common import console, fail, note
from modelarena.cli.landscape_common import FormatOption, check_format

if TYPE_CHECKING:
    from modelarena.landscape.adoption_model import AdoptionReport
    from modelarena.landscape.hub_families import FamilyReport

Bootstrap = Annotated[int, typer.Option(help="Bootstrap replicates (0: no intervals)")]
CSV_COLUMNS = (
    "figure",
    "panel",
    "attribution",
    "label",
    "region",
    "models",
    "value",
    "share",
    "ci_lower",
    "ci_upper",
    "unit",
    "window",
    "filters",
    "scope",
)


def _date(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        fail(f"{option} {value!r} is not a date: write it as YYYY-MM-DD")


def _pct(value: float | None) -> str:
    return "-" if value is None or value != value else f"{100 * value:.1f}%"


def _interval(lo: float | None, hi: float | None) -> str:
    return "-" if lo is None or hi is None else f"{100 * lo:.1f} to {100 * hi:.1f}%"


def _adoption_rows(report: AdoptionReport) -> list[dict[str, Any]]:
    rows = []
    for f in report.figures:
        for s in f.rows:
            rows.append(
                {
                    "figure": f.name,
                    "panel": f.panel,
                    "attribution": f.attribution,
                    "label": s.label,
                    "region": s.region or "",
                    "models": s.models,
                    "value": round(s.value, 4),
                    "share": None if s.share != s.share else round(s.share, 6),
                    "ci_lower": None if s.lower is None else round(s.lower, 6),
                    "ci_upper": None if s.upper is None else round(s.upper, 6),
                    "unit": f.unit,
                    "window": report.window,
                    "filters": report.filters,
                    "scope": report.scope,
                }
            )
    return rows


def _print_adoption(report: AdoptionReport, fmt: str, months: bool) -> None:
    if fmt == "json":
        typer.echo(json.dumps(report.to_dict(), indent=2))
        return
    if fmt == "csv":
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=CSV_COLUMNS)
        writer.writeheader()
        writer.writerows(_adoption_rows(report))
        typer.echo(buf.getvalue(), nl=False)
        return
    lin = report.lineage
    head = [
        report.label(),
        f"window: {report.window}",
        f"filters: {report.filters}",
        f"lineage: {lin.with_parents:,} of {lin.models:,} models name a base model "
        f"({', '.join(f'{k} {v:,}' for k, v in lin.sources.items()) or 'none'}); "
        f"{lin.roots_outside:,} parents are not in the snapshot and count as roots "
        f"({100 * lin.credit_outside:.1f}% of the derivatives' credit)",
    ]
    figures = [f for f in report.figures if f.name != "monthly"]
    monthly = _monthly_grid(report) if months else []
    if fmt == "markdown":
        lines = [f"_{h}_  " for h in head]
        for f in figures:
            title = f.title
            lines += [
                "",
                f"### {title}",
                "",
                f"Attribution: {f.attribution}; n = {f.n_models:,} models, "
                f"{f.total:,.0f} {f.unit}.",
                "",
                "| | Share | 95% CI | Models | " + f.unit.capitalize() + " |",
                "|---|---|---|---|---|",
            ]
            for s in f.rows:
                label = s.label + (f" ({s.region})" if s.region else "")
                lines.append(
                    f"| {label} | {_pct(s.share)} | {_interval(s.lower, s.upper)} | "
                    f"{s.models:,} | {s.value:,.0f} |"
                )
        for kind, grid in monthly:
            lines += [
                "",
                f"### New derivatives ({kind}) per month, share by root base-model region",
            ]
            lines += ["", "| Month | n | " + " | ".join(REGION_COLUMNS) + " |"]
            lines.append("|---|---|" + "---|" * len(REGION_COLUMNS))
            lines += ["| " + " | ".join(row) + " |" for row in grid]
        typer.echo("\n".join(lines))
        return
    for h in head:
        console.print(h, highlight=False, style="bold" if h is head[0] else None)
    for f in figures:
        table = Table(
            title=f"{f.title}\n[dim]{f.attribution}; n = {f.n_models:,} models, "
            f"{f.total:,.0f} {f.unit}[/]"
        )
        for col in ("", "share", "95% CI", "models", f.unit):
            table.add_column(col, justify="left" if not col else "right")
        for s in f.rows:
            label = s.label + (f" [dim]({s.region})[/]" if s.region else "")
            table.add_row(
                label,
                _pct(s.share),
                _interval(s.lower, s.upper),
                f"{s.models:,}",
                f"{s.value:,.0f}",
            )
        console.print(table)
    for kind, grid in monthly:
        table = Table(
            title=f"New derivatives ({kind}) per month\n[dim]share by root base-model region, "
            "% and 95% CI[/]"
        )
        for col in ("month", "n", *REGION_COLUMNS):
            table.add_column(col, justify="left" if col == "month" else "right")
        for row in grid:
            table.add_row(*row)
        console.print(table)


REGION_COLUMNS = ("china", "us", "eu", "other", "unknown")


def _compact(share: float, lo: float | None, hi: float | None) -> str:
    """``36% 34-38``: a share and its 95% interval in percent, narrow enough for a grid."""
    if share != share:
        return "-"
    if lo is None or hi is None:
        return f"{100 * share:.0f}%"
    return f"{100 * share:.0f}% {100 * lo:.0f}-{100 * hi:.0f}"


def _monthly_grid(report: AdoptionReport) -> list[tuple[str, list[list[str]]]]:
    """One grid per derivative kind: a row per month, a share (95% CI) per region."""
    grids: dict[str, list[list[str]]] = {}
    for f in report.figures:
        if f.name != "monthly":
            continue
        month, kind = f.panel.split(" ", 1)
        by = {s.label: s for s in f.rows}
        row = [month, f"{f.total:,.1f}".removesuffix(".0")]
        for region in REGION_COLUMNS:
            s = by.get(region)
            row.append("-" if s is None else _compact(s.share, s.lower, s.upper))
        grids.setdefault(kind, []).append(row)
    return list(grids.items())


def adoption(
    snapshot: Annotated[Path, typer.Argument(help="Hub metadata snapshot (.parquet or .jsonl)")],
    since: Annotated[
        str | None, typer.Option(help="Models created on or after (YYYY-MM-DD)")
    ] = None,
    until: Annotated[str | None, typer.Option(help="Models created before (YYYY-MM-DD)")] = None,
    downloads: Annotated[
        str,
        typer.Option(
            help="Counter: recent (30 days before the snapshot), all-time, or between "
            "(--baseline to this snapshot)"
        ),
    ] = "recent",
    baseline: Annotated[
        Path | None,
        typer.Option(help="An earlier snapshot: downloads between the two (--downloads between)"),
    ] = None,
    pipeline_tag: Annotated[
        list[str] | None, typer.Option("--pipeline-tag", help="Keep these pipeline tags")
    ] = None,
    min_downloads: Annotated[int, typer.Option(help="Drop models below this many")] = 0,
    gguf: Annotated[str, typer.Option(help="GGUF repos: include, exclude or only")] = "include",
    orgs: Annotated[
        Path | None, typer.Option(help="hf_org,region CSV that adds to or overrides the map")
    ] = None,
    full_snapshot: Annotated[
        bool,
        typer.Option(
            "--full-snapshot", help="The snapshot is the whole Hub (default: treated as a sample)"
        ),
    ] = False,
    bootstrap: Bootstrap = 200,
    seed: Annotated[int, typer.Option(help="Bootstrap seed")] = 0,
    top: Annotated[int, typer.Option(help="Organisations listed by name")] = 15,
    months: Annotated[bool, typer.Option("--months/--no-months", help="Monthly figures")] = True,
    fmt: FormatOption = "table",
) -> None:
    """Download share by developer region, uploader and lineage; new derivatives by base-model
    region (fine-tunes and adapters apart from quantisations; merges split between parents)."""
    check_format(fmt)
    from modelarena.landscape.adoption import adoption_figures
    from modelarena.landscape.adoption_model import AdoptionError, AdoptionFilters
    from modelarena.landscape.hub import HubFetchError, read_state
    from modelarena.landscape.hub_snapshot import SnapshotError
    from modelarena.landscape.orgs import OrgMapError, default_org_map

    if baseline is not None and downloads == "recent":
        downloads = "between"  # a baseline asks for the downloads between the two snapshots
    try:
        filters = AdoptionFilters(
            since=_date(since, "--since"),
            until=_date(until, "--until"),
            pipeline_tags=tuple(pipeline_tag or ()),
            min_downloads=min_downloads,
            gguf=gguf,
            counter=downloads,
        )
        scope = "full" if full_snapshot else "sample"
        state = read_state(snapshot) if snapshot.suffix != ".parquet" else None
        if state is not None and state.complete and not full_snapshot:
            scope = "full"
            note(f"{snapshot} is a complete listing of {state.endpoint}: read as the full Hub")
        with console.status("computing adoption figures", spinner="dots"):
            report = adoption_figures(
                snapshot,
                baseline=baseline,
                filters=filters,
                scope=scope,
                org_map=default_org_map(orgs),
                reps=max(0, bootstrap),
                seed=seed,
                top=top,
                monthly=months,
            )
    except (AdoptionError, SnapshotError, OrgMapError, HubFetchError) as exc:
        fail(str(exc))
    _print_adoption(report, fmt, months)


def hub_fetch(
    out: Annotated[Path, typer.Option("--out", help="Snapshot to write (.jsonl)")],
    endpoint: Annotated[
        str, typer.Option(help="Hub endpoint (a mirror or a local server)")
    ] = "https://huggingface.co",
    limit: Annotated[int | None, typer.Option(help="Stop after this many models")] = None,
    resume: Annotated[bool, typer.Option("--resume", help="Continue an interrupted fetch")] = False,
    parents: Annotated[
        bool, typer.Option("--parents/--no-parents", help="Fetch parents missing from the listing")
    ] = True,
    page_size: Annotated[int, typer.Option(help="Models per page")] = 1000,
    min_interval: Annotated[float, typer.Option(help="Seconds between requests")] = 0.3,
    search: Annotated[str | None, typer.Option(help="Only models matching this search")] = None,
    token: Annotated[
        str | None, typer.Option(envvar="HF_TOKEN", help="Hub token (default: $HF_TOKEN)")
    ] = None,
) -> None:
    """Fetch a Hub metadata snapshot with huggingface_hub: paged, resumable, polite to rate
    limits (429 Retry-After)."""
    from modelarena.landscape.hub import HubFetcher, HubFetchError

    if out.suffix.lower() not in (".jsonl", ".ndjson"):
        fail(f"--out {out}: the snapshot is written as JSON Lines; name it .jsonl")
    if limit is not None and limit < 1:
        fail("--limit must be at least 1")
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    try:
        fetcher = HubFetcher(
            endpoint, token=token, page_size=page_size, min_interval=min_interval, search=search
        )
        with Progress(
            SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=console
        ) as progress:
            task = progress.add_task("listing models", total=None)

            def show(state: Any) -> None:
                progress.update(
                    task,
                    description=f"{state.rows:,} models, {state.pages:,} pages, "
                    f"{state.parents_fetched:,} parents, {state.waits} waits",
                )

            state = fetcher.fetch(
                out, limit=limit, resume=resume, parents=parents, on_progress=show
            )
    except HubFetchError as exc:
        fail(str(exc))
    except KeyboardInterrupt:
        fail(f"interrupted: continue with arena landscape hub-fetch --out {out} --resume", 130)
    kind = "the whole listing" if state.complete else "a sample (limited or filtered)"
    console.print(
        f"{out}: {state.rows:,} models ({kind}), {state.parents_fetched:,} parents fetched, "
        f"{len(state.parents_missing):,} not found; waited {state.waits} times "
        f"({state.waited_seconds:.0f} s)",
        highlight=False,
    )


def _family_rows(report: FamilyReport) -> list[dict[str, Any]]:
    rows = []
    for m in report.months:
        for fam in report.families:
            top = m.top.get(fam)
            rows.append(
                {
                    "month": m.month,
                    "days": m.days,
                    "family": fam,
                    "value": round(m.value[fam], 1),
                    "unit": report.unit,
                    "models": m.models[fam],
                    "share": m.share[fam],
                    "ci_lower": m.lower[fam],
                    "ci_upper": m.upper[fam],
                    "top_model": top[0] if top else "",
                    "top_model_value": round(top[1], 1) if top else 0,
                }
            )
    return rows


def families(
    folder: Annotated[
        Path, typer.Argument(help="Folder of download/<Org>.csv (or finetune/<Org>.csv) series")
    ],
    family: Annotated[
        list[str] | None,
        typer.Option("--family", help="NAME=REGEX on the model id (default Qwen and Llama)"),
    ] = None,
    since: Annotated[str | None, typer.Option(help="From this day (YYYY-MM-DD)")] = None,
    until: Annotated[str | None, typer.Option(help="Before this day (YYYY-MM-DD)")] = None,
    finetunes: Annotated[
        bool,
        typer.Option(
            "--finetunes", help="New fine-tunes per base-model family (finetune/<Org>.csv)"
        ),
    ] = False,
    bootstrap: Bootstrap = 200,
    fmt: FormatOption = "table",
) -> None:
    """Family trajectories (Qwen vs Llama) from daily download series: monthly downloads, the
    share among the families with a bootstrap interval over models, and the crossover;
    --finetunes: new fine-tunes built on each family per month."""
    check_format(fmt)
    from modelarena.landscape.hub_families import (
        FamilyError,
        family_trajectories,
        finetune_trajectories,
        parse_family,
    )

    compute = finetune_trajectories if finetunes else family_trajectories
    try:
        fams = dict(parse_family(f) for f in family) if family else None
        report = compute(
            folder,
            fams,
            since=_date(since, "--since"),
            until=_date(until, "--until"),
            reps=max(0, bootstrap),
        )
    except FamilyError as exc:
        fail(str(exc))
    rows = _family_rows(report)
    if fmt == "json":
        from dataclasses import asdict

        typer.echo(json.dumps({**asdict(report), "label": report.label(), "rows": rows}, indent=2))
        return
    if fmt == "csv":
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=list(rows[0]) if rows else ["month"])
        writer.writeheader()
        writer.writerows(rows)
        typer.echo(buf.getvalue(), nl=False)
        return
    names = list(report.families)
    head = (
        f"{report.label()}\n{report.unit}, series {report.first_day} to {report.last_day}; "
        "families: "
        + "; ".join(f"{n} = {rx} ({report.models[n]} models)" for n, rx in report.families.items())
        + (f"; {names[1]} passes {names[0]} from {report.crossover}" if report.crossover else "")
    )
    if fmt == "markdown":
        lines = [f"_{line}_  " for line in head.splitlines()]
        lines += [
            "",
            "| Month | " + " | ".join(f"{n} {report.unit} | {n} share (95% CI)" for n in names),
        ]
        lines[-1] += " |"
        lines.append("|---|" + "---|---|" * len(names))
        for m in report.months:
            cells = [
                f"{m.value[n]:,.0f} | {_pct(m.share[n])} ({_interval(m.lower[n], m.upper[n])})"
                for n in names
            ]
            when = f"{m.month} ({m.days} d)" if m.days else m.month
            lines.append(f"| {when} | " + " | ".join(cells) + " |")
        typer.echo("\n".join(lines))
        return
    console.print(head, highlight=False)
    scale, suffix = (1e6, " M") if report.unit == "downloads" else (1.0, "")
    table = Table(
        caption=f"{report.unit}{' in millions' if suffix else ''}; share among the "
        "families, % and 95% CI"
    )
    table.add_column("month")
    for n in names:
        table.add_column(f"{n}{suffix}", justify="right")
        table.add_column(f"{n} share", justify="right")
        table.add_column(f"{n} models", justify="right")
    for m in report.months:
        cells = []
        for n in names:
            share = m.share[n]
            cells += [
                f"{m.value[n] / scale:,.1f}" if suffix else f"{m.value[n]:,.0f}",
                "-" if share is None else _compact(share, m.lower[n], m.upper[n]),
                str(m.models[n]),
            ]
        table.add_row(f"{m.month} ({m.days} d)" if m.days else m.month, *cells)
    console.print(table)


def register(group: typer.Typer) -> None:
    group.command("adoption")(adoption)
    group.command("hub-fetch")(hub_fetch)
    group.command("families")(families)
