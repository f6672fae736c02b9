"""``arena audit validate-judge``: how often a judge agrees with people (docs/audits.md)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from modelarena.cli.common import ConfigOption, DatabaseOption, console, fail, note, user_errors
from modelarena.cli.run_options import (
    BudgetOption,
    ConcurrencyOption,
    JudgeMaxTokensOption,
    ProgressMode,
    ProgressOption,
    RetriesOption,
    progress_mode,
    run_progress,
    split_list,
    work_folder,
)

if TYPE_CHECKING:
    from modelarena.arena import Arena
    from modelarena.audits.label_sets import LabelSet, Skipped
    from modelarena.audits.probes import Suite
    from modelarena.audits.validate import SetScore, Validation
    from modelarena.ratings.proportions import Figure

DEFAULT_WORK_DIR = Path(".arena-audit")


def register(group: typer.Typer) -> None:
    group.command("validate-judge")(validate_judge_cmd)


def validate_judge_cmd(
    judge: Annotated[
        str,
        typer.Option(
            "--judge",
            help="'rules' (offline), or configured model ids, comma-separated: each judge is "
            "scored, and with several their majority vote too.",
        ),
    ] = "rules",
    sets: Annotated[
        str | None,
        typer.Option(
            "--set",
            help="Comma-separated: refusal, refusal_extra, info, xstest. Default: all of them "
            "(or none when --labels is given).",
        ),
    ] = None,
    labels: Annotated[
        list[Path] | None,
        typer.Option(
            "--labels",
            help="A CSV or JSONL of labelled answers (prompt, answer, label[, suite, "
            "language, type]); XSTest's labelled completions work as they are. Repeatable.",
        ),
    ] = None,
    limit: Annotated[
        int | None,
        typer.Option(
            "--limit", min=1, help="At most N answers from each set, in turn from each label."
        ),
    ] = None,
    output: Annotated[
        str, typer.Option("--format", help="table or json.", case_sensitive=False)
    ] = "table",
    rounds: Annotated[int, typer.Option("--rounds", min=10, help="Bootstrap rounds.")] = 1000,
    config: ConfigOption = None,
    db: DatabaseOption = None,
    concurrency: ConcurrencyOption = 4,
    budget: BudgetOption = None,
    retries: RetriesOption = 3,
    judge_max_tokens: JudgeMaxTokensOption = None,
    resume: Annotated[
        bool,
        typer.Option("--resume/--no-resume", help="Reuse the judgments already in the cache."),
    ] = True,
    work_dir: Annotated[
        Path,
        typer.Option(
            "--work-dir", help="Where the judgments cache (JSONL) is kept.", callback=work_folder
        ),
    ] = DEFAULT_WORK_DIR,
    progress: ProgressOption = None,
) -> None:
    """Measure a judge against human labels: accuracy and Cohen's kappa with intervals."""
    from modelarena.audits.label_sets import RULES, LabelSetError

    fmt = output.lower()
    if fmt not in ("table", "json"):
        fail(f"--format {output!r}: use table or json")
    judges = split_list(judge)
    if not judges:
        fail("--judge needs 'rules' or configured model ids")
    if RULES in judges and len(judges) > 1:
        fail("--judge rules cannot be mixed with model judges: run them apart")
    if len(set(judges)) != len(judges):
        fail(f"--judge names a judge twice: {judge}")
    try:
        chosen, skipped, suites = _label_sets(split_list(sets), labels or [], limit)
    except LabelSetError as exc:
        fail(str(exc))
    if not chosen:
        reasons = "; ".join(f"{s.name}: {s.reason}" for s in skipped)
        fail(f"no labelled answers to score ({reasons})" if reasons else "no sets chosen")
    with user_errors():
        # the configuration and database are read whenever they are named (so a mistake in
        # them is reported), and always for model judges, which need the configured models
        arena = None
        if config is not None or db is not None or judges != [RULES]:
            from modelarena.cli.common import load_arena

            arena = load_arena(config, db)
        report = _run(
            chosen,
            judges,
            suites,
            arena,
            rounds=rounds,
            concurrency=concurrency,
            budget=budget,
            retries=retries,
            judge_max_tokens=judge_max_tokens,
            resume=resume,
            work_dir=work_dir,
            show=progress_mode(progress, fmt != "table"),
        )
    report.skipped.extend(skipped)
    if fmt == "json":
        console.print_json(json.dumps(report.to_dict()))
    else:
        _print(report)


def _label_sets(
    names: list[str], files: list[Path], limit: int | None
) -> tuple[list[LabelSet], list[Skipped], dict[str, Suite]]:
    from modelarena.audits.label_sets import (
        SETS,
        XSTEST_SKIP,
        LabelSetError,
        Skipped,
        file_set,
        info_sets,
        pyrit_set,
        take,
    )

    unknown = [n for n in names if n not in SETS]
    if unknown:
        raise LabelSetError(f"--set {', '.join(unknown)}: unknown (known: {', '.join(SETS)})")
    if not names and not files:
        names = list(SETS)
    out: list[LabelSet] = []
    skipped: list[Skipped] = []
    suites: dict[str, Suite] = {}
    for name in names:
        if name in ("refusal", "refusal_extra"):
            out.append(pyrit_set(name))
        elif name == "xstest":
            skipped.append(Skipped("xstest", XSTEST_SKIP))
        elif name == "info":
            found = info_sets(suites=_suites(("censorship", "narratives", "falseclaims"), suites))
            if not found:
                skipped.append(
                    Skipped("info", "no hand-labelled answers in audits/data/info_labels yet")
                )
            out.extend(found)
    for path in files:
        out.append(file_set(path))
    for label_set in out:
        if label_set.suite:
            _suites((label_set.suite,), suites)
    kept = []
    for label_set in out:
        if label_set.suite and label_set.suite not in suites:
            skipped.append(
                Skipped(label_set.name, f"suite {label_set.suite!r} is not registered here")
            )
            continue
        kept.append(take(label_set, limit))
    return kept, skipped, suites


def _suites(names: tuple[str, ...], into: dict[str, Suite]) -> dict[str, Suite]:
    from modelarena.audits.registry import UnknownSuite, get_suite

    for name in names:
        if name in into:
            continue
        try:
            into[name] = get_suite(name)
        except (UnknownSuite, ImportError):  # not registered or not installed here: skipped
            continue
    return into


def _run(
    sets: list[LabelSet],
    judges: list[str],
    suites: dict[str, Suite],
    arena: Arena | None,
    *,
    rounds: int,
    concurrency: int,
    budget: float | None,
    retries: int,
    judge_max_tokens: int | None,
    resume: bool,
    work_dir: Path,
    show: ProgressMode,
) -> Validation:
    from modelarena.audits.label_sets import RULES
    from modelarena.audits.validate import EndpointJudges, validate, validation_warnings

    total = sum(len(s.items) for s in sets)
    bar = run_progress(show)
    task = bar.add_task("answers judged", total=total, extra="")
    if judges == [RULES] or arena is None:
        if arena is not None:
            arena.store.close()
        with bar:
            return asyncio.run(
                validate(sets, judges, suites=suites, rounds=rounds, done=lambda: bar.advance(task))
            )
    from modelarena.runs.budget import Budget, BudgetExhausted
    from modelarena.runs.cache import Cache

    missing = [j for j in judges if j not in arena.contestants]
    if missing:
        from modelarena.backends.contestants import did_you_mean

        known = list(arena.contestants)
        arena.store.close()
        fail(
            f"--judge {missing[0]!r} is not a configured model"
            f"{did_you_mean(missing[0], known)} (configured: {', '.join(known) or 'none'})"
        )
    options = _Policy(concurrency, retries)
    cache = Cache(work_dir / "validate-judge.jsonl", resume=resume)
    callers = EndpointJudges(arena, options, Budget(budget), cache, max_tokens=judge_max_tokens)

    def advance() -> None:
        bar.update(task, advance=1, extra=f"{callers.tokens:,} tokens  ${callers.budget.spent:.4f}")

    async def go() -> Validation:
        try:
            with bar:
                return await validate(
                    sets, judges, ask=callers.ask, suites=suites, rounds=rounds, done=advance
                )
        finally:
            await arena.aclose()

    origins = []
    for j in judges:
        info = arena.model_info(j)
        origins.append((j, info.lab, info.country))
    try:
        report = asyncio.run(go())
    except BudgetExhausted:
        fail(
            f"the budget (${budget}) ran out before every answer was judged; what was "
            f"judged is cached in {cache.path}: raise --budget and rerun"
        )
    finally:
        arena.store.close()
    report.warnings.extend(validation_warnings(sets, origins, suites))
    if callers.generated or callers.reused:
        note(
            f"{callers.generated} judgments asked, {callers.reused} reused from {cache.path}; "
            f"spent ${callers.budget.spent:.4f}"
        )
    return report


class _Policy:
    """The call policy of the judges (concurrency per endpoint, retries)."""

    def __init__(self, concurrency: int, retries: int, backoff_s: float = 1.0) -> None:
        self.concurrency = concurrency
        self.retries = retries
        self.backoff_s = backoff_s


# ---------------------------------------------------------------- the table


def _fig(fig: Figure, pct: bool) -> str:
    if fig.value is None:
        return "n/a"
    if pct:
        text = f"{fig.value:.1%}"
        if fig.lower is not None and fig.upper is not None:
            text += f" [{fig.lower:.1%}, {fig.upper:.1%}]"
        return text
    text = f"{fig.value:.3f}"
    if fig.lower is not None and fig.upper is not None:
        text += f" [{fig.lower:.3f}, {fig.upper:.3f}]"
    return text


def _print(report: Validation) -> None:
    table = Table(
        title="Judges against human labels: accuracy with its Wilson interval, Cohen's kappa "
        "with a bootstrap interval (95%)"
    )
    for col in ("set", "judge", "n", "accuracy", "kappa", "labelled", "accuracy if labelled"):
        table.add_column(col)
    for s in report.scores:
        table.add_row(
            s.set,
            s.judge,
            str(s.n),
            _fig(s.accuracy, True),
            _fig(s.kappa, False),
            f"{s.n - s.unknown}/{s.n}",
            _fig(s.accuracy_labelled, True),
        )
    console.print(table)
    for s in report.scores:
        _print_confusion(s)
    for name, agreement in report.agreement.items():
        pairs = Table(title=f"Agreement between the judges on {name}")
        for col in ("judges", "n", "agreement (Wilson)", "Cohen's kappa"):
            pairs.add_column(col)
        for p in agreement.pairs:
            pairs.add_row(
                f"{p.judge_a} / {p.judge_b}",
                str(p.agreement.n),
                _fig(p.agreement, True),
                _fig(p.kappa, False),
            )
        pairs.add_row("all (Fleiss)", str(agreement.fleiss.n), "", _fig(agreement.fleiss, False))
        console.print(pairs)
    for skip in report.skipped:
        note(f"{skip.name} skipped: {skip.reason}")
    for warning in report.warnings:
        note(warning)


def _print_confusion(s: SetScore) -> None:
    conf = Table(title=f"{s.set}, {s.judge}: rows people, columns judge")
    conf.add_column("")
    for col in s.judge_labels:
        conf.add_column(col)
    for label, row in zip(s.human_labels, s.confusion, strict=True):
        conf.add_row(label, *map(str, row))
    console.print(conf)
    if s.collapsed:
        folded = ", ".join(f"{h} -> {j}" for h, j in s.collapsed.items())
        console.print(f"  the judge labels more coarsely than people: scored with {folded}")
    for g in s.groups:
        acc: dict[str, Any] = g["accuracy"]
        console.print(
            f"  {g['group']}: accuracy {acc['value']:.1%} "
            f"[{acc['lower']:.1%}, {acc['upper']:.1%}] (n={g['n']})"
        )
