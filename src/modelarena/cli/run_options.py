"""What the commands that run models share (``arena judge run``, ``arena judge battles``,
``arena audit run``, ``arena audit validate-judge``): their options for the run machinery
(concurrency per endpoint, budget, retries, resume, the cache folder), comma-separated lists,
and the progress bar with its running token and dollar count."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal, TypeVar

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


LOG_EVERY_S = 30.0  # a progress line this often when no bar is drawn (a log file, CI)

# "bar": bars drawn (a terminal, or --progress); "log": a line on stderr now and then (no
# terminal: a long run in a log file is not silent); "off": nothing (--no-progress, --json)
ProgressMode = Literal["bar", "log", "off"]


def progress_mode(progress: bool | None, as_json: bool = False) -> ProgressMode:
    """How to show a long run's progress: as asked, else bars on a terminal and lines in
    a log; never under ``--json`` (its output is read by a program)."""
    if as_json or progress is False:
        return "off"
    if progress or console.is_terminal:
        return "bar"
    return "log"


def run_progress(mode: ProgressMode, *, remaining: bool = False) -> Progress:
    """A bar per task with its count and time (and the time left with ``remaining``), and an
    ``extra`` field for the running token and dollar count; in ``log`` mode no bar, a line
    on stderr every :data:`LOG_EVERY_S` seconds and when a task completes."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        ProgressColumn,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    if mode == "log":
        return _logged_progress()
    columns: list[ProgressColumn] = [
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    ]
    if remaining:
        columns.append(TimeRemainingColumn())
    columns.append(TextColumn("{task.fields[extra]}"))
    return Progress(*columns, console=console, disable=mode == "off", transient=False)


def _logged_progress() -> Progress:
    """A disabled :class:`rich.progress.Progress` (it keeps its tasks' counts) that writes
    where each task is to stderr, at most every :data:`LOG_EVERY_S` seconds, and once when
    it completes."""
    import time

    from rich.progress import Progress

    from modelarena.cli.common import err_console

    class Logged(Progress):
        def __init__(self) -> None:
            super().__init__(disable=True)
            self._said = time.monotonic()
            self._completed: set[Any] = set()

        def advance(self, task_id: Any, advance: float = 1) -> None:
            super().advance(task_id, advance)
            self._say(task_id)

        def update(self, task_id: Any, **changes: Any) -> None:
            super().update(task_id, **changes)
            if "advance" in changes or "completed" in changes:
                self._say(task_id)

        def _say(self, task_id: Any) -> None:
            task = self._tasks[task_id]
            done = task.total is not None and task.completed >= task.total
            if done and task_id in self._completed:
                return
            if not done and time.monotonic() - self._said < LOG_EVERY_S:
                return
            self._said = time.monotonic()
            if done:
                self._completed.add(task_id)
            total = f"/{int(task.total):,}" if task.total is not None else ""
            share = f" ({task.percentage:.0f}%)" if task.total else ""
            elapsed = task.elapsed or 0.0
            left = task.time_remaining
            eta = f", about {left:.0f} s left" if left is not None and not done else ""
            extra = task.fields.get("extra") or ""
            err_console.print(
                f"{task.description}: {int(task.completed):,}{total}{share} after "
                f"{elapsed:.0f} s{eta}{'  ' + extra if extra else ''}",
                markup=False,
                highlight=False,
            )

    return Logged()


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
