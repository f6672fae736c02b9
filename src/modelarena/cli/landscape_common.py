"""What the ``arena landscape`` commands share: the output formats, the one-line errors of
the landscape, and the options that select the arena's own board."""

from __future__ import annotations

import contextlib
import csv
import io
import json
from collections.abc import Iterator, Sequence
from typing import Annotated, Any

import typer
from rich.table import Table

from modelarena.cli.common import (
    console,
    fail,
    user_errors,
)

FORMATS = ("table", "json", "csv", "markdown")
FormatOption = Annotated[str, typer.Option("--format", "-f", help="table, json, csv or markdown")]
CategoryOption = Annotated[
    str, typer.Option("--category", help="Category of a published board (full, coding, ...)")
]


@contextlib.contextmanager
def landscape_errors() -> Iterator[None]:
    from modelarena.landscape.snapshots import LandscapeError

    with user_errors():
        try:
            yield
        except LandscapeError as exc:
            fail(str(exc))


def check_format(output: str) -> None:
    if output not in FORMATS:
        fail(f"unknown format {output!r} for --format; choose one of: {', '.join(FORMATS)}")


def emit(
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


def arena_filters(source: str, category: list[str] | None, min_votes: int, style: bool) -> Any:
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
