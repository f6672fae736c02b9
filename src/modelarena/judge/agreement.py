"""How far to trust a judge: its agreement with human votes, and its biases.

On battles that have both a counted human vote and a counted verdict of one judge:

- **agreement rate** over three classes (A better, B better, tie-ish: tie and both-bad),
  with a Wilson interval;
- **Cohen's kappa** over the same classes (agreement beyond chance), bootstrap interval
  over battles;
- the confusion matrix (human class x judge class).

Over all the judge's verdicts (with or without a human vote):

- **position bias**: of the passes that picked a side, the share that picked the answer
  shown first (0.5 is unbiased), Wilson interval;
- **length bias**: of the decisive counted verdicts between answers of different length,
  the share won by the longer answer (the humans' share on the shared battles is shown
  next to it, since people favour length too), Wilson intervals;
- **inconsistency**: the share of counted verdicts whose two passes preferred opposite
  sides; and the share of verdicts that could not be read at all.

And the **rank correlation** (Spearman, Kendall) of the human and the judge leaderboards
over the models both rate, with a bootstrap interval that resamples each source's votes
and refits.  Everything here but :func:`agreement_report` is a pure function over arrays.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from scipy import stats as sps

from modelarena import ratings
from modelarena.judge.judge import parse_detail
from modelarena.ratings.proportions import (
    Figure,
    confusion,
    kappa_figure,
    wilson,
)
from modelarena.store import HUMAN, Store

CLASSES = ("A", "B", "tie")
_CLASS = {"a": 0, "b": 1, "tie": 2, "both_bad": 2}


def _rank_corr(kind: str, u: np.ndarray, v: np.ndarray) -> float | None:
    if len(u) < 3 or np.ptp(u) == 0 or np.ptp(v) == 0:
        return None
    result = sps.spearmanr(u, v) if kind == "spearman" else sps.kendalltau(u, v)
    value = float(result[0])
    return value if math.isfinite(value) else None


def _fit(ma: np.ndarray, mb: np.ndarray, out: np.ndarray, n: int) -> np.ndarray | None:
    if n < 2 or len(ma) == 0:
        return None
    counts = ratings.aggregate(ma, mb, out, n)
    try:
        group = ratings.fit_connected(counts)
    except (ValueError, np.linalg.LinAlgError):
        return None
    # every model must be rated: a rank correlation over part of the models would mislead
    if group is None or group.models.size != n:
        return None
    return np.asarray(group.fit.ratings)


@dataclass
class _Votes:
    models: list[str]
    a: np.ndarray
    b: np.ndarray
    outcome: np.ndarray


def rank_correlation(
    human: _Votes, judge: _Votes, *, rounds: int = 200, seed: int = 0
) -> tuple[list[str], Figure, Figure]:
    """Spearman and Kendall between two leaderboards over their common models."""
    common = sorted(set(human.models) & set(judge.models))

    def ratings_of(votes: _Votes, idx: np.ndarray | None) -> np.ndarray | None:
        a, b, o = votes.a, votes.b, votes.outcome
        if idx is not None:
            a, b, o = a[idx], b[idx], o[idx]
        fitted = _fit(a, b, o, len(votes.models))
        if fitted is None:
            return None
        pos = {m: i for i, m in enumerate(votes.models)}
        return np.array([fitted[pos[m]] for m in common])

    figures = []
    if len(common) < 3:  # a rank correlation of two items means nothing
        empty = Figure(None, None, None, len(common), "needs 3 models rated by both")
        return common, empty, empty
    for kind in ("spearman", "kendall"):
        u, v = ratings_of(human, None), ratings_of(judge, None)
        value = _rank_corr(kind, u, v) if u is not None and v is not None else None
        rng = np.random.default_rng(seed)
        samples = []
        if value is not None:
            for _ in range(rounds):
                ui = ratings_of(human, rng.integers(0, len(human.a), len(human.a)))
                vi = ratings_of(judge, rng.integers(0, len(judge.a), len(judge.a)))
                if ui is not None and vi is not None:
                    r = _rank_corr(kind, ui, vi)
                    if r is not None:
                        samples.append(r)
        lo = hi = None
        if samples:
            lo, hi = (float(q) for q in np.percentile(samples, [2.5, 97.5]))
        figures.append(Figure(value, lo, hi, len(common), "bootstrap over votes, refit"))
    return common, figures[0], figures[1]


@dataclass
class AgreementReport:
    judge_source: str
    judge_votes: int
    unparseable: Figure
    battles_both: int
    agreement: Figure
    kappa: Figure
    confusion: list[list[int]]
    position_bias: Figure
    length_bias: Figure
    human_length_bias: Figure
    inconsistency: Figure
    models: list[str] = field(default_factory=list)
    spearman: Figure = field(default_factory=lambda: Figure(None, None, None, 0))
    kendall: Figure = field(default_factory=lambda: Figure(None, None, None, 0))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _votes(store: Store, source: str) -> _Votes:
    arrays = store.vote_arrays(sources=[source])
    return _Votes(arrays.models, arrays.model_a, arrays.model_b, arrays.outcome)


def agreement_report(store: Store, judge_source: str, *, rounds: int = 1000) -> AgreementReport:
    """The agreement report for one judge source (``judge:<model>``)."""
    human: dict[str, str] = {}
    judge: dict[str, dict[str, Any]] = {}
    judge_total = unparseable = 0
    first_shown = decisive_passes = 0
    for row in store.export_rows():
        if row["source"] == HUMAN and row["counted"]:
            human[row["battle_id"]] = row["verdict"]
        elif row["source"] == judge_source:
            judge_total += 1
            detail = parse_detail(row.get("detail"))
            for p in (detail or {}).get("passes", []):  # every pass that picked a side
                label = p.get("label")
                if label in ("A>>B", "A>B"):
                    first_shown += 1
                    decisive_passes += 1
                elif label in ("B>A", "B>>A"):
                    decisive_passes += 1
            if not row["counted"]:
                unparseable += 1 if row["reason"] == "judge_unparseable" else 0
                continue
            judge[row["battle_id"]] = row
    both = sorted(set(human) & set(judge))
    hx = [_CLASS[human[b]] for b in both]
    jx = [_CLASS[judge[b]["verdict"]] for b in both]
    agree = sum(1 for u, v in zip(hx, jx, strict=True) if u == v)

    def longer_won(verdict: str, a_tok: Any, b_tok: Any) -> bool | None:
        if verdict not in ("a", "b") or a_tok is None or b_tok is None or a_tok == b_tok:
            return None
        return bool((verdict == "a") == (a_tok > b_tok))

    judge_len = [longer_won(r["verdict"], r["a_tokens"], r["b_tokens"]) for r in judge.values()]
    judge_len_known = [x for x in judge_len if x is not None]
    human_len = [longer_won(human[b], judge[b]["a_tokens"], judge[b]["b_tokens"]) for b in both]
    human_len_known = [x for x in human_len if x is not None]
    consistency = [parse_detail(r.get("detail")) for r in judge.values()]
    flags = [d.get("consistent") for d in consistency if d is not None]
    known_flags = [f for f in flags if f is not None]
    models, spearman, kendall = rank_correlation(
        _votes(store, HUMAN), _votes(store, judge_source), rounds=max(rounds // 5, 50)
    )
    return AgreementReport(
        judge_source=judge_source,
        judge_votes=judge_total,
        unparseable=wilson(unparseable, judge_total),
        battles_both=len(both),
        agreement=wilson(agree, len(both)),
        kappa=kappa_figure(hx, jx, rounds=rounds),
        confusion=confusion(hx, jx).tolist(),
        position_bias=wilson(first_shown, decisive_passes),
        length_bias=wilson(sum(judge_len_known), len(judge_len_known)),
        human_length_bias=wilson(sum(human_len_known), len(human_len_known)),
        inconsistency=wilson(sum(1 for f in known_flags if f is False), len(known_flags)),
        models=models,
        spearman=spearman,
        kendall=kendall,
    )
