"""``arena judge``: the automatic arena (LLM-as-judge battles) and its reports."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

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
from modelarena.cli.judge_output import (
    RichProgress,
    fmt_figure,
    print_leaderboard,
    print_report,
    report_dict,
)
from modelarena.cli.run_options import (
    BudgetOption,
    ConcurrencyOption,
    JudgeMaxTokensOption,
    ModelsOption,
    ProgressOption,
    ResumeOption,
    RetriesOption,
    WorkDirOption,
    progress_mode,
    run_closing,
    split_list,
)

if TYPE_CHECKING:
    from modelarena.arena import Arena
    from modelarena.judge.report import RunReport

judge_app = typer.Typer(
    name="judge",
    help="Automatic arena: a judge model votes on battles over a prompt set.",
    no_args_is_help=True,
)
prompts_app = typer.Typer(
    name="prompts", help="Prompt sets for the automatic arena.", no_args_is_help=True
)
judge_app.add_typer(prompts_app, name="prompts")


JudgeOption = Annotated[
    str | None,
    typer.Option(
        "--judge", help="The judging model (a configured id). Default: the first configured model."
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print the result as JSON.")]
DEFAULT_WORK_DIR = Path(".arena-judge")


def register(app: typer.Typer) -> None:
    app.add_typer(judge_app, name="judge")


def _judge_id(arena: Arena, judge: str | None) -> str:
    if judge:
        return judge
    if not arena.contestants:
        fail(
            "no models are configured and the bundled model is not installed "
            "(pip install 'modelarena[local]')"
        )
    return next(iter(arena.contestants))


@judge_app.command("run")
def run_cmd(
    config: ConfigOption = None,
    db: DatabaseOption = None,
    prompts: Annotated[
        str, typer.Option("--prompts", help="Prompt file (JSONL, CSV, text, Parquet) or 'builtin'.")
    ] = "builtin",
    models: ModelsOption = None,
    baseline: Annotated[
        str | None,
        typer.Option("--baseline", help="Compare every model with this one instead of every pair."),
    ] = None,
    judge: JudgeOption = None,
    category: Annotated[
        str | None, typer.Option("--category", help="Only prompts of this category.")
    ] = None,
    limit: Annotated[
        int | None,
        typer.Option("--limit", min=1, help="At most N prompts, taken in turn from each category."),
    ] = None,
    concurrency: ConcurrencyOption = 4,
    budget: BudgetOption = None,
    resume: ResumeOption = True,
    run_name: Annotated[
        str | None,
        typer.Option(
            "--run", help="Name of the run (its cache file). Default: the prompt set's name."
        ),
    ] = None,
    judge_max_tokens: JudgeMaxTokensOption = None,
    retries: RetriesOption = 3,
    work_dir: WorkDirOption = DEFAULT_WORK_DIR,
    progress: ProgressOption = None,
    as_json: JsonOption = False,
    screenshots: Annotated[
        bool,
        typer.Option(
            "--screenshots",
            help="Show the judge design answers as screenshots (rendered in Chromium) instead "
            "of their code; the judge must be an OpenAI-compatible model that accepts images.",
        ),
    ] = False,
) -> None:
    """Judge the configured models over a prompt set (the shipped one by default)."""
    from modelarena.designs import BrowserMissing
    from modelarena.judge.prompts import PromptSetError, load_prompts, round_robin
    from modelarena.judge.report import RunOptions
    from modelarena.judge.runner import JudgeRun, JudgeRunError
    from modelarena.runs.cache import Cache, default_cache_path

    with user_errors():
        arena = load_arena(config, db)
        try:
            items = load_prompts(prompts)
            if category:
                items = [i for i in items if i.category == category]
            items = round_robin(items, limit)
            if not items:
                fail("no prompts to run")
            judge_id = _judge_id(arena, judge)
            chosen = split_list(models) or list(arena.contestants)
            name = run_name or (Path(prompts).stem if prompts != "builtin" else "arena-100")
            cache = Cache(default_cache_path(work_dir, name), resume=resume)
            options = RunOptions(
                models=chosen,
                judge=judge_id,
                baseline=baseline,
                concurrency=concurrency,
                budget_usd=budget,
                retries=retries,
                judge_max_tokens=judge_max_tokens,
                run_name=name,
            )
            bars = RichProgress(progress_mode(progress, as_json))
            job = JudgeRun(arena, items, options, cache, progress=bars)
            if screenshots and arena.contestants[judge_id].backend != "openai":
                fail(
                    f"--screenshots: the judge {judge_id} runs on the "
                    f"{arena.contestants[judge_id].backend} backend, which takes no images; "
                    "pick an OpenAI-compatible judge that accepts images with --judge"
                )

            async def judged() -> RunReport:
                if not screenshots:
                    return await job.run()
                from modelarena.designs import AnswerScreenshots, Renderer

                async with Renderer() as renderer:
                    job.screenshot = AnswerScreenshots(renderer)
                    return await job.run()

            report = run_closing(arena, judged, bars.bar)
        except (PromptSetError, JudgeRunError) as exc:
            fail(str(exc))
        except BrowserMissing as exc:
            fail(f"--screenshots: {exc}")
        if as_json:
            console.print_json(json.dumps(report_dict(report), default=str))
        else:
            print_report(report)
            print_leaderboard(arena, report.source)
            console.print(
                f"Cache: {cache.path}. Next: arena judge agreement --judge {judge_id}; "
                "arena judge cost"
            )
        arena.store.close()


@judge_app.command("battles")
def battles_cmd(
    config: ConfigOption = None,
    db: DatabaseOption = None,
    judge: JudgeOption = None,
    limit: Annotated[int | None, typer.Option("--limit", min=1)] = None,
    concurrency: ConcurrencyOption = 4,
    budget: BudgetOption = None,
    judge_max_tokens: JudgeMaxTokensOption = None,
    work_dir: WorkDirOption = DEFAULT_WORK_DIR,
    as_json: JsonOption = False,
) -> None:
    """Judge the stored battles that humans voted on, so the two can be compared."""
    from modelarena.judge.report import RunOptions
    from modelarena.judge.runner import JudgeRun, JudgeRunError
    from modelarena.runs.cache import Cache, default_cache_path

    with user_errors():
        arena = load_arena(config, db)
        judge_id = _judge_id(arena, judge)
        try:
            options = RunOptions(
                models=[],
                judge=judge_id,
                concurrency=concurrency,
                budget_usd=budget,
                judge_max_tokens=judge_max_tokens,
                run_name="human-battles",
            )
            cache = Cache(default_cache_path(work_dir, "human-battles"))
            job = JudgeRun(arena, [], options, cache)
        except JudgeRunError as exc:
            fail(str(exc))
        todo = job.stored_battles_to_judge(limit)
        report = run_closing(arena, lambda: job.run_stored(todo))
        if as_json:
            console.print_json(json.dumps(report_dict(report), default=str))
        else:
            console.print(
                f"Judged {report.battles_stored} human-voted battles with "
                f"{report.source}: {report.votes_counted} counted, "
                f"{report.unparseable} unparseable, {len(report.inconsistent)} "
                f"inconsistent; spent ${report.spent_usd:.4f}."
            )
        arena.store.close()


@judge_app.command("agreement")
def agreement_cmd(
    config: ConfigOption = None,
    db: DatabaseOption = None,
    judge: JudgeOption = None,
    rounds: Annotated[int, typer.Option("--rounds", min=10, help="Bootstrap rounds.")] = 1000,
    as_json: JsonOption = False,
) -> None:
    """How well a judge agrees with the human votes, and its position and length bias."""
    from modelarena.judge.agreement import CLASSES, agreement_report
    from modelarena.judge.runner import JUDGE_SOURCE_PREFIX, judge_source

    with user_errors():
        arena = load_arena(config, db)
        if judge is None:
            judges = [s for s in arena.store.sources() if s.startswith(JUDGE_SOURCE_PREFIX)]
            if len(judges) > 1:
                fail("several judges have voted (" + ", ".join(judges) + "): pick one with --judge")
            source = judges[0] if judges else judge_source(_judge_id(arena, None))
        else:
            source = judge_source(judge)
            known = arena.store.sources()
            if judge not in arena.contestants and source not in known:
                from modelarena.backends.contestants import did_you_mean

                judges = [s.removeprefix(JUDGE_SOURCE_PREFIX) for s in known]
                judges = [j for j in judges if j != "human"]
                fail(
                    f"--judge {judge!r} is neither a configured model nor a judge that has "
                    f"voted{did_you_mean(judge, [*arena.contestants, *judges])}"
                )
        rep = agreement_report(arena.store, source, rounds=rounds)
        arena.store.close()
    if as_json:
        console.print_json(json.dumps(rep.to_dict()))
        return
    console.print(f"[bold]Agreement of {rep.judge_source} with human votes[/] (95% intervals)")
    table = Table(show_header=True)
    table.add_column("figure")
    table.add_column("value")
    table.add_row("judge verdicts", str(rep.judge_votes))
    table.add_row("unparseable (not counted)", fmt_figure(rep.unparseable))
    table.add_row("battles with both votes", str(rep.battles_both))
    table.add_row("agreement (A / B / tie)", fmt_figure(rep.agreement))
    table.add_row("Cohen's kappa", fmt_figure(rep.kappa, pct=False))
    table.add_row(
        f"Spearman, leaderboards ({len(rep.models)} models)", fmt_figure(rep.spearman, pct=False)
    )
    table.add_row("Kendall tau, leaderboards", fmt_figure(rep.kendall, pct=False))
    table.add_row("position bias: picks the first shown", fmt_figure(rep.position_bias))
    table.add_row("length bias: picks the longer (judge)", fmt_figure(rep.length_bias))
    table.add_row("length bias: picks the longer (humans)", fmt_figure(rep.human_length_bias))
    table.add_row("inconsistent after swapping sides", fmt_figure(rep.inconsistency))
    console.print(table)
    if rep.battles_both:
        conf = Table(title="Confusion: rows human, columns judge")
        conf.add_column("")
        for c in CLASSES:
            conf.add_column(c)
        for c, row in zip(CLASSES, rep.confusion, strict=True):
            conf.add_row(c, *map(str, row))
        console.print(conf)
    else:
        console.print(
            "No battle has both a human vote and a counted verdict of this judge: "
            "run `arena judge battles` to judge the human-voted battles."
        )


@judge_app.command("cost")
def cost_cmd(
    config: ConfigOption = None,
    work_dir: WorkDirOption = DEFAULT_WORK_DIR,
    as_json: JsonOption = False,
) -> None:
    """Tokens and dollars per model and per judge, from the run caches and catalog prices."""
    from modelarena.judge.cost import cost_report, total_usd
    from modelarena.runs.cache import cache_files

    with user_errors():
        arena = load_arena(config)
        files = cache_files(work_dir)

        def price(model: str, prompt_tokens: int, completion_tokens: int) -> float | None:
            cost: float | None = arena.model_info(model).cost_usd(prompt_tokens, completion_tokens)
            return cost

        rows = cost_report(files, price)
        arena.store.close()
    if as_json:
        console.print_json(json.dumps([r.to_dict() for r in rows]))
        return
    if not rows:
        console.print(f"No run caches in {work_dir}: run `arena judge run` first.")
        return
    table = Table(title=f"Automatic arena cost ({len(files)} run caches in {work_dir})")
    for col in ("role", "model", "calls", "prompt tokens", "completion tokens", "USD"):
        table.add_column(col)
    for r in rows:
        usd = "unpriced" if r.cost_usd is None else f"{r.cost_usd:.4f}"
        mark = " (some estimated)" if r.estimated_tokens else ""
        table.add_row(
            r.role,
            r.model,
            str(r.calls),
            f"{r.prompt_tokens:,}{mark}",
            f"{r.completion_tokens:,}",
            usd,
        )
    total, unpriced = total_usd(rows)
    console.print(table)
    console.print(
        f"Total ${total:.4f}" + ("  (some models have no catalog price)" if unpriced else "")
    )


@prompts_app.command("import")
def prompts_import_cmd(
    file: Annotated[Path, typer.Argument(help="JSONL, JSON, CSV, Parquet or plain text.")],
    out: Annotated[
        Path | None,
        typer.Option(
            "--out", help="Where to write the JSONL set. Default: <work-dir>/prompts/<name>.jsonl"
        ),
    ] = None,
    category: Annotated[
        str | None, typer.Option("--category", help="Category for prompts that have none.")
    ] = None,
    limit: Annotated[int | None, typer.Option("--limit", min=1)] = None,
    work_dir: WorkDirOption = DEFAULT_WORK_DIR,
) -> None:
    """Import a prompt set (also the prompts of published arena logs) as JSONL."""
    from modelarena.judge.prompts import PromptSetError, by_category, load_prompts, write_prompts

    try:
        items = load_prompts(file, category=category)
    except PromptSetError as exc:
        fail(str(exc))
    if limit is not None:
        items = items[:limit]
    target = out or work_dir / "prompts" / f"{file.stem}.jsonl"
    count = write_prompts(items, target)
    counts = ", ".join(f"{c} {n}" for c, n in sorted(by_category(items).items()))
    console.print(
        f"Imported {count} prompts ({counts}) into {target}. "
        f"Run them: arena judge run --prompts {target}"
    )


@prompts_app.command("show")
def prompts_show_cmd(
    source: Annotated[str, typer.Argument(help="A prompt file or 'builtin'.")] = "builtin",
    count: Annotated[int, typer.Option("--count", "-n", help="Prompts to print.")] = 5,
) -> None:
    """Count a prompt set's prompts per category and print a few."""
    from modelarena.judge.prompts import PromptSetError, by_category, load_prompts

    try:
        items = load_prompts(source)
    except PromptSetError as exc:
        fail(str(exc))
    counts = ", ".join(f"{c} {n}" for c, n in sorted(by_category(items).items()))
    console.print(f"{len(items)} prompts: {counts}")
    for item in items[:count]:
        console.print(f"  ({item.category}) {item.prompt[:100]}", highlight=False, markup=False)
