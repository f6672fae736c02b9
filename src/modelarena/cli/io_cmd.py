"""``arena import`` and ``arena export``: vote logs in and out (JSON, JSONL, CSV, Parquet)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from modelarena.cli.common import (
    ConfigOption,
    DatabaseOption,
    console,
    err_console,
    fail,
    load_arena,
    user_errors,
)

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID

    from modelarena.io import ImportReport

FormatOption = Annotated[
    str,
    typer.Option(
        "--format", "-f", help="auto (by extension, then content), json, jsonl, csv or parquet."
    ),
]


def register(app: typer.Typer) -> None:
    app.command("import")(import_cmd)
    app.command("export")(export_cmd)


def import_cmd(
    file: Annotated[Path, typer.Argument(help="A vote log: .json, .jsonl, .csv or .parquet.")],
    fmt: FormatOption = "auto",
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Check every row and report; write nothing.")
    ] = False,
    category_default: Annotated[
        str, typer.Option("--category-default", help="Category for rows without one of ours.")
    ] = "chat",
    on_conflict: Annotated[
        str,
        typer.Option(
            "--on-conflict",
            help="When an id comes back with another verdict: refuse (import nothing, list "
            "the rows) or skip (keep the first verdict, import the rest, list the rows).",
        ),
    ] = "refuse",
    config: ConfigOption = None,
    db: DatabaseOption = None,
) -> None:
    """Import votes from a published arena log (or an `arena export` file): all or nothing.

    Rows already imported (same id) are skipped, so importing a file twice adds nothing."""
    from modelarena.io import VoteLogError, import_file

    with user_errors():
        arena = load_arena(config, db)
        try:
            with _progress() as bar:
                task: list[TaskID] = []

                def start(phase: str, total: int | None) -> None:
                    if task:
                        bar.update(task[0], visible=False)
                    task[:] = [bar.add_task(f"{phase} {file.name}", total=total)]

                report = import_file(
                    file,
                    catalog=arena.catalog,
                    store=arena.store,
                    fmt=fmt,
                    category_default=category_default,
                    dry_run=dry_run,
                    on_conflict=on_conflict,
                    on_start=start,
                    on_advance=lambda n: bar.advance(task[0], n),
                )
        except VoteLogError as exc:
            fail(f"{exc}\nnothing was imported")
        finally:
            arena.store.close()
    _print_report(report)


def export_cmd(
    file: Annotated[Path, typer.Argument(help="Where to write: .json, .jsonl, .csv or .parquet.")],
    fmt: FormatOption = "auto",
    counted_only: Annotated[
        bool, typer.Option("--counted-only", help="Only votes that count for the ratings.")
    ] = False,
    config: ConfigOption = None,
    db: DatabaseOption = None,
) -> None:
    """Export the stored votes, one row per vote (`arena import` reads the file back)."""
    import time

    from modelarena.io import VoteLogError, export_file

    began = time.perf_counter()
    with user_errors():
        arena = load_arena(config, db)
        try:
            with _progress() as bar:
                task = bar.add_task(f"writing {file.name}", total=None)
                n = export_file(
                    arena.store,
                    file,
                    fmt=fmt,
                    counted_only=counted_only,
                    on_advance=lambda k: bar.advance(task, k),
                )
        except VoteLogError as exc:
            fail(str(exc))
        finally:
            arena.store.close()
    console.print(
        f"exported {n:,} votes to {file} in {time.perf_counter() - began:.1f}s",
        highlight=False,
        soft_wrap=True,
    )


@contextlib.contextmanager
def _progress() -> Iterator[Progress]:
    """A progress bar on stderr, drawn only on a terminal (no escape codes in logs)."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
        disable=not err_console.is_terminal,
    ) as bar:
        yield bar


def _print_report(r: ImportReport) -> None:
    from modelarena.io.importer import SKIP_REASONS

    verb = "would import" if r.dry_run else "imported"
    console.print(
        f"{verb} {r.imported:,} of {r.rows:,} rows from {r.path} ({r.format.value}) "
        f"in {r.seconds:.1f}s",
        highlight=False,
        soft_wrap=True,
    )
    console.print(f"  counted: {r.counted:,}", highlight=False, soft_wrap=True)
    console.print(
        f"  not counted (not anonymous, reason imported_non_anonymous): {r.not_counted:,}",
        highlight=False,
        soft_wrap=True,
    )
    for code, n in sorted(r.skipped.items()):
        console.print(
            f"  skipped, {SKIP_REASONS.get(code, code)}: {n:,}",
            highlight=False,
            soft_wrap=True,
            markup=False,
        )
    for conflict in r.conflicts:
        console.print(f"    {conflict}", highlight=False, soft_wrap=True, markup=False)
    if r.skipped["conflict"] > len(r.conflicts):
        console.print(
            f"    ... and {r.skipped['conflict'] - len(r.conflicts):,} more",
            highlight=False,
            soft_wrap=True,
        )
    if r.unknown_models:
        console.print(
            f"  model names not in the catalog ({len(r.unknown_models)}; kept as they are, "
            "add an alias or a [[catalog]] entry to map them):",
            highlight=False,
            soft_wrap=True,
            markup=False,
        )
        for name, n in r.unknown_models.most_common():
            console.print(f"    {name}: {n:,} battles", highlight=False, soft_wrap=True)
    else:
        console.print("  every model name is in the catalog", highlight=False, soft_wrap=True)
    if r.dry_run:
        console.print("dry run: nothing was written", highlight=False, soft_wrap=True)
