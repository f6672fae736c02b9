"""The ``arena`` command. Each command group lives in its own module and registers here."""

from __future__ import annotations

import os

# Multi-threaded BLAS makes the small matrices of a fit slower, not faster (and fights the
# web server's threads): one thread each, unless the user says otherwise.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

from typing import Annotated  # noqa: E402

import typer  # noqa: E402

app = typer.Typer(
    name="arena",
    help="modelarena: blind pairwise battles between AI models, and an honest leaderboard.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import PackageNotFoundError, version

        try:
            typer.echo(f"modelarena {version('modelarena')}")
        except PackageNotFoundError:
            typer.echo("modelarena (not installed: no version metadata)")
        raise typer.Exit()


@app.callback()
def _main(
    show_version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit"
        ),
    ] = False,
) -> None:
    """modelarena: blind pairwise battles between AI models, and an honest leaderboard."""


def _register() -> None:
    # one line per command module; each defines register(app)
    from modelarena.cli import battle_cmd, db_cmd, leaderboard_cmd, models_cmd

    for module in (models_cmd, battle_cmd, leaderboard_cmd, db_cmd):
        module.register(app)
    from modelarena.cli import io_cmd

    io_cmd.register(app)
    from modelarena.cli import judge_cmd

    judge_cmd.register(app)
    from modelarena.cli import integrity_cmd

    integrity_cmd.register(app)
    from modelarena.cli import serve_cmd

    serve_cmd.register(app)
    from modelarena.cli import audit_cmd, landscape_cmd

    audit_cmd.register(app)
    landscape_cmd.register(app)
    from modelarena.cli import campaign_cmd

    campaign_cmd.register(app)
    from modelarena.cli import design_cmd

    design_cmd.register(app)


_register()


def main() -> None:
    app()
