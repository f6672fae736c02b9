"""``arena integrity`` (report, scan) and ``arena admin`` (voters, ban, unban, recount)."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.table import Table

from modelarena.cli.common import (
    ConfigOption,
    DatabaseOption,
    console,
    fail,
    load_settings_with_db,
    user_errors,
)

integrity_app = typer.Typer(
    help="Integrity of the votes: the report, and the scan for anomalous voters.",
    no_args_is_help=True,
)
admin_app = typer.Typer(
    help="Review voters: list flagged ones, ban, unban (clear), recount.",
    no_args_is_help=True,
)

FormatOption = Annotated[str, typer.Option("--format", "-f", help="table or json")]
ActorOption = Annotated[
    str, typer.Option("--actor", help="Name recorded in the audit log for this action")
]


def _store(config: str | None, db: str | None):  # type: ignore[no-untyped-def]
    from modelarena.store import Store

    return Store.open(load_settings_with_db(config, db).database_url)


def _check_format(fmt: str) -> None:
    if fmt not in ("table", "json"):
        fail(f"unknown format {fmt!r}; use table or json")


def _print_json(data: Any) -> None:
    console.print_json(json.dumps(data, default=str))


def _voters_table(views: list[Any], title: str) -> Table:
    table = Table(title=title)
    for col in ("voter", "votes", "counted", "banned", "flag", "detail"):
        table.add_column(col)
    for v in views:
        detail = v.flag_detail
        if isinstance(detail, dict):
            parts = [f"p={detail['p_value']:.2g}"] if "p_value" in detail else []
            if detail.get("favoured_model"):
                parts.append(
                    f"favours {detail['favoured_model']} ({detail.get('shift_points', 0):+.0f} pts)"
                )
            if detail.get("address"):
                parts.append(_address_text(detail))
            detail = ", ".join(parts)
        table.add_row(
            v.id,
            str(v.votes),
            str(v.counted),
            "yes" if v.banned else "",
            v.flag_reason or "",
            str(detail or ""),
        )
    return table


def _address_text(detail: dict[str, Any]) -> str:
    return (
        f"with address {detail['address']} ({detail.get('address_sessions')} voters, "
        f"{detail.get('address_votes')} votes)"
    )


@integrity_app.command("report")
def report(
    config: ConfigOption = None,
    db: DatabaseOption = None,
    fmt: FormatOption = "table",
    top: Annotated[int, typer.Option(min=2, help="Fragility of this many top models")] = 10,
) -> None:
    """Filtered votes by reason, flagged voters, and how fragile the top of the board is."""
    _check_format(fmt)
    with user_errors():
        from modelarena.integrity.report import REASON_TEXT, integrity_report

        rep = integrity_report(_store(config, db), top=top)
        if fmt == "json":
            _print_json(rep.to_dict())
            return
        console.print(f"votes stored: {rep.total_votes}, counted: {rep.counted_votes}")
        filtered = {k: n for k, n in sorted(rep.by_reason.items()) if k != "counted"}
        if filtered:
            reasons = Table(title="Votes stored but not counted")
            reasons.add_column("reason")
            reasons.add_column("votes", justify="right")
            reasons.add_column("meaning")
            for key, n in filtered.items():
                reasons.add_row(key, str(n), REASON_TEXT.get(key, ""))
            console.print(reasons)
        else:
            console.print("no vote was filtered")
        if rep.voters:
            console.print(_voters_table(rep.voters, "Flagged, banned and cleared voters"))
        else:
            console.print("no flagged or banned voters")
        if rep.fragile:
            frag = Table(title=f"Fragility of the top {top} ({rep.board_votes} counted votes)")
            for col in ("upper", "lower", "votes to swap", "share", "tied"):
                frag.add_column(col)
            for f in rep.fragile:
                frag.add_row(
                    f.upper,
                    f.lower,
                    f"{f.votes_to_swap:.1f}",
                    f"{100 * f.share_to_swap:.4f}%",
                    "yes" if f.tied else "",
                )
            console.print(frag)
        else:
            console.print("not enough votes for a fragility report")
        if rep.unrated:
            console.print("not comparable with the main board: " + ", ".join(rep.unrated))


@integrity_app.command("scan")
def scan(
    config: ConfigOption = None,
    db: DatabaseOption = None,
    apply: Annotated[
        bool, typer.Option("--apply", help="Flag the voters found and stop their votes counting")
    ] = False,
    alpha: Annotated[
        float,
        typer.Option(min=0.0, max=1.0, help="Flag voters whose corrected p-value is below this"),
    ] = 1e-4,
    min_votes: Annotated[
        int,
        typer.Option(
            "--min-votes",
            min=1,
            help="Only test voters (and addresses) with at least this many votes",
        ),
    ] = 10,
    method: Annotated[
        str, typer.Option(help="lrt (likelihood-ratio test), fisher (Fisher's method) or both")
    ] = "lrt",
    fmt: FormatOption = "table",
    actor: ActorOption = "cli",
) -> None:
    """Test every voter's votes against the fitted leaderboard; flag the anomalous ones."""
    _check_format(fmt)
    if method not in ("lrt", "fisher", "both"):
        fail(f"unknown method {method!r}; use lrt, fisher or both")
    with user_errors():
        from modelarena.integrity.anomaly import apply_flags, detect_anomalous_voters

        store = _store(config, db)
        flags = detect_anomalous_voters(store, alpha=alpha, min_votes=min_votes, method=method)  # type: ignore[arg-type]
        changed = apply_flags(store, flags, actor=actor) if apply else 0
        if fmt == "json":
            _print_json(
                {
                    "flags": [f.to_dict() for f in flags],
                    "applied": apply,
                    "votes_uncounted": changed,
                }
            )
            return
        if not flags:
            console.print("no anomalous voters found")
            return
        table = Table(title=f"Anomalous voters (p < {alpha:g})")
        for col in ("voter", "votes", "p-value", "favours", "shift", "fisher p", "tested"):
            table.add_column(col)
        for f in flags:
            table.add_row(
                f.voter,
                str(f.votes),
                f"{f.p_value:.2g}",
                str(f.detail.get("favoured_model") or ""),
                f"{f.detail.get('shift_points', 0):+.0f}",
                f"{f.detail.get('fisher_p', 1.0):.2g}",
                _address_text(f.detail) if f.detail.get("address") else "own votes",
            )
        console.print(table)
        if apply:
            console.print(f"flagged {len(flags)} voter(s); {changed} vote(s) no longer count")
        else:
            console.print("dry run: add --apply to flag them and stop their votes counting")


@admin_app.command("voters")
def voters(
    config: ConfigOption = None,
    db: DatabaseOption = None,
    all_voters: Annotated[
        bool, typer.Option("--all", help="Every voter, not only flagged")
    ] = False,
    fmt: FormatOption = "table",
) -> None:
    """List flagged, banned and cleared voters with their vote counts."""
    _check_format(fmt)
    with user_errors():
        from modelarena.integrity.admin import list_voters

        views = list_voters(_store(config, db), all_voters=all_voters)
        if fmt == "json":
            _print_json([v.to_dict() for v in views])
            return
        console.print(_voters_table(views, "Voters" if all_voters else "Voters to review"))


def _act(fn_name: str, voter: str, config: str | None, db: str | None, actor: str) -> None:
    with user_errors():
        from modelarena.integrity import admin

        try:
            result = getattr(admin, fn_name)(_store(config, db), voter, actor=actor)
        except admin.UnknownVoter as exc:
            fail(str(exc))
        verb = "banned" if fn_name == "ban" else "cleared"
        now = "no longer count" if fn_name == "ban" else "count again"
        console.print(f"{verb} {voter}: {result.votes_changed} vote(s) {now}")


@admin_app.command("ban")
def ban(
    voter: str, config: ConfigOption = None, db: DatabaseOption = None, actor: ActorOption = "cli"
) -> None:
    """Ban VOTER: their votes so far and from now on are kept but not counted."""
    _act("ban", voter, config, db, actor)


@admin_app.command("unban")
def unban(
    voter: str, config: ConfigOption = None, db: DatabaseOption = None, actor: ActorOption = "cli"
) -> None:
    """Lift a ban or clear a flag on VOTER: their votes count again; later scans skip them."""
    _act("unban", voter, config, db, actor)


@admin_app.command("recount")
def recount(config: ConfigOption = None, db: DatabaseOption = None) -> None:
    """Rebuild the leaderboard's pair counts from the vote log."""
    with user_errors():
        from modelarena.integrity.admin import recount as do_recount

        total = do_recount(_store(config, db))
        console.print(f"recounted: {total} counted vote(s)")


def register(app: typer.Typer) -> None:
    app.add_typer(integrity_app, name="integrity")
    app.add_typer(admin_app, name="admin")
