"""What the commands that run models share (``arena judge run``, ``arena judge battles``,
``arena audit run``, ``arena audit validate-judge``): their options for the run machinery
(concurrency per endpoint, budget, retries, resume, the cache folder), comma-separated lists,
and the progress bar with its running token and dollar count."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from modelarena.cli.common import console

if TYPE_CHECKING:
    from rich.progress import Progress

T = TypeVar("T")


def split_list(value: str | None) -> list[str]:
    """The items of a comma-separated option, blanks dropped."""
    return [v.strip() for v in (value or "").split(",") if v.strip()]


def work_folder(value: Path) -> Path:
    """``--work-dir``'s check: a folder, or nothing yet."""
    if value.exists() and not value.is_dir():
        raise typer.BadParameter(f"{value} is a file; the work directory must be a folder")
    return value


ModelsOption = Annotated[
    str | None,
    typer.Option("--models", help="Comma-separated model ids. Default: every configured model."),
]
ConcurrencyOption = Annotated[
    int,
    typer.Option(
        "--concurrency", min=1, help="Requests at once per endpoint (server URL or model file)."
    ),
]
BudgetOption = Annotated[
    float | None,
    typer.Option("--budget", min=0.0, help="Stop cleanly before this run spends more (USD)."),
]
ResumeOption = Annotated[
    bool,
    typer.Option(
        "--resume/--no-resume", help="Reuse the answers and judgments already in the run's cache."
    ),
]
JudgeMaxTokensOption = Annotated[int | None, typer.Option("--judge-max-tokens", min=1)]
RetriesOption = Annotated[int, typer.Option("--retries", min=0)]
ProgressOption = Annotated[bool | None, typer.Option("--progress/--no-progress")]
WorkDirOption = Annotated[
    Path,
    typer.Option("--work-dir", help="Where run caches (JSONL) are kept.", callback=work_folder),
]


def show_progress(progress: bool | None, as_json: bool = False) -> bool:
    """Whether to draw the bars: as asked, else on a terminal; never under ``--json``."""
    show = console.is_terminal if progress is None else progress
    return show and not as_json


def run_progress(enabled: bool, *, remaining: bool = False) -> Progress:
    """A bar per task with its count and time (and the time left with ``remaining``), and an
    ``extra`` field for the running token and dollar count."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        ProgressColumn,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    columns: list[ProgressColumn] = [
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    ]
    if remaining:
        columns.append(TimeRemainingColumn())
    columns.append(TextColumn("{task.fields[extra]}"))
    return Progress(*columns, console=console, disable=not enabled, transient=False)


def run_closing(arena: Any, work: Callable[[], Awaitable[T]], bars: Progress | None = None) -> T:
    """``work`` run to its end (under ``bars`` when given), the arena's backends closed
    after, whatever happens: the CLI's one ``asyncio.run`` of a run."""

    async def go() -> T:
        try:
            with bars if bars is not None else contextlib.nullcontext():
                return await work()
        finally:
            await arena.aclose()

    return asyncio.run(go())
