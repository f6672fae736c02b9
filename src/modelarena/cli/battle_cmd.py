"""``arena battle``: a blind battle in the terminal, a vote, then the reveal."""

from __future__ import annotations

import asyncio
import time
from typing import Annotated

import typer
from rich.console import Group
from rich.live import Live
from rich.markdown import Markdown
from rich.markup import escape
from rich.panel import Panel
from rich.prompt import Prompt
from rich.table import Table
from rich.text import Text

from modelarena.cli.common import (
    ConfigOption,
    DatabaseOption,
    console,
    err_console,
    fail,
    is_tty,
    load_arena,
    print_notices,
    user_errors,
)

CHOICES = {"1": "a", "2": "b", "3": "tie", "4": "both_bad"}
LABELS = {"a": "A is better", "b": "B is better", "tie": "Tie", "both_bad": "Both are bad"}


class _Pane:
    def __init__(self, side: str) -> None:
        self.side = side
        self.text = ""
        self.tokens = 0
        self.started = time.perf_counter()
        self.elapsed = 0.0
        self.done = False
        self.error: str | None = None

    def render(self, height: int | None) -> Panel:
        if not self.done:
            self.elapsed = time.perf_counter() - self.started
        status = (
            "[red]failed[/]"
            if self.error
            else "[green]done[/]"
            if self.done
            else "[yellow]streaming…[/]"
        )
        body: Text | Markdown = (
            Markdown(self.text) if self.done and not self.error else Text(self.text)
        )
        content = Group(body, Text(self.error, style="red")) if self.error else body
        return Panel(
            content,
            title=f"[bold]Model {self.side.upper()}[/]",
            subtitle=f"{status} · {self.tokens} tokens · {self.elapsed:.1f}s",
            height=height,
        )


Failure = tuple[str, str, str]  # side, reason code, message


async def _stream(arena, battle_id: str, prompt: str, history_height: int | None) -> list[Failure]:  # type: ignore[no-untyped-def]
    panes = {"a": _Pane("a"), "b": _Pane("b")}
    errors: list[Failure] = []

    def layout() -> Table:
        grid = Table.grid(expand=True, padding=(0, 1))
        grid.add_column(ratio=1)
        grid.add_column(ratio=1)
        grid.add_row(panes["a"].render(None), panes["b"].render(None))
        return grid

    with Live(layout(), console=console, refresh_per_second=8, transient=False) as live:
        async for event in arena.stream_turn(battle_id, prompt):
            pane = panes[event.side]
            if event.text:
                pane.text += event.text
                pane.tokens += 1
            if event.answer is not None:
                pane.done = True
                pane.elapsed = event.answer.time_s or pane.elapsed  # as the reveal shows it
                # the answer's own tokens: a count with reasoning would name a reasoning model
                pane.tokens = event.answer.answer_tokens or pane.tokens
                if event.answer.error:
                    pane.error = event.error or "the model failed"
                    errors.append((event.side, event.answer.error, pane.error))
            live.update(layout())
    console.print()
    return errors


def _reveal(arena, battle_id: str) -> None:  # type: ignore[no-untyped-def]
    battle = arena.store.get_battle(battle_id)
    table = Table(title="Reveal", show_header=True)
    table.add_column("")
    for side in "ab":
        table.add_column(f"Model {side.upper()}")
    infos = [arena.model_info(battle.model_a), arena.model_info(battle.model_b)]
    last = [battle.answer(battle.turns - 1, s) for s in "ab"]

    def cost(i: int) -> str:
        ans = last[i]
        if ans is None:
            return "?"
        c = infos[i].cost_usd(ans.stats.prompt_tokens, ans.stats.completion_tokens)
        return (
            "free (local)"
            if c is None and infos[i].config and infos[i].config.backend == "gguf"
            else ("?" if c is None else f"${c:.5f}")
        )

    rows = [
        ("model", [i.display_name for i in infos]),
        ("lab", [i.lab or "?" for i in infos]),
        ("country", [i.country or "?" for i in infos]),
        (
            "weights",
            [
                "open" if i.open_weights else "closed" if i.open_weights is False else "?"
                for i in infos
            ],
        ),
        ("licence", [i.license or "?" for i in infos]),
        ("tokens", [str(a.stats.completion_tokens or "?") if a else "?" for a in last]),
        ("time", [f"{a.time_s:.1f}s" if a else "?" for a in last]),
        ("cost", [cost(0), cost(1)]),
    ]
    for label, values in rows:
        table.add_row(label, *values)
    console.print(table)
    if battle.identity_leak:
        console.print(
            f"[yellow]An answer said which model or lab wrote it ({battle.identity_leak!r}); "
            "this vote is stored but not counted.[/]"
        )


def _explain_failures(arena, battle, errors: list[Failure]) -> None:  # type: ignore[no-untyped-def]
    """For the operator, once the battle can no longer be voted on: who failed and why."""
    for side, reason, message in errors:
        model = battle.model_a if side == "a" else battle.model_b
        problem = arena.diagnose(model, reason, message)
        err_console.print(
            f"Model {side.upper()} was {escape(problem.model)}: {escape(problem.cause)} "
            f"({problem.reason})\n  fix: {escape(problem.fix)}",
            highlight=False,
            soft_wrap=True,
        )


def _verdict(value: str | None) -> str | None:
    """``--verdict`` checked before any answer is generated."""
    if value is None:
        return None
    from modelarena.battles.records import Verdict

    try:
        return Verdict.parse(value).value
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None


def _pair(arena, models: str | None) -> list[str] | None:  # type: ignore[no-untyped-def]
    if not models:
        return None
    from modelarena.backends.contestants import did_you_mean

    pair = [m.strip() for m in models.split(",") if m.strip()]
    for model_id in pair:
        if model_id not in arena.contestants:
            fail(
                f"--models: {model_id!r} is not a configured model"
                f"{did_you_mean(model_id, arena.contestants)}; `arena models` lists them"
            )
    if len(pair) != 2 or pair[0] == pair[1]:
        fail("--models takes two different configured model ids, e.g. --models a,b")
    return pair


async def _session(  # type: ignore[no-untyped-def]
    arena, category: str, prompt: str, pair: list[str] | None, verdict: str | None, voter: str
) -> int:
    """The whole battle on one event loop, so that clients die with the loop they used."""
    from modelarena.arena import ArenaError

    try:
        b = arena.start_battle(category, prompt, session_id=voter, models=pair)
        console.print(f"[dim]battle {b.id} · category {category} · two anonymous models[/]")
        height = max(8, console.size.height - 8) if is_tty() else None
        errors = await _stream(arena, b.id, prompt, height)
        while not errors:
            if verdict is not None:
                choice = verdict
            elif is_tty():
                key = Prompt.ask(
                    "Vote: [bold]1[/] A is better · [bold]2[/] B is better · [bold]3[/] tie"
                    " · [bold]4[/] both bad · [bold]f[/] follow-up · [bold]q[/] quit",
                    choices=["1", "2", "3", "4", "f", "q"],
                    show_choices=False,
                )
                if key == "q":
                    console.print("No vote. The battle stays unvoted.")
                    return 0
                if key == "f":
                    follow = Prompt.ask("[bold]Follow-up[/]")
                    try:
                        arena.check_follow_up(arena.battle(b.id), follow)
                    except ArenaError as exc:  # too many turns, too long: vote on what is here
                        console.print(f"[yellow]{escape(str(exc))}[/]")
                        continue
                    errors = await _stream(arena, b.id, follow, height)
                    continue
                choice = CHOICES[key]
            else:
                fail("no vote: pass --verdict when not running in a terminal")
            record = arena.vote(b.id, choice, voter=voter)
            counted = "counted" if record.counted else f"stored, not counted ({record.reason})"
            console.print(f"Vote: [bold]{LABELS[record.verdict.value]}[/] — {counted}")
            _reveal(arena, b.id)
            return 0
        console.print(
            "[red]A model failed; the battle is stored as failed and never "
            "counted.[/] Run the command again to retry."
        )
        _explain_failures(arena, b, errors)
        return 1
    finally:
        await arena.aclose()


def battle(
    config: ConfigOption = None,
    db: DatabaseOption = None,
    prompt: Annotated[
        str | None, typer.Option("--prompt", "-p", help="The prompt (asked if omitted)")
    ] = None,
    category: Annotated[
        str, typer.Option(help="chat, website, ui-component, game, svg or data-viz")
    ] = "chat",
    models: Annotated[
        str | None, typer.Option(help="Two model ids, comma-separated (default: drawn)")
    ] = None,
    verdict: Annotated[
        str | None,
        typer.Option(
            help="Vote without asking: a, b, tie or both_bad", callback=_verdict, is_eager=False
        ),
    ] = None,
    voter: Annotated[str, typer.Option(help="Voter id recorded with the vote")] = "cli",
) -> None:
    """Run a blind battle: both answers stream side by side as A and B; vote; then the reveal."""
    with user_errors():
        arena = load_arena(config, db)
        print_notices(arena)
        pair = _pair(arena, models)
        if prompt is None:
            if not is_tty():
                fail("no prompt: pass --prompt when not running in a terminal")
            prompt = Prompt.ask("[bold]Your prompt[/]")
        code = asyncio.run(_session(arena, category, prompt, pair, verdict, voter))
    if code:
        raise typer.Exit(code)


def register(app: typer.Typer) -> None:
    app.command("battle")(battle)
