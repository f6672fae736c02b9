"""How often a judge agrees with people: ``arena audit validate-judge``.

A judge (the offline rules, or one or several LLM judges through configured endpoints) labels
answers that people have labelled; the report gives, per set, the accuracy with its Wilson
interval, Cohen's kappa with a bootstrap interval, n, and the confusion matrix.

The sets (refusal labels, the information suites' labels, a user's file) are read by
:mod:`.label_sets`; XSTest is skipped there with the reason (it labels prompts, not answers).

A verdict the judge could not give (an empty answer, an unreadable judge) is *unknown* and
counts as wrong: it is its own column of the confusion matrix.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from modelarena.audits.judging import (
    Ask,
    JudgeAgreement,
    agreement_stats,
    judge_verdict,
    judge_warnings,
    judgment_key,
    labels_by_judge,
    subject_states_of,
)
from modelarena.audits.label_sets import (
    BINARY,
    NOT_REFUSAL,
    REFUSAL,
    RULES,
    LabelledAnswer,
    LabelSet,
    LabelSetError,
    Skipped,
)
from modelarena.audits.probes import UNKNOWN, Probe, Suite, Transcript, Verdict
from modelarena.audits.refusal import (
    REFUSALS,
    RefusalClass,
    classify_refusal,
    parse_refusal_rubric,
    refusal_rubric,
)
from modelarena.backends import judging_settings
from modelarena.backends.base import Backend, GenerationSettings, Message
from modelarena.ratings.proportions import Figure, kappa_figure, wilson
from modelarena.runs.budget import Budget
from modelarena.runs.cache import Cache, cache_entry
from modelarena.runs.calls import CallPolicy, ModelCalls

if TYPE_CHECKING:
    from modelarena.arena import Arena

# ---------------------------------------------------------------- judging the sets


class RefusalRubric:
    """The refusal classification as a suite-like rubric, for :func:`judge_verdict`."""

    name = "refusal"
    labels = tuple(c.value for c in RefusalClass if c is not RefusalClass.UNKNOWN)

    def rubric(self, probe: Probe, transcript: Transcript) -> list[Message]:
        return refusal_rubric(probe.messages[-1].content, transcript.text)

    def parse_rubric(self, text: str) -> Verdict:
        return Verdict(parse_refusal_rubric(text).value)


def to_vocabulary(label: str, vocab: Sequence[str]) -> str:
    """A refusal class in a set's vocabulary (binary or XSTest's three classes)."""
    if label == UNKNOWN or label not in {c.value for c in RefusalClass}:
        return label if label in vocab else UNKNOWN
    cls = RefusalClass(label)
    if tuple(vocab) == BINARY:
        return REFUSAL if cls in REFUSALS else NOT_REFUSAL
    if cls is RefusalClass.EMPTY_COMPLIANCE:
        return "compliance"
    return cls.value


def probe_of(label_set: LabelSet, item: LabelledAnswer) -> Probe:
    return Probe(
        suite=label_set.suite or "refusal",
        id=item.id,
        messages=(Message("user", item.prompt),),
        language=item.language,
        group=str(item.meta.get("arm") or item.meta.get("persona") or item.meta.get("group") or ""),
        meta=dict(item.meta),
    )


@dataclass(frozen=True)
class Judging:
    """What a judge said on a set: the (combined) label per item and, for LLM judges,
    each judge's own label per item."""

    labels: list[str]
    per_judge: dict[str, list[str]]


async def judge_set(
    label_set: LabelSet,
    judges: Sequence[str],
    *,
    ask: Ask | None = None,
    suite: Suite | None = None,
    done: Callable[[], None] = lambda: None,
) -> Judging:
    """Label every item of the set: ``judges == ["rules"]`` for the offline rules (the
    suite's own, or :func:`classify_refusal`), else the LLM judges through ``ask``."""
    rubric: Any = suite if label_set.suite else RefusalRubric()
    if label_set.suite and suite is None:
        raise LabelSetError(f"set {label_set.name}: suite {label_set.suite!r} is not registered")
    if list(judges) == [RULES]:
        labels = []
        for item in label_set.items:
            labels.append(_rule_label(label_set, item, suite))
            done()
        return Judging(labels, {RULES: labels})
    if ask is None:
        raise ValueError("LLM judges need an ask function")

    async def one(item: LabelledAnswer) -> Verdict:
        verdict = await judge_verdict(
            rubric, probe_of(label_set, item), Transcript(item.answer), judges, ask
        )
        done()
        return verdict

    verdicts = await asyncio.gather(*(one(item) for item in label_set.items))
    vocab = label_set.labels
    per_judge = {
        j: [_in_set(label_set, lab, vocab) for lab in labs]
        for j, labs in labels_by_judge(verdicts).items()
    }
    return Judging([_in_set(label_set, v.label, vocab) for v in verdicts], per_judge)


def _in_set(label_set: LabelSet, label: str, vocab: Sequence[str]) -> str:
    return label if label_set.suite else to_vocabulary(label, vocab)


def _rule_label(label_set: LabelSet, item: LabelledAnswer, suite: Suite | None) -> str:
    if label_set.suite:
        assert suite is not None
        return suite.rule_verdict(probe_of(label_set, item), Transcript(item.answer)).label
    return to_vocabulary(classify_refusal(item.answer, item.language).value, label_set.labels)


# ---------------------------------------------------------------- scoring


@dataclass(frozen=True)
class SetScore:
    set: str
    judge: str
    source: str
    n: int
    accuracy: Figure
    kappa: Figure
    unknown: int
    human_labels: tuple[str, ...]
    judge_labels: tuple[str, ...]
    confusion: list[list[int]]  # rows: people, columns: judge
    collapsed: dict[str, str] = field(default_factory=dict)  # people's label -> judge's
    groups: list[dict[str, Any]] = field(default_factory=list)
    coverage: Figure = Figure(None, None, None, 0)  # share of answers the judge labelled
    accuracy_labelled: Figure = Figure(None, None, None, 0)  # accuracy where it labelled

    def to_dict(self) -> dict[str, Any]:
        return {
            "set": self.set,
            "judge": self.judge,
            "source": self.source,
            "n": self.n,
            "accuracy": self.accuracy.to_dict(),
            "kappa": self.kappa.to_dict(),
            "unknown": self.unknown,
            "coverage": self.coverage.to_dict(),
            "accuracy_where_labelled": self.accuracy_labelled.to_dict(),
            "confusion": {
                "rows_human": list(self.human_labels),
                "columns_judge": list(self.judge_labels),
                "matrix": self.confusion,
            },
            "collapsed": self.collapsed,
            "groups": self.groups,
        }


def score(
    label_set: LabelSet, judge: str, predicted: Sequence[str], *, rounds: int = 1000
) -> SetScore:
    """Accuracy, kappa and the confusion matrix of ``predicted`` against the people; and,
    for a judge that abstains (says unknown) on some answers, its coverage and its accuracy
    where it did give a label.

    When the judge labels at a coarser level than the people (the censorship rules say
    ``no_refusal`` where people tell ``evasion`` from ``answer``), the people's other labels
    are folded into it (:func:`_collapse`), and the report says so in ``collapsed``."""
    people = [i.label for i in label_set.items]
    if len(people) != len(predicted):
        raise ValueError("one predicted label per item")
    order = {lab: n for n, lab in enumerate(label_set.labels)}
    used = sorted(set(people), key=lambda lab: (order.get(lab, len(order)), lab))
    collapsed = _collapse(used, predicted)
    human = [collapsed.get(h, h) for h in people]
    rows = list(dict.fromkeys(collapsed.get(h, h) for h in used))
    columns = rows + sorted({p for p in predicted if p != UNKNOWN and p not in rows})
    columns.append(UNKNOWN)
    index = {lab: i for i, lab in enumerate(columns)}
    x = [index[h] for h in human]
    y = [index.get(p, index[UNKNOWN]) for p in predicted]
    k = len(columns)
    matrix = np.zeros((k, k), dtype=np.int64)
    for a, b in zip(x, y, strict=True):
        matrix[a, b] += 1
    correct = sum(1 for a, b in zip(x, y, strict=True) if a == b)
    labelled = sum(1 for p in predicted if p != UNKNOWN)
    groups = []
    for group in sorted({i.group for i in label_set.items}):
        idx = [t for t, i in enumerate(label_set.items) if i.group == group]
        if len(idx) == len(label_set.items):
            break  # one group: the set itself
        hits = sum(1 for t in idx if x[t] == y[t])
        groups.append({"group": group, "n": len(idx), "accuracy": wilson(hits, len(idx)).to_dict()})
    return SetScore(
        set=label_set.name,
        judge=judge,
        source=label_set.source,
        n=len(human),
        accuracy=wilson(correct, len(human)),
        kappa=kappa_figure(x, y, k=k, rounds=rounds, unit="answers"),
        unknown=len(human) - labelled,
        human_labels=tuple(rows),
        judge_labels=tuple(columns),
        confusion=matrix[: len(rows)].tolist(),
        collapsed=collapsed,
        groups=groups,
        coverage=wilson(labelled, len(human)),
        accuracy_labelled=wilson(correct, labelled),
    )


def _collapse(used: Sequence[str], predicted: Iterable[str]) -> dict[str, str]:
    """People's labels -> the judge's coarser ``no_<x>`` label ("anything but <x>", as the
    censorship rules say ``no_refusal``), when the judge gives ``no_<x>``, people never do,
    and ``<x>`` is one of the people's labels. Nothing else is ever folded: a judge that
    says "refusal" on answers people call "not_refusal" is wrong, not coarse."""
    coarse = sorted(
        p
        for p in set(predicted)
        if p.startswith("no_") and p not in used and p.removeprefix("no_") in used
    )
    if len(coarse) != 1:
        return {}
    kept = coarse[0].removeprefix("no_")
    return {h: coarse[0] for h in used if h != kept}


@dataclass
class Validation:
    """The whole report: one score per (set, judge), the skipped sets, and how the LLM
    judges agree with each other."""

    judges: list[str]
    scores: list[SetScore] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    agreement: dict[str, JudgeAgreement] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "judges": self.judges,
            "results": [s.to_dict() for s in self.scores],
            "skipped": [{"set": s.name, "reason": s.reason} for s in self.skipped],
            "judge_agreement": {k: v.to_dict() for k, v in self.agreement.items()},
            "warnings": self.warnings,
        }


@dataclass(frozen=True)
class _NoModel:
    """Validation judges people's labels, not a model: no developer to compare with."""

    lab: str | None = None
    country: str | None = None


def validation_warnings(
    sets: Sequence[LabelSet],
    judges: Sequence[tuple[str, str | None, str | None]],
    suites: Mapping[str, Suite] | None = None,
) -> list[str]:
    """:func:`~.judging.judge_warnings` for the judges on each set's suite (a judge from
    the state an information suite is about, one judge, judges of one developer ...)."""
    out: list[str] = []
    for label_set in sets:
        suite = (suites or {}).get(label_set.suite)
        states = subject_states_of(label_set.suite or "refusal", suite)
        for warning in judge_warnings(
            label_set.suite or "refusal", _NoModel(), judges, subject_states=states
        ):
            if warning not in out:
                out.append(warning)
    return out


async def validate(
    sets: Sequence[LabelSet],
    judges: Sequence[str],
    *,
    ask: Ask | None = None,
    suites: Mapping[str, Suite] | None = None,
    rounds: int = 1000,
    done: Callable[[], None] = lambda: None,
) -> Validation:
    """Judge every set and score each judge (and, with several, their majority)."""
    report = Validation(list(judges))
    for label_set in sets:
        suite = (suites or {}).get(label_set.suite) if label_set.suite else None
        judged = await judge_set(label_set, judges, ask=ask, suite=suite, done=done)
        combined = "+".join(judges)
        if len(judges) > 1:
            for judge in judges:
                report.scores.append(
                    score(label_set, judge, judged.per_judge[judge], rounds=rounds)
                )
            vocab = label_set.labels if not label_set.suite else None
            report.agreement[label_set.name] = agreement_stats(
                judged.per_judge, _vocab_for(judged.per_judge, vocab), rounds=rounds
            )
        report.scores.append(score(label_set, combined, judged.labels, rounds=rounds))
    return report


def _vocab_for(per_judge: Mapping[str, Sequence[str]], vocab: Sequence[str] | None) -> list[str]:
    seen = {lab for labs in per_judge.values() for lab in labs if lab != UNKNOWN}
    return sorted(seen | set(vocab or ()))


# ---------------------------------------------------------------- asking configured judges

VALIDATION = "validation"


class EndpointJudges:
    """``ask(judge, messages)`` through the configured endpoints: the run machinery's calls
    (one limit per endpoint, the budget, retries) at temperature 0, and a JSONL cache so
    that a rerun never pays for the same judgment twice."""

    def __init__(
        self,
        arena: Arena,
        options: CallPolicy,
        budget: Budget,
        cache: Cache | None = None,
        *,
        max_tokens: int | None = None,
        backend_for: Callable[[str], Backend] | None = None,
    ) -> None:
        self.arena = arena
        self.budget = budget
        self.cache = cache
        self.max_tokens = max_tokens
        self.calls = ModelCalls(arena, options, budget, backend_for=backend_for or arena.backend)
        self.generated = 0
        self.reused = 0
        self.tokens = 0

    def settings(self, judge: str) -> GenerationSettings:
        return judging_settings(self.arena.contestants[judge], self.max_tokens)

    async def ask(self, judge: str, messages: list[Message]) -> str:
        cfg = self.arena.contestants[judge]
        settings = self.settings(judge)
        key = judgment_key(VALIDATION, judge, cfg, messages, settings.max_tokens)
        cached = self.cache.get(VALIDATION, key) if self.cache is not None else None
        if cached is not None:
            self.reused += 1
            return str(cached["text"])
        result = await self.calls.generate(judge, messages, settings)
        self.generated += 1
        self.tokens += (result.stats.prompt_tokens or 0) + (result.stats.completion_tokens or 0)
        if self.cache is not None:
            self.cache.put(
                cache_entry(
                    VALIDATION,
                    key,
                    model=judge,
                    prompt_hash=key,
                    prompt_id="",
                    category="validate-judge",
                    run="validate-judge",
                    result=result,
                )
            )
        return result.text
