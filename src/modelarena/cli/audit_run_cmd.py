"""``arena audit run`` and ``arena audit report``: audit the configured models with the
chosen suites, and show the stored results (docs/audits.md)."""

from __future__ import annotations

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
from modelarena.cli.run_options import (
    BudgetOption,
    ConcurrencyOption,
    JudgeMaxTokensOption,
    ModelsOption,
    ProgressMode,
    ProgressOption,
    ResumeOption,
    RetriesOption,
    WorkDirOption,
    progress_mode,
    run_closing,
    run_progress,
    split_list,
)

if TYPE_CHECKING:
    from modelarena.audits.probes import Suite

DEFAULT_WORK_DIR = Path(".arena-audit")


class AuditBar:
    """One bar over the transcripts, with the running token and dollar count."""

    def __init__(self, mode: ProgressMode) -> None:
        self.bar = run_progress(mode, remaining=True)
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
    models: ModelsOption = None,
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
    budget: BudgetOption = None,
    concurrency: ConcurrencyOption = 4,
    resume: ResumeOption = True,
    run_name: Annotated[
        str | None,
        typer.Option("--run-name", help="Name of the run (its cache file). Default: the suites."),
    ] = None,
    judge_max_tokens: JudgeMaxTokensOption = None,
    retries: RetriesOption = 3,
    seed: Annotated[int, typer.Option("--seed", help="Which prompts --limit takes.")] = 0,
    work_dir: WorkDirOption = DEFAULT_WORK_DIR,
    progress: ProgressOption = None,
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
            names = split_list(suite)
            if not names:
                fail("name at least one suite with --suite")
            suites = [get_suite(n) for n in dict.fromkeys(names)]
            if prompts is not None:
                suites = [_own_prompts(suites, prompts)]
            chosen = split_list(models) or list(arena.contestants)
            judges = [] if judge.strip() == "rules" else split_list(judge)
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
            bar = AuditBar(progress_mode(progress, as_json))
            engine = AuditEngine(arena, suites, options, cache, progress=bar)
            report = run_closing(arena, engine.run, bar.bar)
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
