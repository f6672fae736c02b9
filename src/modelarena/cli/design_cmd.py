"""``arena designs``: check design answers in headless Chromium, and report per model."""

from __future__ import annotations

import json
import time
from typing import Annotated, Any

import typer
from rich.table import Table

from modelarena.cli.common import (
    ConfigOption,
    DatabaseOption,
    console,
    fail,
    load_arena,
    load_settings_with_db,
    user_errors,
)

designs_app = typer.Typer(
    help="Design answers checked in a real browser: errors, network, overflow, accessibility.",
    no_args_is_help=True,
)

FormatOption = Annotated[str, typer.Option("--format", "-f", help="table or json")]


def _store(config: str | None, db: str | None):  # type: ignore[no-untyped-def]
    from modelarena.store import Store

    return Store.open(load_settings_with_db(config, db).database_url)


def _check_format(fmt: str) -> None:
    if fmt not in ("table", "json"):
        fail(f"unknown format {fmt!r}; use table or json")


@designs_app.command("check")
def check_cmd(
    battle: Annotated[
        str | None, typer.Option("--battle", help="Check (again) every design answer of one battle")
    ] = None,
    pending: Annotated[
        bool, typer.Option("--pending", help="Check every design answer not checked yet (default)")
    ] = False,
    workers: Annotated[int, typer.Option("--workers", help="Pages rendered at once")] = 2,
    timeout: Annotated[
        float, typer.Option("--timeout", help="Seconds a page may take to load before it is killed")
    ] = 15.0,
    heap_mb: Annotated[
        int, typer.Option("--heap-mb", help="JavaScript heap per renderer, in MiB")
    ] = 256,
    chromium: Annotated[
        str, typer.Option("--chromium", help="The Chromium executable")
    ] = "/usr/bin/chromium",
    limit: Annotated[
        int | None, typer.Option("--limit", min=1, help="Check at most this many answers a round")
    ] = None,
    watch: Annotated[
        float | None,
        typer.Option(
            "--watch",
            help="Keep running: look for new design answers every S seconds (a background "
            "worker beside arena serve; Ctrl+C stops it)",
        ),
    ] = None,
    progress: Annotated[bool | None, typer.Option("--progress/--no-progress")] = None,
    config: ConfigOption = None,
    db: DatabaseOption = None,
) -> None:
    """Render design answers in headless Chromium, in the sandbox voters see, and store
    what each one does (never on the web's request path)."""
    from modelarena.battles.categories import CATEGORIES
    from modelarena.designs import BrowserMissing, Limits
    from modelarena.designs import pending as to_check
    from modelarena.designs.browser import chromium_path
    from modelarena.store import BattleNotFound

    if battle is not None and pending:
        fail("give --battle ID or --pending, not both")
    if battle is not None and watch is not None:
        fail("--watch checks new answers as they come: use it with --pending, not --battle")
    if workers < 1:
        fail(f"--workers must be at least 1, got {workers}")
    if timeout <= 0:
        fail(f"--timeout must be positive, got {timeout}")
    if heap_mb < 16:
        fail(f"--heap-mb must be at least 16, got {heap_mb}")
    if watch is not None and watch <= 0:
        fail(f"--watch must be a positive number of seconds, got {watch}")
    with user_errors():
        store = _store(config, db)
        if battle is not None:
            try:
                category = store.get_battle(battle).category
            except BattleNotFound:
                fail(f"no battle with id {battle!r}; see arena battle list")
            if not (CATEGORIES.get(category) and CATEGORIES[category].design):
                fail(f"battle {battle} is a {category} battle, not a design one: nothing to check")
        try:
            chromium_path(chromium)  # a wrong path is said now, not when a design comes
        except BrowserMissing as exc:
            fail(str(exc))
        limits = Limits(timeout_s=timeout, heap_mb=heap_mb, workers=workers)
        show = console.is_terminal if progress is None else progress
        if watch is None:
            items = to_check(store, battle_id=battle)[:limit]
            if not items:
                console.print("No design answers to check.")
                return
            _check_round(store, items, limits, chromium, show, {})
            return
        _watch(store, watch, limit, limits, chromium, show)


def _watch(
    store: Any, every_s: float, limit: int | None, limits: Any, chromium: str, show: bool
) -> None:
    """Check new design answers every ``every_s`` seconds until Ctrl+C or SIGTERM (how a
    service manager stops a worker); either stops it at once (what the round under way
    stored is kept, its browser closed) and the last line says what was checked since the
    start."""
    import signal

    from modelarena.designs import pending as to_check

    def interrupt(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)
    checked: dict[str, int] = {}
    try:
        while True:
            items = to_check(store)[:limit]
            if items:
                _check_round(store, items, limits, chromium, show, checked)
            time.sleep(every_s)
    except KeyboardInterrupt:
        pass
    total = sum(checked.values())
    statuses = ", ".join(f"{k} {v}" for k, v in sorted(checked.items())) or "none"
    console.print(f"Stopped watching; checked {total} design answers since the start: {statuses}.")


def _check_round(
    store: Any, items: list[Any], limits: Any, chromium: str, show: bool, tally: dict[str, int]
) -> None:
    """Check ``items``, counting each stored result in ``tally`` as it is stored."""
    from modelarena.designs import BrowserMissing
    from modelarena.designs.browser import chromium_path

    try:
        chromium_path(chromium)  # it may have gone since the watcher started
        run = _run_round(store, items, limits, chromium, show, tally)
    except BrowserMissing as exc:
        fail(str(exc))
    statuses = ", ".join(f"{k} {v}" for k, v in sorted(run.by_status.items()))
    console.print(f"Checked {run.checked} design answers: {statuses}. See arena designs report.")
    console.file.flush()  # a watcher's log reaches its reader round by round


def _run_round(
    store: Any, items: list[Any], limits: Any, chromium: str, show: bool, tally: dict[str, int]
) -> Any:
    from modelarena.designs import check as run_checks

    def count(item: Any, m: Any) -> None:
        tally[m.status] = tally.get(m.status, 0) + 1

    if show:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

        with Progress(
            TextColumn("checking designs"), BarColumn(), MofNCompleteColumn(),
            TextColumn("{task.fields[last]}"), console=console,
        ) as bar:  # fmt: skip
            task = bar.add_task("check", total=len(items), last="")

            def advance(item: Any, m: Any) -> None:
                count(item, m)
                bar.update(task, advance=1, last=f"{item.battle_id} {item.side}: {m.status}")

            run = run_checks(store, items, limits, chromium=chromium, progress=advance)
    else:
        run = run_checks(store, items, limits, chromium=chromium, progress=count)
    return run


def _pct(fig: Any) -> str:
    if fig.value is None:
        return "-"
    return f"{100 * fig.value:.0f}% ({100 * fig.lower:.0f}-{100 * fig.upper:.0f}, n={fig.n})"


@designs_app.command("report")
def report_cmd(
    model: Annotated[str | None, typer.Option("--model", help="Only this model")] = None,
    style: Annotated[
        bool,
        typer.Option(
            "--style",
            help="Also the style-controlled fit of the design categories: is a model liked "
            "for its looks or for pages that work?",
        ),
    ] = False,
    fmt: FormatOption = "table",
    config: ConfigOption = None,
    db: DatabaseOption = None,
) -> None:
    """Per model: the share of its designs that render without errors, time out, try the
    network, overflow a phone screen or have serious accessibility violations, each with
    its n and 95% Wilson interval."""
    from modelarena.designs import summarise

    _check_format(fmt)
    with user_errors():
        arena = load_arena(config, db)
        store = arena.store
        rows = summarise(store.design_checks.all(model=model))
        fit = _style_fit(arena) if style else None
    if model is not None and not rows:
        fail(f"no checked designs of model {model!r}; run arena designs check --pending first")
    if fmt == "json":
        data: Any = [r.to_dict() for r in rows]
        if style:
            data = {"models": data, "style": fit}
        console.print_json(json.dumps(data))
        return
    if not rows:
        console.print("No design checks yet: run arena designs check --pending.")
        return
    table = Table(title="Design checks in Chromium (share, 95% Wilson interval, n)")
    for col in ("model", "renders without errors", "timeout", "network", "overflow 390px",
                "serious a11y", "median first paint"):  # fmt: skip
        table.add_column(col)
    for r in rows:
        paint = f"{r.median_first_paint_ms:.0f} ms" if r.median_first_paint_ms is not None else "-"
        table.add_row(
            r.model, _pct(r.works), _pct(r.timeouts), _pct(r.network), _pct(r.overflow),
            _pct(r.a11y), paint,
        )  # fmt: skip
    console.print(table)
    if fit is not None:
        _print_style(fit)


def _style_fit(arena: Any) -> dict[str, Any] | None:
    """The design categories' board with style control: the checks' coefficients (log-odds
    per standard deviation of the feature) and their 95% intervals, or None without votes."""
    from modelarena.designs import DESIGN_CATEGORIES
    from modelarena.leaderboard import LeaderboardFilters, compute_leaderboard

    filters = LeaderboardFilters(categories=DESIGN_CATEGORIES, style_control=True)
    board = compute_leaderboard(arena.store, arena.model_info, filters)
    if not board.style_coefficients:
        return None
    return {
        "method": board.method,
        "votes": board.total_votes,
        "coefficients": {
            k: {"value": v, "ci": list(board.style_intervals.get(k, (None, None)))}
            for k, v in board.style_coefficients.items()
        },
        "ratings": {r.model: [r.rating, r.ci_lower, r.ci_upper] for r in board.rows},
    }


def _print_style(fit: dict[str, Any] | None) -> None:
    if fit is None:
        console.print("No counted votes on design categories yet: no style fit.")
        return
    table = Table(title=f"Style control on design votes (n = {fit['votes']}): log-odds per SD")
    for col in ("feature", "coefficient", "95% interval"):
        table.add_column(col)
    for name, c in fit["coefficients"].items():
        lo, hi = c["ci"]
        ci = f"{lo:+.2f} to {hi:+.2f}" if lo is not None else "- (no variation)"
        table.add_row(name, f"{c['value']:+.2f}", ci)
    console.print(table)


def register(app: typer.Typer) -> None:
    app.add_typer(designs_app, name="designs")
