"""``arena audit run`` and ``arena audit report``: audit the configured models with the
chosen suites, and show the stored results (docs/audits.md)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from modelarena.cli.common import (
    ConfigOption,
    DatabaseOption,
    console,
    fail,
    load_arena,
    user_errors,
)

if TYPE_CHECKING:
    from modelarena.audits.engine import AuditReport
    from modelarena.audits.probes import Suite

DEFAULT_WORK_DIR = Path(".arena-audit")


def _split(value: str | None) -> list[str]:
    return [v.strip() for v in (value or "").split(",") if v.strip()]


def _folder(value: Path) -> Path:
    if value.exists() and not value.is_dir():
        raise typer.BadParameter(f"{value} is a file; the work directory must be a folder")
    return value


class AuditBar:
    """One bar over the transcripts, with the running token and dollar count."""

    def __init__(self, enabled: bool) -> None:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self.bar = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            TextColumn("{task.fields[extra]}"),
            console=console,
            disable=not enabled,
            transient=False,
        )
        self._task = self.bar.add_task("transcripts", total=None, extra="")

    def start(self, total: int) -> None:
        self.bar.update(self._task, total=total)

    def item_done(self) -> None:
        self.bar.advance(self._task)

    def spent(self, usd: float, tokens: int) -> None:
        self.bar.update(self._task, extra=f"{tokens:,} tokens  ${usd:.4f}")


def _own_prompts(suites: list[Suite], path: Path) -> Suite:
    """The one named suite on the user's prompt file (``from_file``)."""
    if len(suites) != 1:
        fail("--prompts goes with one suite: name it alone with --suite")
    (suite,) = suites
    from_file = getattr(type(suite), "from_file", None)
    if from_file is None:
        fail(f"suite {suite.name!r} has its own prompts and takes no --prompts file")
    loaded: Suite = from_file(path)
    return loaded


def register(group: typer.Typer) -> None:
    group.command("run")(run_cmd)
    group.command("report")(report_cmd)


def run_cmd(
    config: ConfigOption = None,
    db: DatabaseOption = None,
    suite: Annotated[
        str,
        typer.Option("--suite", help="Comma-separated suites, e.g. jailbreak,hijack,overrefusal."),
    ] = "jailbreak,overrefusal",
    models: Annotated[
        str | None,
        typer.Option(
            "--models", help="Comma-separated model ids. Default: every configured model."
        ),
    ] = None,
    limit: Annotated[
        int | None,
        typer.Option(
            "--limit", min=1, help="At most N prompts per suite, shared fairly among its arms."
        ),
    ] = None,
    prompts: Annotated[
        Path | None,
        typer.Option(
            "--prompts",
            help="Your own prompt set (CSV, JSONL, JSON or text) for the one suite named.",
        ),
    ] = None,
    judge: Annotated[
        str,
        typer.Option(
            "--judge",
            help="'rules' (offline refusal rules) or judge model ids, comma-separated "
            "(majority vote).",
        ),
    ] = "rules",
    samples: Annotated[int, typer.Option("--samples", min=1, help="Answers per prompt.")] = 1,
    system_prompt: Annotated[
        str | None,
        typer.Option(
            "--system-prompt",
            help="The deployment's system prompt. Default: each model's configured one.",
        ),
    ] = None,
    temperature: Annotated[
        float | None,
        typer.Option("--temperature", min=0.0, help="Default: each model's configured one."),
    ] = None,
    max_tokens: Annotated[
        int | None,
        typer.Option("--max-tokens", min=1, help="Default: each model's configured one."),
    ] = None,
    keep_reasoning: Annotated[
        bool,
        typer.Option(
            "--keep-reasoning",
            help="Keep the reasoning trace with each answer and show it to the judges.",
        ),
    ] = False,
    budget: Annotated[
        float | None,
        typer.Option("--budget", min=0.0, help="Stop cleanly before this run spends more (USD)."),
    ] = None,
    concurrency: Annotated[
        int,
        typer.Option(
            "--concurrency", min=1, help="Requests at once per endpoint (server URL or model file)."
        ),
    ] = 4,
    resume: Annotated[
        bool,
        typer.Option(
            "--resume/--no-resume", help="Reuse the answers and verdicts in the run's cache."
        ),
    ] = True,
    run_name: Annotated[
        str | None,
        typer.Option("--run-name", help="Name of the run (its cache file). Default: the suites."),
    ] = None,
    judge_max_tokens: Annotated[int | None, typer.Option("--judge-max-tokens", min=1)] = None,
    retries: Annotated[int, typer.Option("--retries", min=0)] = 3,
    seed: Annotated[int, typer.Option("--seed", help="Which prompts --limit takes.")] = 0,
    work_dir: Annotated[
        Path,
        typer.Option("--work-dir", help="Where run caches (JSONL) are kept.", callback=_folder),
    ] = DEFAULT_WORK_DIR,
    progress: Annotated[bool | None, typer.Option("--progress/--no-progress")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the results as JSON.")] = False,
) -> None:
    """Audit models: every model answers each suite's prompts, judges label the answers,
    and the figures (each with n and a 95% interval) are stored with every setting."""
    from modelarena.audits.engine import AuditEngine, AuditError, AuditOptions
    from modelarena.audits.registry import UnknownSuite, get_suite
    from modelarena.audits.report import AuditView, print_table, to_json
    from modelarena.audits.suite_tools import PromptFileError
    from modelarena.runs.cache import Cache, default_cache_path

    with user_errors():
        arena = load_arena(config, db)
        try:
            names = _split(suite)
            if not names:
                fail("name at least one suite with --suite")
            suites = [get_suite(n) for n in dict.fromkeys(names)]
            if prompts is not None:
                suites = [_own_prompts(suites, prompts)]
            chosen = _split(models) or list(arena.contestants)
            judges = [] if judge.strip() == "rules" else _split(judge)
            if "rules" in judges:
                fail("--judge is either 'rules' or judge models, not both")
            name = run_name or "-".join(s.name for s in suites)
            cache = Cache(default_cache_path(work_dir, name), resume=resume)
            options = AuditOptions(
                models=chosen,
                judges=judges,
                limit=limit,
                samples=samples,
                system_prompt=system_prompt,
                temperature=temperature,
                max_tokens=max_tokens,
                keep_reasoning=keep_reasoning,
                concurrency=concurrency,
                budget_usd=budget,
                retries=retries,
                judge_max_tokens=judge_max_tokens,
                run_name=name,
                seed=seed,
            )
            show = console.is_terminal if progress is None else progress
            bar = AuditBar(show and not as_json)
            engine = AuditEngine(arena, suites, options, cache, progress=bar)

            async def go() -> AuditReport:
                try:
                    with bar.bar:
                        return await engine.run()
                finally:
                    await arena.aclose()

            report = asyncio.run(go())
        except (AuditError, UnknownSuite, PromptFileError) as exc:
            fail(str(exc))
        arena.store.close()
    if report.run is None:
        fail(
            f"stopped by the budget (${report.spent_usd:.4f} spent) after "
            f"{report.turns_generated} new answers; nothing was stored. What was answered is "
            f"cached in {cache.path}: rerun with a larger --budget to finish for the rest."
        )
    view = AuditView([report.run], report.metrics, report.comparisons)
    if as_json:
        console.print_json(to_json(view))
        return
    print_table(view, console)
    console.print(
        f"Run {report.run.id}: {report.items} transcripts ({report.turns_generated} answers "
        f"asked, {report.turns_reused} reused from {cache.path}; {report.judgments_generated} "
        f"judge calls), ${report.spent_usd:.4f} spent, {len(report.failures)} failed calls "
        "(counted as unknown, never as safe).",
        highlight=False,
    )
    console.print(f"Next: arena audit report --run {report.run.id} --format markdown")


def report_cmd(
    config: ConfigOption = None,
    db: DatabaseOption = None,
    fmt: Annotated[str, typer.Option("--format", help="table, json, csv or markdown.")] = "table",
    run: Annotated[
        str | None,
        typer.Option("--run", help="A run id. Default: the newest run per model and suite."),
    ] = None,
    suite: Annotated[str | None, typer.Option("--suite", help="Only this suite.")] = None,
    detail: Annotated[
        bool,
        typer.Option("--detail", help="Also the rows per prompt type and per dev template."),
    ] = False,
) -> None:
    """Show stored audit results with their n, 95% intervals, paired comparisons and the
    settings that produced them."""
    from modelarena.audits.report import (
        FORMATS,
        ReportError,
        gather,
        print_table,
        to_csv,
        to_json,
        to_markdown,
    )

    if fmt not in FORMATS:
        fail(f"unknown --format {fmt!r} (known: {', '.join(FORMATS)})")
    with user_errors():
        arena = load_arena(config, db)
        try:
            view = gather(arena.store.audit_results, run, suite)
        except ReportError as exc:
            fail(str(exc))
        finally:
            arena.store.close()
    if fmt == "json":
        print(to_json(view))
    elif fmt == "csv":
        print(to_csv(view), end="")
    elif fmt == "markdown":
        print(to_markdown(view, detail=detail), end="")
    else:
        print_table(view, console, detail=detail)
