"""``arena campaign``: a team's own prompt set, invited voters, and the votes to decide."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
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

campaign_app = typer.Typer(
    help="Campaigns: your prompts, your invited voters, votes until the board decides.",
    no_args_is_help=True,
)

BaseUrlOption = Annotated[
    str,
    typer.Option("--base-url", help="Where the web app is served (the links start with it)"),
]
DEFAULT_BASE_URL = "http://127.0.0.1:8000"


@contextlib.contextmanager
def _service(config: str | None, db: str | None) -> Iterator[Any]:
    """The campaign service on the configured arena, signing links with the web app's key
    (``secret_key``, or the key file next to a SQLite database)."""
    from modelarena.campaigns import CampaignError, CampaignService, PromptFileError
    from modelarena.web.security import resolve_secret_key

    with user_errors():
        arena = load_arena(config, db)
        secret, _ = resolve_secret_key(arena.settings.secret_key, arena.settings.database_url)
        try:
            yield CampaignService(arena, secret)
        except (CampaignError, PromptFileError) as exc:
            fail(str(exc))
        finally:
            arena.store.close()


def _link(base_url: str, token: str) -> str:
    return f"{base_url.rstrip('/')}/c/{token}"


@campaign_app.command("create")
def create(
    name: Annotated[str, typer.Argument(help="The campaign's name")],
    prompts: Annotated[
        Path, typer.Option("--prompts", help="A .csv or .jsonl file with a prompt column")
    ],
    models: Annotated[str, typer.Option("--models", help="Comma-separated model ids")],
    category: Annotated[str, typer.Option("--category", help="The battles' category")] = "chat",
    target_votes: Annotated[
        int | None, typer.Option("--target-votes", help="Stop at this many votes per model")
    ] = None,
    target_width: Annotated[
        float | None,
        typer.Option("--target-width", help="Stop when every 95% interval is this narrow"),
    ] = None,
    confidence: Annotated[
        float, typer.Option("--confidence", help="Of the top-two decision (0.5 to 0.99)")
    ] = 0.95,
    base_url: BaseUrlOption = DEFAULT_BASE_URL,
    config: ConfigOption = None,
    db: DatabaseOption = None,
) -> None:
    """Create a campaign from a prompt file; prints the owner's link."""
    from modelarena.campaigns import read_prompt_file

    with _service(config, db) as service:
        rows = read_prompt_file(prompts)
        campaign = service.create(
            name,
            rows,
            models=models.split(","),
            category=category,
            target_votes=target_votes,
            target_width=target_width,
            confidence=confidence,
        )
        languages = service.store.campaigns.languages(campaign.id)
        spread = ", ".join(f"{k} {v}" for k, v in sorted(languages.items(), key=lambda kv: -kv[1]))
        console.print(
            f"campaign {campaign.name!r}: {len(rows)} prompts ({spread}), "
            f"{len(campaign.models)} models, category {campaign.category}"
        )
        console.print("owner's link (board and invites; keep it private):")
        console.print(_link(base_url, service.owner_token(campaign)), soft_wrap=True)
        console.print(
            f"invite voters with: arena campaign invite {campaign.name!r} --votes-limit N"
        )


@campaign_app.command("invite")
def invite(
    name: Annotated[str, typer.Argument(help="The campaign's name")],
    votes_limit: Annotated[
        int | None, typer.Option("--votes-limit", help="Votes this link may cast in all")
    ] = None,
    label: Annotated[str | None, typer.Option("--label", help="Whom the link is for")] = None,
    base_url: BaseUrlOption = DEFAULT_BASE_URL,
    config: ConfigOption = None,
    db: DatabaseOption = None,
) -> None:
    """Print a new invite link (signed, revocable, with a vote limit)."""
    with _service(config, db) as service:
        campaign = service.get(name)
        record, token = service.invite(campaign, votes_limit=votes_limit, label=label)
        limit = f"{votes_limit} votes" if votes_limit else "no vote limit"
        console.print(
            f"invite {record.id} ({limit}); revoke with: arena campaign revoke {record.id}"
        )
        console.print(_link(base_url, token), soft_wrap=True)


@campaign_app.command("revoke")
def revoke(
    token: Annotated[str, typer.Argument(help="The invite's link, token or id")],
    config: ConfigOption = None,
    db: DatabaseOption = None,
) -> None:
    """Revoke an invite link: it opens nothing from now on (its votes stay)."""
    with _service(config, db) as service:
        record = service.revoke(token.rstrip("/").rsplit("/", 1)[-1])
        console.print(f"invite {record.id} revoked")


@campaign_app.command("publish")
def publish(
    name: Annotated[str, typer.Argument(help="The campaign's name")],
    undo: Annotated[bool, typer.Option("--undo", help="Make it private again")] = False,
    config: ConfigOption = None,
    db: DatabaseOption = None,
) -> None:
    """Let anyone read the campaign's board at /campaigns/NAME (its prompts stay private)."""
    with _service(config, db) as service:
        campaign = service.get(name)
        service.store.campaigns.set_published(campaign.id, not undo)
        state = "private again" if undo else f"published at /campaigns/{campaign.name}"
        console.print(f"campaign {campaign.name!r} {state}")


@campaign_app.command("status")
def status(
    name: Annotated[str | None, typer.Argument(help="The campaign (default: list them)")] = None,
    language: Annotated[
        str | None, typer.Option("--language", help="Only battles in this language (zh, en)")
    ] = None,
    config: ConfigOption = None,
    db: DatabaseOption = None,
) -> None:
    """The board as it fills, progress to the target, and whether to stop."""
    from modelarena.battles.language import normalise_language

    if language is not None and normalise_language(language) is None:
        fail(f"--language {language!r} is not a language code; give one like en or zh")
    with _service(config, db) as service:
        if name is None:
            found = service.store.campaigns.all()
            if not found:
                console.print("no campaigns yet: arena campaign create NAME --prompts FILE ...")
            for c in found:
                s = service.status(c)
                console.print(f"{c.name}: {s.total_votes} votes; {s.decision}")
            return
        s = service.status(service.get(name), language=(language or "").lower() or None)
        _print_status(s)


def _print_status(s: Any) -> None:
    c = s.campaign
    target = (
        f"{c.target_votes} votes per model"
        if c.target_votes
        else f"95% intervals at most {c.target_width:g} points wide"
    )
    cut = f", language {s.language}" if s.language else ""
    console.print(
        f"[bold]{c.name}[/]: {s.prompts} prompts, {s.total_votes} votes{cut}; target {target}"
    )
    table = Table("rank", "model", "rating", "95% CI", "votes", "progress")
    progress = {p.model: p for p in s.models}
    for row in s.board.rows:
        p = progress.get(row.model)
        interval = f"{row.ci_lower:.0f}-{row.ci_upper:.0f}" if row.ci_lower is not None else "-"
        done = "done" if p and p.done else ""
        table.add_row(
            str(row.rank or "-"), row.display_name, f"{row.rating:.0f}", interval,
            str(row.votes), done,
        )  # fmt: skip
    console.print(table)
    sep = s.separation
    names = {row.model: row.display_name for row in s.board.rows}
    if sep is not None:
        console.print(
            f"{names.get(sep.first, sep.first)} - {names.get(sep.second, sep.second)}: "
            f"{sep.difference:+.0f} points, "
            f"{sep.confidence:.0%} CI "
            f"{sep.lower:+.0f} to {sep.upper:+.0f} (n = {sep.votes})"
        )
    verdict = "STOP NOW: " if s.stop_now else ""
    console.print(f"{verdict}{s.decision}")


def register(app: typer.Typer) -> None:
    app.add_typer(campaign_app, name="campaign")
