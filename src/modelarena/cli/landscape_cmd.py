"""``arena landscape``: who leads among open models, the gap in months, adoption and cost,
recomputed from data (docs/landscape.md).

The commands live in their own modules and register on this group."""

from __future__ import annotations

import typer

landscape_app = typer.Typer(
    help="Who leads among open models, by how many months, who is adopted, at what cost "
    "(docs/landscape.md).",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    from modelarena.cli import landscape_adoption_cmd, landscape_board_cmd, landscape_names_cmd

    landscape_board_cmd.register(landscape_app)
    landscape_adoption_cmd.register(landscape_app)
    landscape_names_cmd.register(landscape_app)
    app.add_typer(landscape_app, name="landscape")
