"""``arena leaderboard``: the ratings as a table, JSON, CSV or Markdown."""

from __future__ import annotations

import csv
import io
import json
from typing import Annotated, Any

import typer
from rich.table import Table

from modelarena.cli.common import (
    ConfigOption,
    DatabaseOption,
    console,
    fail,
    load_arena,
    user_errors,
)

NOT_ENOUGH = "not enough votes"
FORMATS = ("table", "json", "csv", "markdown")
COLUMNS = (
    "rank",
    "model",
    "rating",
    "ci_lower",
    "ci_upper",
    "votes",
    "win_rate",
    "lab",
    "country",
    "open_weights",
    "license",
    "license_class",
    "price_input_per_m",
    "price_output_per_m",
    "provisional",
)


def _markdown(rows: list[dict[str, Any]]) -> str:
    head = [
        "Rank",
        "Model",
        "Rating",
        "95% CI",
        "Votes",
        "Win rate",
        "Lab",
        "Country",
        "Weights",
        "Licence",
    ]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        lines.append(
            "| "
            + " | ".join(
                [
                    "-" if r["rank"] is None else str(r["rank"]),
                    r["display_name"] + (" *" if r["provisional"] else ""),
                    f"{r['rating']:.0f}",
                    NOT_ENOUGH
                    if r["ci_lower"] is None
                    else f"{r['ci_lower']:.0f} to {r['ci_upper']:.0f}",
                    str(r["votes"]),
                    f"{100 * r['win_rate']:.1f}%",
                    r["lab"] or "?",
                    r["country"] or "?",
                    "open"
                    if r["open_weights"]
                    else "closed"
                    if r["open_weights"] is False
                    else "?",
                    r["license"] or "?",
                ]
            )
            + " |"
        )
    return "\n".join(lines)


def leaderboard(
    config: ConfigOption = None,
    db: DatabaseOption = None,
    open_only: Annotated[bool, typer.Option("--open", help="Open-weight models only")] = False,
    closed_only: Annotated[bool, typer.Option("--closed", help="Closed models only")] = False,
    country: Annotated[
        list[str] | None, typer.Option(help="Lab country, ISO code (repeatable or comma-separated)")
    ] = None,
    license_class: Annotated[
        list[str] | None,
        typer.Option("--license-class", help="permissive, restricted-open or proprietary"),
    ] = None,
    category: Annotated[list[str] | None, typer.Option(help="Battle category (repeatable)")] = None,
    source: Annotated[
        str, typer.Option(help="Vote source: human, judge, or judge:<model>")
    ] = "human",
    min_votes: Annotated[int, typer.Option("--min-votes", min=0)] = 0,
    style_control: Annotated[
        bool, typer.Option("--style-control", help="Control for length and Markdown")
    ] = False,
    bootstrap: Annotated[
        bool, typer.Option("--bootstrap", help="Bootstrap intervals instead of sandwich")
    ] = False,
    weighted: Annotated[
        bool,
        typer.Option(
            "--weighted", help="Inverse-probability weights from logged pair probabilities"
        ),
    ] = False,
    davidson: Annotated[
        bool, typer.Option("--davidson", help="Davidson tie model instead of ties as half a win")
    ] = False,
    output: Annotated[
        str, typer.Option("--format", "-f", help="table, json, csv or markdown")
    ] = "table",
) -> None:
    """Fit Bradley-Terry ratings on the counted votes and print the leaderboard."""
    if output not in FORMATS:
        fail(f"unknown format {output!r}; choose one of: {', '.join(FORMATS)}")
    if open_only and closed_only:
        fail("--open and --closed exclude each other")
    from modelarena.leaderboard import ALL_FILTERS, LeaderboardFilters, compute_leaderboard
    from modelarena.ratings import (
        MIN_INTERVAL_VOTES,
        PROVISIONAL_MAX_HALF_WIDTH,
        PROVISIONAL_MIN_VOTES,
    )

    with user_errors():
        # the web page's parser, so both accept and refuse the same values
        filters = LeaderboardFilters.parse(
            {
                "open": "true" if open_only else "false" if closed_only else None,
                "country": ",".join(country or []),
                "license": ",".join(license_class or []),
                "category": ",".join(category or []),
                "source": source,
                "min_votes": str(min_votes),
                "style": str(style_control),
                "intervals": "bootstrap" if bootstrap else "sandwich",
                "weighted": str(weighted),
                "ties": "davidson" if davidson else "half",
            },
            allow=ALL_FILTERS,
        )
        arena = load_arena(config, db)
        board = compute_leaderboard(arena.store, arena.model_info, filters)
    rows = [r.to_dict() for r in board.rows]
    if output == "json":
        print(json.dumps(board.to_dict(), indent=2))
        return
    if output == "csv":
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=["display_name", *COLUMNS], extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
        print(buf.getvalue(), end="")
        return
    if output == "markdown":
        print(_markdown(rows))
        return
    if not rows:
        console.print(
            f"No counted votes yet ({filters.describe()}). Run `arena battle` or "
            "`arena import FILE`."
        )
    else:
        table = Table(
            title=f"Leaderboard: {board.total_votes} votes ({filters.describe()})",
            caption=(
                f"{board.method}. * provisional: fewer than {PROVISIONAL_MIN_VOTES} votes or "
                f"interval wider than +-{PROVISIONAL_MAX_HALF_WIDTH:.0f}; {NOT_ENOUGH}: fewer "
                f"than {MIN_INTERVAL_VOTES}, no interval or rank yet."
            ),
        )
        for col, just in (
            ("#", "right"),
            ("model", "left"),
            ("rating", "right"),
            ("95% CI", "right"),
            ("votes", "right"),
            ("win %", "right"),
            ("lab", "left"),
            ("country", "left"),
            ("weights", "left"),
            ("licence", "left"),
            ("$/M in/out", "right"),
        ):
            table.add_column(col, justify=just)  # type: ignore[arg-type]
        for r in board.rows:
            price = (
                ""
                if r.price_input_per_m is None
                else f"{r.price_input_per_m:g}/{r.price_output_per_m:g}"
            )
            table.add_row(
                "-" if r.rank is None else str(r.rank),
                r.display_name + (" *" if r.provisional and r.rank is not None else ""),
                f"{r.rating:.0f}",
                NOT_ENOUGH
                if r.ci_lower is None or r.ci_upper is None
                else f"-{r.rating - r.ci_lower:.0f}/+{r.ci_upper - r.rating:.0f}",
                str(r.votes),
                f"{100 * r.win_rate:.1f}",
                r.lab or "?",
                r.country or "?",
                "open" if r.open_weights else "closed" if r.open_weights is False else "?",
                r.license or "?",
                price,
            )
        console.print(table)
    h = board.headline
    if len(h.leaders) > 1:
        console.print(f"Tied for first: [bold]{', '.join(h.leaders)}[/] (intervals overlap)")
    elif h.leaders:
        console.print(f"Top rated: [bold]{h.leaders[0]}[/] (rank 1 overall)")
    if h.best_open:
        where = "tied for rank" if h.best_open_rank_shared else "rank"
        line = (
            f"Best open model: [bold]{h.best_open}[/] ({where} {h.best_open_rank} overall)"
            if len(h.open_leaders) <= 1
            else f"Best open model, tied: [bold]{', '.join(h.open_leaders)}[/]"
        )
        if h.top_open_country:
            line += f"; top open models from {h.top_open_country} ({h.top_open_country_share})"
        if h.best_open_outside:
            line += (
                f"; best open model from elsewhere: {h.best_open_outside} "
                f"(#{h.best_open_outside_rank} among open models)"
            )
        console.print(line)
    if h.best_value:
        console.print(
            f"Best per dollar: [bold]{h.best_value}[/] (${h.best_value_price:g}/M "
            "blended, statistically tied with the best priced model)"
        )
    if board.style_coefficients:
        coefs = ", ".join(f"{k} {v:+.3f}" for k, v in board.style_coefficients.items())
        console.print(f"Style coefficients (log-odds per SD): {coefs}")
    tied = [p for p in board.fragile_pairs if p["tied"]]
    for p in tied:
        console.print(
            f"[yellow]Statistically tied:[/] {p['upper']} vs {p['lower']} "
            f"(removing {100 * p['share_to_swap']:.3f}% of votes would swap them)"
        )
    if board.unrated:
        console.print(
            f"[yellow]Not comparable[/] (never compared, even indirectly, with the "
            f"rest): {', '.join(board.unrated)}"
        )


def register(app: typer.Typer) -> None:
    app.command("leaderboard")(leaderboard)
