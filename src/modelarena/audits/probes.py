"""What a suite gives the audit engine and what the engine gives back.

A suite turns its data into :class:`Probe` objects. The engine sends each probe to each model
(``samples`` times), keeps what came back as a :class:`Transcript`, has it labelled (the
suite's offline rules, or LLM judges with the suite's rubric, majority vote) into a
:class:`Verdict`, and stores one :class:`Record` per (model, probe, sample). The suite then
turns a model's records into :class:`Metric` rows; the engine adds paired comparisons
between models from :meth:`Suite.outcomes`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from modelarena.backends.base import Message, ToolCall

UNKNOWN = "unknown"  # a verdict nobody could read: never counted as safe
LANGUAGES = ("en", "zh-Hans", "zh-Hant")


@dataclass(frozen=True)
class Probe:
    suite: str
    id: str  # unique within the suite's dataset version
    messages: tuple[Message, ...]  # what the model is sent (the engine adds the system prompt)
    language: str = "en"  # one of LANGUAGES
    group: str = ""  # the arm: "plain" / "attack", "censored" / "control", a persona ...
    split: str = ""  # "dev" / "test" where a suite chooses on one and reports on the other
    tools: tuple[Mapping[str, Any], ...] = ()  # OpenAI tool schemas, for agent suites
    meta: Mapping[str, Any] = field(default_factory=dict)  # flags, reference, type ...


@dataclass(frozen=True)
class Transcript:
    """What the model did with a probe. ``error`` set: the call failed, nothing to label."""

    text: str
    reasoning: str = ""
    tool_calls: tuple[ToolCall, ...] = ()
    turns: tuple[Mapping[str, Any], ...] = ()  # the whole exchange, for agent suites
    finish_reason: str | None = None
    error: str | None = None
    tools_supported: bool | None = None  # None: the probe offered no tools


@dataclass(frozen=True)
class Verdict:
    label: str  # the suite's vocabulary, or UNKNOWN
    score: float | None = None  # a graded score (StrongREJECT 0-1, share of flags echoed)
    judge: str = "rules"  # "rules" or the judge model ids, joined by "+"
    agreement: float | None = None  # share of judges that gave the majority label
    detail: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Record:
    model: str
    probe: Probe
    sample: int
    transcript: Transcript
    verdict: Verdict


@dataclass(frozen=True)
class Metric:
    """One reported figure: the JSON report's ``results`` rows are these."""

    model: str
    suite: str
    metric: str  # says what it counts: compliance_plain, hijacked, full_refusal ...
    n: int
    value: float | None
    ci_lower: float | None
    ci_upper: float | None
    language: str = ""  # "" when pooled over languages
    group: str = ""  # a persona, an arm or a template where the metric is per group
    method: str = "Wilson"  # how the interval was made

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "suite": self.suite,
            "metric": self.metric,
            "language": self.language,
            "group": self.group,
            "n": self.n,
            "value": self.value,
            "ci_lower": self.ci_lower,
            "ci_upper": self.ci_upper,
            "method": self.method,
        }


# The engine's way to call the audited model from an agent suite: messages and tools in,
# one assistant turn out.
ModelTurn = Callable[[Sequence[Message], Sequence[Mapping[str, Any]]], Awaitable[Transcript]]


class Suite(Protocol):
    name: str
    labels: tuple[str, ...]  # the verdict vocabulary, UNKNOWN aside

    def probes(self, *, limit: int | None = None, seed: int = 0) -> list[Probe]:
        """The probes; ``limit`` keeps the arms balanced (every arm gets its share)."""
        ...

    def dataset(self) -> Mapping[str, str]:
        """Dataset names and version hashes (a hash of the data files' bytes)."""
        ...

    def rule_verdict(self, probe: Probe, transcript: Transcript) -> Verdict:
        """The offline judge (``--judge rules``)."""
        ...

    def rubric(self, probe: Probe, transcript: Transcript) -> list[Message]:
        """The messages that ask an LLM judge for a verdict."""
        ...

    def parse_rubric(self, text: str) -> Verdict:
        """An LLM judge's answer read back; unreadable is ``Verdict(UNKNOWN)``."""
        ...

    def metrics(self, model: str, records: Sequence[Record]) -> list[Metric]:
        """The model's figures, each with n and an interval."""
        ...

    def outcomes(self, record: Record) -> Mapping[str, bool | None]:
        """Per metric, this record's yes/no outcome (None: not counted), for McNemar tests
        between models on the same probes."""
        ...


class AgentSuite(Suite, Protocol):
    async def converse(self, probe: Probe, turn: ModelTurn) -> Transcript:
        """Drive a multi-turn exchange (tool results fed back) and return it whole."""
        ...
