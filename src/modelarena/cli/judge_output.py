"""How the automatic arena looks in the terminal: progress bars, run summary, tables."""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from rich.table import Table

from modelarena.cli.common import console
from modelarena.cli.run_options import ProgressMode, run_progress

if TYPE_CHECKING:
    from modelarena.arena import Arena
    from modelarena.judge.report import RunReport
    from modelarena.ratings.proportions import Figure


class RichProgress:
    """Two bars (answers, battles) and the running token and dollar count."""

    def __init__(self, mode: ProgressMode) -> None:
        self.bar = run_progress(mode)
        self._answers = self.bar.add_task("answers", total=None, extra="")
        self._battles = self.bar.add_task("battles", total=None, extra="")

    def start(self, answers: int, battles: int) -> None:
        self.bar.update(self._answers, total=answers, visible=answers > 0)
        self.bar.update(self._battles, total=battles)

    def answer_done(self) -> None:
        self.bar.advance(self._answers)

    def battle_done(self) -> None:
        self.bar.advance(self._battles)

    def spent(self, usd: float, tokens: int) -> None:
        self.bar.update(self._battles, extra=f"{tokens:,} tokens  ${usd:.4f}")


def fmt_figure(fig: Figure, pct: bool = True) -> str:
    if fig.value is None:
        return f"n/a (n={fig.n})"
    if pct:
        body = f"{fig.value:.1%}"
        if fig.lower is not None and fig.upper is not None:
            body += f"  [{fig.lower:.1%}, {fig.upper:.1%}]"
    else:
        body = f"{fig.value:+.3f}"
        if fig.lower is not None and fig.upper is not None:
            body += f"  [{fig.lower:+.3f}, {fig.upper:+.3f}]"
    return f"{body}  (n={fig.n})"


def print_report(report: RunReport) -> None:
    console.print(
        f"[bold]{report.source}[/]: {report.prompts} prompts x {len(report.pairs)} pairs; "
        f"battles stored {report.battles_stored}, reused {report.battles_reused}; "
        f"answers generated {report.answers_generated}, reused {report.answers_reused}; "
        f"judgments generated {report.judgments_generated}, reused {report.judgments_reused}."
    )
    console.print(
        f"Counted verdicts {report.votes_counted}, unparseable (stored, not counted) "
        f"{report.unparseable}, inconsistent after the swap {len(report.inconsistent)}; "
        f"spent ${report.spent_usd:.4f}."
    )
    if any(report.judge in pair for pair in report.pairs):
        console.print(
            f"[yellow]Note:[/] the judge {report.judge} also plays; judges tend to "
            "prefer their own answers (self-preference)."
        )
    if report.stopped_by_budget:
        console.print(
            f"[yellow]Budget reached:[/] {report.skipped_by_budget} battles not run. "
            "Rerun with a larger --budget to finish; nothing done is paid again."
        )
    for item in report.inconsistent[:10]:
        console.print(
            f"  inconsistent: prompt {item['prompt']} {item['model_a']} vs "
            f"{item['model_b']}: {item['labels'][0]} / swapped {item['labels'][1]}"
        )
    for failure in report.failures[:10]:
        console.print(
            f"  [red]failed[/] {failure['pair']} on {failure['prompt']}: "
            f"{failure['reason']} {failure['message']}"
        )
    if report.wins:
        table = Table(title="Judge verdicts (one per battle)")
        from modelarena.ratings.proportions import wilson

        for col in ("model", "wins", "losses", "ties", "win rate (ties half)", "95% CI"):
            table.add_column(col)
        for model, (w, lost, t) in sorted(report.wins.items(), key=lambda kv: -kv[1][0]):
            n = int(w + lost + t)
            fig = wilson(w + t / 2, n)
            ci = f"{fig.lower:.0%} - {fig.upper:.0%}" if fig.lower is not None else "-"
            rate = f"{(w + t / 2) / n:.1%}" if n else "-"
            table.add_row(model, f"{w:g}", f"{lost:g}", f"{t:g}", rate, ci)
        console.print(table)


def report_dict(report: RunReport) -> dict[str, Any]:
    return asdict(report)


def print_leaderboard(arena: Arena, source: str) -> None:
    from modelarena.leaderboard import LeaderboardFilters, compute_leaderboard

    board = compute_leaderboard(arena.store, arena.model_info, LeaderboardFilters(source=source))
    if not board.rows:
        console.print(f"No counted votes from {source} yet: no leaderboard.")
        return
    table = Table(title=f"Leaderboard, source {source} ({board.total_votes} votes)")
    for col in ("rank", "model", "name", "rating", "95% CI", "votes"):
        table.add_column(col)
    for r in board.rows:
        table.add_row(
            "-" if r.rank is None else str(r.rank),
            r.model,
            r.display_name,
            f"{r.rating:.0f}",
            "not enough votes"
            if r.ci_lower is None or r.ci_upper is None
            else f"{r.ci_lower:.0f} - {r.ci_upper:.0f}",
            str(r.votes),
        )
    console.print(table)
