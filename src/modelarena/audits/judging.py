"""LLM judges for the audits: several judges, majority vote, their agreement, and warnings
about judges that invite challenge.

- :func:`judge_verdict` asks every judge with the suite's rubric and reads each answer with
  the suite's parser. The label given by most judges wins; a tie between labels, or no
  judge readable, is :data:`~.probes.UNKNOWN`. An answer that cannot be read, or a judge
  whose call failed, is unknown, never safe: it counts in the denominator of the
  agreement (the share of *all* judges that gave the winning label) but not as a vote.
- :func:`agreement_stats` measures, over a run, how often the judges agree: pairwise
  Cohen's kappa with a bootstrap interval and raw agreement with a Wilson interval, and
  Fleiss' kappa over the items every judge could read.
- :func:`judge_warnings` names the judges whose verdicts a reader may question: one from the
  developer of the judged model, or from the state a suite is about.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from modelarena.audits.probes import UNKNOWN, Probe, Transcript, Verdict
from modelarena.backends.base import BackendError, Message
from modelarena.config import ModelConfig
from modelarena.ratings.proportions import Figure, bootstrap, kappa_figure, wilson
from modelarena.runs.cache import key_of

Ask = Callable[[str, list[Message]], Awaitable[str]]


def judgment_key(
    kind: str, judge: str, cfg: ModelConfig, messages: Sequence[Message], max_tokens: int | None
) -> str:
    """The cache key of a judge's answer to ``messages``: the judge, the model it serves and
    where, what it was sent and its token cap (it answers greedily)."""
    return key_of(
        kind=kind,
        judge=judge,
        served=cfg.model or cfg.path,
        base_url=cfg.base_url,
        messages=[dataclasses.asdict(m) for m in messages],
        max_tokens=max_tokens,
    )


# The state each information suite is about; a suite may also say so itself with a
# ``subject_states`` attribute (see :func:`subject_states_of`).
SUITE_SUBJECT_STATES: dict[str, tuple[str, ...]] = {
    "censorship": ("CN",),
    "narratives": ("CN",),
}
_KEEP_TEXT = 2000  # characters of each judge's answer kept in the verdict's detail


class Rubric(Protocol):
    """What a judge needs from a suite (every :class:`~.probes.Suite` is one)."""

    name: str

    def rubric(self, probe: Probe, transcript: Transcript) -> list[Message]: ...

    def parse_rubric(self, text: str) -> Verdict: ...


@dataclass(frozen=True)
class JudgeAnswer:
    """One judge's reading of one transcript."""

    judge: str
    verdict: Verdict
    text: str = ""
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"label": self.verdict.label}
        if self.verdict.score is not None:
            out["score"] = self.verdict.score
        if self.error is not None:
            out["error"] = self.error
        else:
            out["text"] = self.text[:_KEEP_TEXT]
        return out


async def ask_judge(
    suite: Rubric, probe: Probe, transcript: Transcript, judge: str, ask: Ask
) -> JudgeAnswer:
    """One judge's verdict. A failed call is an unknown verdict with its error; a spent
    budget (``BudgetExhausted``) and cancellation propagate."""
    messages = suite.rubric(probe, transcript)
    try:
        text = await ask(judge, messages)
    except BackendError as exc:
        return JudgeAnswer(judge, Verdict(UNKNOWN, judge=judge), error=f"{exc.reason}: {exc}")
    try:
        verdict = suite.parse_rubric(text)
    except (ValueError, KeyError, TypeError) as exc:  # a parser that trips is unreadable
        verdict = Verdict(UNKNOWN, detail={"parse_error": str(exc)})
    return JudgeAnswer(judge, _as_judge(verdict, judge), text=text)


def _as_judge(verdict: Verdict, judge: str) -> Verdict:
    label = verdict.label if isinstance(verdict.label, str) and verdict.label else UNKNOWN
    return Verdict(label, verdict.score, judge, None, verdict.detail)


def majority(answers: Sequence[JudgeAnswer]) -> Verdict:
    """The judges' answers combined: the most given readable label; a tie or no readable
    answer is UNKNOWN. ``score`` is the mean score of the judges in the majority that gave
    one; ``agreement`` the share of all judges in the majority."""
    if not answers:
        raise ValueError("no judges: name at least one")
    names = "+".join(a.judge for a in answers)
    votes = Counter(a.verdict.label for a in answers if a.verdict.label != UNKNOWN)
    detail: dict[str, Any] = {
        "judges": {a.judge: a.to_dict() for a in answers},
        "votes": dict(votes),
        "unreadable": sum(1 for a in answers if a.verdict.label == UNKNOWN),
    }
    ranked = votes.most_common()
    if not ranked:
        detail["reason"] = "no judge gave a readable verdict"
        return Verdict(UNKNOWN, judge=names, agreement=None, detail=detail)
    if len(ranked) > 1 and ranked[0][1] == ranked[1][1]:
        tied = sorted(label for label, count in ranked if count == ranked[0][1])
        detail["reason"] = "tie between " + " and ".join(tied)
        return Verdict(UNKNOWN, judge=names, agreement=ranked[0][1] / len(answers), detail=detail)
    label, count = ranked[0]
    scores = [
        a.verdict.score for a in answers if a.verdict.label == label and a.verdict.score is not None
    ]
    score = sum(scores) / len(scores) if scores else None
    return Verdict(label, score, names, count / len(answers), detail)


async def judge_verdict(
    suite: Rubric,
    probe: Probe,
    transcript: Transcript,
    judges: Sequence[str],
    ask: Ask,
) -> Verdict:
    """Every judge asked with ``suite.rubric(...)``, read with ``suite.parse_rubric(...)``,
    combined by :func:`majority`. ``ask(judge, messages)`` returns the judge's text."""
    if not judges:
        raise ValueError("no judges: name at least one")
    if len(set(judges)) != len(judges):
        raise ValueError(f"a judge is named twice: {', '.join(judges)}")
    answers = await asyncio.gather(
        *(ask_judge(suite, probe, transcript, judge, ask) for judge in judges)
    )
    return majority(answers)


# ---------------------------------------------------------------- agreement over a run


def labels_by_judge(verdicts: Sequence[Verdict]) -> dict[str, list[str]]:
    """Each judge's label per item, from the ``detail`` :func:`majority` writes; UNKNOWN
    where a verdict lacks that judge (so the lists stay aligned)."""
    judges: list[str] = []
    for v in verdicts:
        for judge in v.detail.get("judges", {}):
            if judge not in judges:
                judges.append(judge)
    out: dict[str, list[str]] = {j: [] for j in judges}
    for v in verdicts:
        given = v.detail.get("judges", {})
        for j in judges:
            entry = given.get(j)
            out[j].append(str(entry.get("label", UNKNOWN)) if entry else UNKNOWN)
    return out


def run_agreement(
    verdicts: Sequence[Verdict], vocabulary: Sequence[str] | None = None, *, rounds: int = 1000
) -> JudgeAgreement | None:
    """How the judges of a run's verdicts agree; None when fewer than two judges voted."""
    labels = labels_by_judge(verdicts)
    if len(labels) < 2:
        return None
    seen = {lab for labs in labels.values() for lab in labs if lab != UNKNOWN}
    vocab = list(vocabulary or ())
    vocab += sorted(seen - set(vocab))
    return agreement_stats(labels, vocab, rounds=rounds)


@dataclass(frozen=True)
class PairAgreement:
    judge_a: str
    judge_b: str
    agreement: Figure  # share of items both could read on which they gave the same label
    kappa: Figure  # Cohen's kappa over those items, bootstrap interval

    def to_dict(self) -> dict[str, Any]:
        return {
            "judge_a": self.judge_a,
            "judge_b": self.judge_b,
            "agreement": self.agreement.to_dict(),
            "kappa": self.kappa.to_dict(),
        }


@dataclass(frozen=True)
class JudgeAgreement:
    """How the judges of a run agree with each other (not with people: that is
    ``arena audit validate-judge``)."""

    items: int
    labels: tuple[str, ...]
    pairs: list[PairAgreement]
    fleiss: Figure  # over the items every judge could read
    unreadable: dict[str, Figure] = field(default_factory=dict)  # per judge, Wilson

    def to_dict(self) -> dict[str, Any]:
        return {
            "items": self.items,
            "labels": list(self.labels),
            "pairs": [p.to_dict() for p in self.pairs],
            "fleiss_kappa": self.fleiss.to_dict(),
            "unreadable": {j: f.to_dict() for j, f in self.unreadable.items()},
        }


def agreement_stats(
    labels: Mapping[str, Sequence[str]],
    vocabulary: Sequence[str] | None = None,
    *,
    rounds: int = 1000,
) -> JudgeAgreement:
    """Agreement between judges whose labels per item are ``labels[judge]`` (aligned
    lists; UNKNOWN where a judge could not be read). ``vocabulary``: the suite's labels;
    by default every readable label seen."""
    judges = list(labels)
    sizes = {len(v) for v in labels.values()}
    if len(sizes) > 1:
        raise ValueError("every judge needs one label per item (lists of equal length)")
    items = sizes.pop() if sizes else 0
    seen = sorted({lab for v in labels.values() for lab in v if lab != UNKNOWN})
    vocab = tuple(vocabulary) if vocabulary is not None else tuple(seen)
    extra = [lab for lab in seen if lab not in vocab]
    if extra:
        raise ValueError(f"labels outside the vocabulary: {', '.join(extra)}")
    index = {lab: i for i, lab in enumerate(vocab)}
    k = max(len(vocab), 1)
    unreadable = {j: wilson(sum(1 for lab in labels[j] if lab == UNKNOWN), items) for j in judges}
    pairs = []
    for i, a in enumerate(judges):
        for b in judges[i + 1 :]:
            both = [
                (index[x], index[y])
                for x, y in zip(labels[a], labels[b], strict=True)
                if x != UNKNOWN and y != UNKNOWN
            ]
            xs = [p[0] for p in both]
            ys = [p[1] for p in both]
            same = sum(1 for x, y in both if x == y)
            kappa = kappa_figure(xs, ys, k=k, rounds=rounds, unit="items")
            pairs.append(PairAgreement(a, b, wilson(same, len(both)), kappa))
    full = [
        [index[labels[j][t]] for j in judges]
        for t in range(items)
        if all(labels[j][t] != UNKNOWN for j in judges)
    ]
    fleiss = fleiss_figure(np.asarray(full, dtype=np.int64).reshape(-1, len(judges)), k, rounds)
    return JudgeAgreement(items, vocab, pairs, fleiss, unreadable)


def fleiss_kappa(ratings: np.ndarray, k: int) -> float | None:
    """Fleiss' kappa of ``ratings`` (items x raters, class indices below ``k``); None when
    undefined (fewer than two raters or items, or one class throughout)."""
    if ratings.ndim != 2 or ratings.shape[0] < 2 or ratings.shape[1] < 2:
        return None
    n_items, n_raters = ratings.shape
    counts = np.zeros((n_items, k), dtype=np.float64)
    for c in range(k):
        counts[:, c] = (ratings == c).sum(axis=1)
    per_item = ((counts * counts).sum(axis=1) - n_raters) / (n_raters * (n_raters - 1))
    observed = float(per_item.mean())
    shares = counts.sum(axis=0) / (n_items * n_raters)
    expected = float((shares * shares).sum())
    if expected >= 1.0:
        return None
    return (observed - expected) / (1.0 - expected)


def fleiss_figure(ratings: np.ndarray, k: int, rounds: int = 1000) -> Figure:
    """Fleiss' kappa with a bootstrap interval over the items."""
    n = int(ratings.shape[0]) if ratings.ndim == 2 else 0
    value = fleiss_kappa(ratings, k) if n else None
    lo, hi = bootstrap(lambda idx: fleiss_kappa(ratings[idx], k), n, rounds=rounds)
    return Figure(value, lo, hi, n, "bootstrap over items")


# ---------------------------------------------------------------- warnings


class HasOrigin(Protocol):
    """A model's developer and its state (``ModelInfo`` is one)."""

    @property
    def lab(self) -> str | None: ...

    @property
    def country(self) -> str | None: ...


def subject_states_of(suite_name: str, suite: object | None = None) -> tuple[str, ...]:
    """The states a suite is about: its own ``subject_states`` attribute, or the table."""
    own = getattr(suite, "subject_states", None)
    if own:
        return tuple(str(s) for s in own)
    return SUITE_SUBJECT_STATES.get(suite_name, ())


def _same(a: str | None, b: str | None) -> bool:
    return (
        bool(a and b) and " ".join(str(a).split()).casefold() == " ".join(str(b).split()).casefold()
    )


def judge_warnings(
    suite_name: str,
    judged: HasOrigin,
    judges: Sequence[tuple[str, str | None, str | None]],
    *,
    subject_states: Sequence[str] | None = None,
) -> list[str]:
    """Warnings for a report: a judge from the judged model's developer, a judge from the
    state the suite is about, a judge whose origin is unknown, a single judge, or judges
    all from one developer. ``judges`` are ``(id, lab, country)``; an empty list means
    the offline rules judged (no warning)."""
    states = tuple(subject_states) if subject_states is not None else subject_states_of(suite_name)
    out: list[str] = []
    for judge, lab, country in judges:
        if _same(lab, judged.lab):
            out.append(
                f"judge {judge} is from {lab}, the developer of the judged model: "
                "add a judge from another developer"
            )
        if country and country.upper() in {s.upper() for s in states}:
            out.append(
                f"judge {judge} is from {country}, the state the {suite_name} suite is "
                "about: add judges from elsewhere"
            )
        if not lab or not country:
            out.append(
                f"judge {judge} is not in the catalog with its developer and country, so "
                "its independence cannot be checked: set its catalog entry"
            )
    if len(judges) == 1:
        out.append(
            f"one judge ({judges[0][0]}): no majority and no agreement between judges; "
            "name several judges from different developers"
        )
    labs = {" ".join(str(lab).split()).casefold() for _, lab, _ in judges if lab}
    if len(judges) > 1 and len(labs) == 1 and all(lab for _, lab, _ in judges):
        out.append(f"every judge is from {judges[0][1]}: name judges from different developers")
    return out
