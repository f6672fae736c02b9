"""What a judge run is asked to do, and what it reports as it goes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol


class Progress(Protocol):
    def start(self, answers: int, battles: int) -> None: ...
    def answer_done(self) -> None: ...
    def battle_done(self) -> None: ...
    def spent(self, usd: float, tokens: int) -> None: ...


class NoProgress:
    """Progress that shows nothing (library use and tests)."""

    def start(self, answers: int, battles: int) -> None: ...
    def answer_done(self) -> None: ...
    def battle_done(self) -> None: ...
    def spent(self, usd: float, tokens: int) -> None: ...


@dataclass
class RunOptions:
    models: Sequence[str]
    judge: str
    baseline: str | None = None
    concurrency: int = 4
    budget_usd: float | None = None
    retries: int = 3
    backoff_s: float = 1.0
    judge_max_tokens: int | None = None  # default: the judge's configured max_tokens
    run_name: str = "default"


@dataclass
class Usage:
    calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    unpriced: bool = False

    def add(self, prompt_tokens: int, completion_tokens: int, cost: float | None) -> None:
        self.calls += 1
        self.prompt_tokens += prompt_tokens
        self.completion_tokens += completion_tokens
        if cost is None:
            self.unpriced = True
        else:
            self.cost_usd += cost


@dataclass
class RunReport:
    judge: str
    source: str
    pairs: list[tuple[str, str]]
    prompts: int
    answers_generated: int = 0
    answers_reused: int = 0
    judgments_generated: int = 0
    judgments_reused: int = 0
    battles_stored: int = 0
    battles_reused: int = 0
    votes_counted: int = 0
    unparseable: int = 0
    inconsistent: list[dict[str, Any]] = field(default_factory=list)
    failures: list[dict[str, str]] = field(default_factory=list)
    skipped_by_budget: int = 0
    stopped_by_budget: bool = False
    spent_usd: float = 0.0
    usage: dict[str, Usage] = field(default_factory=dict)  # per model (answers)
    judge_usage: Usage = field(default_factory=Usage)
    wins: dict[str, list[float]] = field(default_factory=dict)  # model -> [w, l, t]

    @property
    def battles(self) -> int:
        return self.battles_stored + self.battles_reused
