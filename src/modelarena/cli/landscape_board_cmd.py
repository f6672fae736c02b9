"""``arena landscape import | snapshots | board | agree``: published boards stored as dated
snapshots, and who leads among open models on them or on the arena's own board
(docs/landscape.md). ``gap``, ``cost`` and ``report`` are in landscape_figures_cmd.py."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from modelarena.cli.common import (
    ConfigOption,
    DatabaseOption,
    console,
    fail,
    load_arena,
)
from modelarena.cli.landscape_common import (
    ArenaCategory,
    ArenaSource,
    CategoryOption,
    FormatOption,
    MinVotes,
    PoolVariants,
    Style,
    arena_filters,
    check_format,
    emit,
    landscape_errors,
)


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
    with landscape_errors():
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
    with landscape_errors():
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
    from modelarena.landscape.board import parse_by
    from modelarena.landscape.inputs import ARENA, pick_board

    check_format(output)
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
    with landscape_errors():
        attribution = parse_by(by)
        filters = arena_filters(source, arena_category, min_votes, style_control)
        arena = load_arena(config, db)
        chosen = pick_board(arena, ARENA if arena_own else snapshot, category, filters)
        result = chosen.open_figures(
            arena.catalog,
            countries=(pair[0], pair[1]),
            by=attribution,
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
    emit(
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
    from modelarena.landscape.board import parse_by
    from modelarena.landscape.inputs import snapshot_board
    from modelarena.landscape.snapshots import LandscapeError

    first, second = countries
    boards, rows = [], []
    with landscape_errors():
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
                result = b.open_figures(
                    arena.catalog, countries=countries, by=attribution, pool_variants=pool_variants
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
    emit(
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
    from modelarena.landscape.inputs import pick_board

    check_format(output)
    with landscape_errors():
        filters = arena_filters(source, arena_category, 0, False)
        arena = load_arena(config, db)
        ba = pick_board(arena, a, category, filters)
        bb = pick_board(arena, b, category, filters)
        result = ba.agreement(bb, arena.catalog, resamples=resamples)
    row = {
        "shared": result.shared,
        "spearman": result.spearman,
        "spearman_95ci": f"{result.spearman_ci[0]} to {result.spearman_ci[1]}",
        "kendall": result.kendall,
        "kendall_95ci": f"{result.kendall_ci[0]} to {result.kendall_ci[1]}",
    }
    emit(
        output,
        result.to_dict(),
        [row],
        list(row),
        title=f"{result.board_a} vs {result.board_b}",
        caption=result.method,
    )


def register(group: typer.Typer) -> None:
    from modelarena.cli import landscape_figures_cmd

    group.command("import")(import_board)
    group.command("snapshots")(snapshots)
    group.command("board")(board)
    group.command("agree")(agree)
    landscape_figures_cmd.register(group)
