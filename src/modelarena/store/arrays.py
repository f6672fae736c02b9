"""Votes as numpy arrays for the ratings layer (style control, weighting, history)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
from sqlalchemy import Select, select

from modelarena.store.rows import aware
from modelarena.store.schema import votes


@dataclass(frozen=True)
class VoteArrays:
    """Counted votes as arrays for the ratings layer. Outcome codes: 0 a, 1 b, 2 tie, 3 both bad."""

    models: list[str]
    model_a: np.ndarray
    model_b: np.ndarray
    outcome: np.ndarray
    pair_probability: np.ndarray  # nan where unknown
    style_a: np.ndarray  # (N, 4): tokens, headers, lists, bold
    style_b: np.ndarray
    day: np.ndarray  # days since epoch, int64


def vote_arrays_query(
    sources: Sequence[str], categories: Sequence[str] | None, *, counted_only: bool
) -> Select[Any]:
    cols = [
        votes.c.model_a,
        votes.c.model_b,
        votes.c.verdict,
        votes.c.pair_probability,
        votes.c.a_tokens,
        votes.c.a_headers,
        votes.c.a_lists,
        votes.c.a_bold,
        votes.c.b_tokens,
        votes.c.b_headers,
        votes.c.b_lists,
        votes.c.b_bold,
        votes.c.created_at,
    ]
    query = select(*cols).where(votes.c.source.in_(list(sources)))
    if counted_only:
        query = query.where(votes.c.counted.is_(True))
    if categories:
        query = query.where(votes.c.category.in_(list(categories)))
    query = query.order_by(votes.c.id)
    return query


def vote_arrays_from_rows(rows: Sequence[Any]) -> VoteArrays:
    """Rows of :func:`vote_arrays_query` as arrays; models sorted by name."""
    names = sorted({r[0] for r in rows} | {r[1] for r in rows})
    index = {n: i for i, n in enumerate(names)}
    n = len(rows)
    outcome_code = {"a": 0, "b": 1, "tie": 2, "both_bad": 3}
    style = np.array(
        [[x if x is not None else 0 for x in r[4:12]] for r in rows], dtype=np.float64
    ).reshape(n, 8)
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    return VoteArrays(
        models=names,
        model_a=np.array([index[r[0]] for r in rows], dtype=np.int64),
        model_b=np.array([index[r[1]] for r in rows], dtype=np.int64),
        outcome=np.array([outcome_code[r[2]] for r in rows], dtype=np.int64),
        pair_probability=np.array(
            [r[3] if r[3] is not None else np.nan for r in rows], dtype=np.float64
        ),
        style_a=style[:, :4],
        style_b=style[:, 4:],
        day=np.array([((aware(r[12]) - epoch).days) for r in rows], dtype=np.int64),
    )
