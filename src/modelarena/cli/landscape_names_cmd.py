"""``arena landscape names FILE``: how many names of a leaderboard file the catalog resolves,
each name's model, variant and country, and the unresolved ones with their nearest catalog
names (docs/landscape.md, "Names")."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from modelarena.cli.common import ConfigOption, console, fail, user_errors

if TYPE_CHECKING:
    from modelarena.catalog import NameResolver, Resolution

# The model column of a CSV that has no rating column (a list of names with other facts);
# the columns of a rated table are read by landscape.snapshots.read_board_file.
_NAME_COLUMNS = ("model", "model_name", "name", "model_id", "model version", "key")


def read_names(path: str, category: str) -> tuple[list[str], bool]:
    """The names of a leaderboard file, and whether they are in rating order.

    LMArena's leaderboard JSON and rated CSV tables are read as boards (best rating first);
    a CSV with a model column and no rating keeps its order; any other text file is a list of
    names, one a line (blank lines and lines starting with "#" skipped)."""
    from modelarena.landscape.snapshots import LandscapeError, read_board_file

    p = Path(path)
    if not p.is_file():
        fail(f"no such file: {path}; give a leaderboard JSON, a CSV or a list of names")
    try:
        text = p.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        fail(f"{path} is not UTF-8 text; give a leaderboard JSON, a CSV or a list of names")
    lines = text.splitlines()
    first = next((ln for ln in lines if ln.strip() and not ln.startswith("#")), "")
    header = [h.strip().lower() for h in next(csv.reader([first]), [])] if first else []
    is_json = p.suffix.lower() == ".json" or text.lstrip().startswith("{")
    if is_json or (len(header) > 1 and any(c in header for c in _NAME_COLUMNS)):
        try:
            boards = read_board_file(p)
        except LandscapeError as exc:
            if is_json or "no rating column" not in str(exc):
                fail(str(exc))
            column = next(c for c in _NAME_COLUMNS if c in header)
            rows = csv.DictReader(ln for ln in lines if not ln.startswith("#"))
            names = [
                (value or "").strip()
                for row in rows
                for key, value in row.items()
                if (key or "").strip().lower() == column
            ]
            return [n for n in names if n], False
        if category not in boards:
            fail(
                f"{path} has no category {category!r}; choose --category from: "
                f"{', '.join(sorted(boards))}"
            )
        return [row.model for row in boards[category]], True
    names = [ln.strip() for ln in lines if ln.strip() and not ln.lstrip().startswith("#")]
    if names and header == [names[0].lower()] and header[0] in _NAME_COLUMNS:
        names = names[1:]  # a one-column CSV: its header is no model name
    if not names:
        fail(f"{path} holds no model names")
    return names, False


def _rate(resolved: int, n: int) -> dict[str, Any]:
    from modelarena.ratings.proportions import wilson

    return wilson(resolved, n).to_dict() | {"resolved": resolved}


def _pct(fig: dict[str, Any]) -> str:
    if fig["value"] is None:
        return "n/a"
    return (
        f"{fig['value']:.1%} ({fig['resolved']}/{fig['n']}; 95% CI "
        f"{fig['lower']:.1%} to {fig['upper']:.1%})"
    )


def names_report(
    names: list[str], ranked: bool, resolver: NameResolver, *, top: int, k: int
) -> dict[str, Any]:
    """Resolution of every name, the rate with its Wilson interval (and of the top ``top``
    when the names are in rating order), the unresolved with ``k`` nearest candidates."""
    results: list[Resolution] = resolver.resolve_all(names)
    rows = [{"rank": i + 1, **r.to_dict()} for i, r in enumerate(results)]
    unresolved = [
        {
            "rank": i + 1,
            "name": r.name,
            "nearest": [c.to_dict() for c in resolver.nearest(r.name, k)],
        }
        for i, r in enumerate(results)
        if not r.resolved
    ]
    report: dict[str, Any] = {
        "n": len(results),
        "rate": _rate(sum(r.resolved for r in results), len(results)),
        "ranked": ranked,
        "names": rows,
        "unresolved": unresolved,
    }
    if ranked:
        head = results[:top]
        report[f"top{top}"] = _rate(sum(r.resolved for r in head), len(head))
    return report


def names(
    file: Annotated[str, typer.Argument(help="Leaderboard JSON, CSV, or a list of names")],
    config: ConfigOption = None,
    category: Annotated[
        str, typer.Option("--category", help="Category of a leaderboard JSON (full, coding...)")
    ] = "full",
    top: Annotated[
        int, typer.Option(min=1, help="Also report the rate among the first N of a rated file")
    ] = 50,
    nearest_k: Annotated[
        int, typer.Option("--nearest", min=0, help="Candidates listed for an unresolved name")
    ] = 3,
    output: Annotated[str, typer.Option("--format", help="table or json")] = "table",
) -> None:
    """How many names of a published leaderboard the catalog resolves (with n and a 95%
    interval), each name's model, variant and country, and the names that do not resolve
    with their nearest catalog names. A name that does not resolve is never given a country."""
    if output not in ("table", "json"):
        fail(f"unknown format {output!r}; choose table or json")
    with user_errors():
        from modelarena.catalog import load_catalog
        from modelarena.catalog import resolver as make_resolver
        from modelarena.config import load_settings

        catalog = load_catalog(load_settings(config).catalog)
        listed, ranked = read_names(file, category)
        report = names_report(listed, ranked, make_resolver(catalog), top=top, k=nearest_k)
    report = {"file": file, "category": category if ranked else None, **report}
    if output == "json":
        print(json.dumps(report, indent=2))
        return
    _print_table(report, top)


def _print_table(report: dict[str, Any], top: int) -> None:
    table = Table(title=f"Names of {escape(report['file'])}", show_lines=False)
    for col in (
        "#",
        "name",
        "model",
        "variant",
        "lab",
        "country",
        "lineage",
        "weights",
        "released",
    ):
        table.add_column(col, overflow="fold")
    for r in report["names"]:
        variant = "-".join(v for v in (r["snapshot"], r["variant"]) if v)
        weights = {True: "open", False: "closed", None: ""}[r["open_weights"]]
        lineage = r["lineage_country"] if r["lineage_country"] != r["country"] else ""
        table.add_row(
            str(r["rank"]),
            escape(r["name"]),
            escape(r["model"] or "[unresolved]"),
            escape(variant),
            escape(r["lab"] or ""),
            r["country"] or "",
            lineage or "",
            weights,
            r["released"] or "",
        )
    console.print(table)
    console.print(f"resolved: {_pct(report['rate'])}", highlight=False)
    if f"top{top}" in report:
        console.print(f"resolved among the top {top}: {_pct(report[f'top{top}'])}", highlight=False)
    if report["unresolved"]:
        console.print("unresolved (nearest catalog names; no country is guessed):")
        for u in report["unresolved"]:
            near = ", ".join(c["id"] for c in u["nearest"]) or "none close"
            console.print(f"  {escape(u['name'])}: {escape(near)}", highlight=False)


def register(group: typer.Typer) -> None:
    group.command("names")(names)
