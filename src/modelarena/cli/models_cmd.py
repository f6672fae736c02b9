"""``arena models``: what is configured, what the catalog knows."""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table

from modelarena.cli.common import (
    ConfigOption,
    DatabaseOption,
    console,
    fail,
    load_arena,
    note,
    print_notices,
    user_errors,
)

if TYPE_CHECKING:
    from modelarena.backends.check import CheckResult


def _yes_no(value: bool | None) -> str:
    return "?" if value is None else ("open" if value else "closed")


def models(
    config: ConfigOption = None,
    db: DatabaseOption = None,
    catalog: Annotated[bool, typer.Option("--catalog", help="List the whole catalog")] = False,
    open_only: Annotated[bool, typer.Option("--open", help="Only open-weight models")] = False,
    country: Annotated[str | None, typer.Option(help="Only this country (ISO code)")] = None,
    output: Annotated[str, typer.Option("--format", help="table or json")] = "table",
    check: Annotated[
        bool,
        typer.Option(
            "--check", help="Ask each configured model a one-line question; name what fails"
        ),
    ] = False,
) -> None:
    """List the configured contestants and whether they can run, or (--catalog) every model
    the catalog knows. --check asks each one a question: ok, or the cause and the fix."""
    if output not in ("table", "json"):
        fail(f"unknown format {output!r}; choose table or json")
    with user_errors():
        from modelarena.leaderboard import LeaderboardFilters

        # the leaderboard's rule for a country (a two-letter ISO code), not a second copy
        countries = LeaderboardFilters.parse({"country": country}).countries
        if (countries or open_only) and not catalog:
            fail("--open and --country filter the catalog: add --catalog")
        arena = load_arena(config, db)
        if catalog:
            entries = [
                e
                for e in arena.catalog
                if (not open_only or e.open_weights) and (not countries or e.country in countries)
            ]
            if output == "json":
                console.print_json(json.dumps([e.to_dict() for e in entries]))
                return
            table = Table(title=f"Catalog: {len(entries)} models", show_lines=False)
            for col in (
                "id",
                "name",
                "lab",
                "country",
                "weights",
                "licence",
                "params (B)",
                "released",
                "$/M in",
                "$/M out",
            ):
                table.add_column(col, overflow="fold")
            for e in sorted(entries, key=lambda e: (e.lab, e.id)):
                params = (
                    ""
                    if e.total_params_b is None
                    else (
                        f"{e.total_params_b:g}"
                        if e.active_params_b in (None, e.total_params_b)
                        else f"{e.total_params_b:g} ({e.active_params_b:g} active)"
                    )
                )
                table.add_row(
                    e.id,
                    e.display_name,
                    e.lab,
                    e.country,
                    _yes_no(e.open_weights),
                    f"{e.license} [dim]({e.license_class})[/]",
                    params,
                    e.release_date.isoformat() if e.release_date else "",
                    "" if e.price_input_per_m is None else f"{e.price_input_per_m:g}",
                    "" if e.price_output_per_m is None else f"{e.price_output_per_m:g}",
                )
            console.print(table)
            return
        print_notices(arena)
        configs = list(arena.contestants.values())
        from modelarena.backends.check import check_models

        results = asyncio.run(check_models(configs, send=check))
        failed = [r for r in results if not r.ok]
        infos = [arena.model_info(m) for m in arena.contestants]
        if output == "json":
            rows = [
                {**i.to_dict(), **_status(r, check)} for i, r in zip(infos, results, strict=True)
            ]
            print(json.dumps(rows, indent=2))  # plain: rich would wrap long strings
        else:
            _print_contestants(arena, infos, results, check)
        if not infos:
            note(
                "No models configured and the bundled model is not installed. Install it "
                "with: CMAKE_ARGS=\"-DGGML_NATIVE=OFF\" pip install 'modelarena[local]'"
            )
        if failed:
            summary = f"{len(failed)} of {len(results)} model(s) cannot " + (
                "answer" if check else "run"
            )
            if check:  # a check that finds a problem fails, for scripts
                fail(f"{summary} (see the table)")
            note(f"{summary}: see the status column")
        elif not check and results and output == "table":
            console.print(
                "[dim]Configuration looks right; `arena models --check` asks each model a "
                "one-line question to be sure.[/]"
            )


def _status(result: CheckResult, check: bool) -> dict[str, object]:
    p = result.problem
    return {
        "ok": result.ok,
        "checked": check,
        "seconds": round(result.seconds, 3),
        "reason": p.reason if p else None,
        "cause": p.cause if p else None,
        "fix": p.fix if p else None,
    }


def _print_contestants(arena, infos, results: list[CheckResult], check: bool) -> None:  # type: ignore[no-untyped-def]
    source = arena.settings.source_path or "no config file: the bundled local model"
    if check:
        table = Table(title=f"Model check ({escape(source)})")
        for col in ("model", "backend", "status", "cause", "fix"):
            table.add_column(col, overflow="fold")
        for result in results:
            p = result.problem
            table.add_row(
                escape(result.model),
                escape(result.backend),
                "[red]failed[/]" if p else f"[green]ok[/] {result.seconds:.1f}s",
                escape(p.cause) if p else "",
                escape(p.fix) if p else "",
            )
        console.print(table)
        return
    table = Table(title=f"Configured contestants ({escape(source)})")
    columns = ("id", "name", "backend", "lab", "country", "weights", "licence", "status", "notes")
    for col in columns:
        table.add_column(col, overflow="fold")
    for info, result in zip(infos, results, strict=True):
        cfg = info.config
        assert cfg is not None
        p = result.problem
        table.add_row(
            escape(info.id),
            escape(info.display_name),
            escape(cfg.backend) + (f" [dim]{escape(cfg.base_url)}[/]" if cfg.base_url else ""),
            escape(info.lab or "?"),
            info.country or "?",
            _yes_no(info.open_weights),
            escape(info.license or "?"),
            "[red]cannot run[/]" if p else "[green]ready[/]",
            f"{escape(p.cause)}\n[bold]fix:[/] {escape(p.fix)}"
            if p
            else escape(cfg.description or cfg.model or cfg.path or ""),
        )
    console.print(table)


def register(app: typer.Typer) -> None:
    app.command("models")(models)
