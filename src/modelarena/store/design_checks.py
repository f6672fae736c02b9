"""Design checks: the answers still to render, the checks' reads and writes, and the
checks of each vote's two answers as covariates for style control.

The records here are the store's own (the store cannot import :mod:`modelarena.designs`,
which renders the answers and turns its measurements into these records)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy import Engine, and_, delete, insert, select

from modelarena.backends.base import CUT
from modelarena.store.arrays import vote_arrays_query
from modelarena.store.rows import aware
from modelarena.store.schema import answers, battles, votes
from modelarena.store.schema_design_checks import design_checks

# per answer, for style control (design categories): see :meth:`DesignChecks.vote_features`
CHECK_FEATURES = ("errors", "overflow", "a11y", "network")


@dataclass(frozen=True)
class PendingDesign:
    """A design answer to render: where it is, who wrote it and its text."""

    battle_id: str
    turn: int
    side: str
    model: str
    category: str
    content: str
    cut: bool


@dataclass(frozen=True)
class DesignCheckRecord:
    battle_id: str
    turn: int
    side: str
    model: str
    category: str
    checked_at: datetime
    status: str  # ok | timeout | crashed | navigated | error
    js_errors: int
    console_errors: int
    network_attempts: int
    overflow: bool | None
    scroll_width: int | None
    a11y_critical: int | None
    a11y_serious: int | None
    a11y_moderate: int | None
    a11y_minor: int | None
    first_paint_ms: float | None
    render_s: float
    browser: str
    detail: str = "{}"

    @property
    def works(self) -> bool:
        """Rendered without errors: loaded in time, no JavaScript or console error."""
        return self.status == "ok" and self.js_errors == 0 and self.console_errors == 0

    @property
    def a11y_violations(self) -> int:
        return sum(
            x or 0
            for x in (self.a11y_critical, self.a11y_serious, self.a11y_moderate, self.a11y_minor)
        )

    def messages(self) -> dict[str, list[str]]:
        found = json.loads(self.detail or "{}").get("messages") or {}
        return {str(k): [str(x) for x in v] for k, v in found.items()}


_FIELDS = [f.name for f in fields(DesignCheckRecord)]
_COLUMNS = [design_checks.c[name] for name in _FIELDS]


def _record(row: Any) -> DesignCheckRecord:
    values = dict(zip(_FIELDS, row, strict=True))
    values["checked_at"] = aware(values["checked_at"])
    return DesignCheckRecord(**values)


class DesignChecks:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def pending(
        self,
        categories: Sequence[str],
        *,
        battle_id: str | None = None,
        limit: int | None = None,
    ) -> list[PendingDesign]:
        """Answers of battles in ``categories`` with text and no error: every one of
        ``battle_id`` (checked or not), else those not checked yet, oldest first."""
        query = (
            select(
                answers.c.battle_id,
                answers.c.turn,
                answers.c.side,
                battles.c.model_a,
                battles.c.model_b,
                battles.c.category,
                answers.c.content,
                answers.c.finish_reason,
            )
            .select_from(answers.join(battles, battles.c.id == answers.c.battle_id))
            .where(battles.c.category.in_(list(categories)), answers.c.error.is_(None))
        )
        if battle_id is not None:
            query = query.where(answers.c.battle_id == battle_id)
        else:
            checked = and_(
                design_checks.c.battle_id == answers.c.battle_id,
                design_checks.c.turn == answers.c.turn,
                design_checks.c.side == answers.c.side,
            )
            query = query.where(~select(design_checks.c.id).where(checked).exists())
        query = query.order_by(battles.c.created_at, answers.c.battle_id, answers.c.turn)
        query = query.order_by(answers.c.side)
        if limit is not None:
            query = query.limit(limit)
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        return [
            PendingDesign(
                r.battle_id,
                r.turn,
                r.side,
                r.model_a if r.side == "a" else r.model_b,
                r.category,
                r.content or "",
                r.finish_reason == CUT,
            )
            for r in rows
        ]

    def save(self, record: DesignCheckRecord, screenshot: bytes | None) -> None:
        """Store a check, replacing an earlier one of the same answer."""
        key = (
            (design_checks.c.battle_id == record.battle_id)
            & (design_checks.c.turn == record.turn)
            & (design_checks.c.side == record.side)
        )
        values = {name: getattr(record, name) for name in _FIELDS}
        with self.engine.begin() as conn:
            conn.execute(delete(design_checks).where(key))
            conn.execute(insert(design_checks).values(**values, screenshot=screenshot))

    def for_battle(self, battle_id: str) -> list[DesignCheckRecord]:
        query = (
            select(*_COLUMNS)
            .where(design_checks.c.battle_id == battle_id)
            .order_by(design_checks.c.turn, design_checks.c.side)
        )
        with self.engine.connect() as conn:
            return [_record(r) for r in conn.execute(query)]

    def all(self, *, model: str | None = None) -> list[DesignCheckRecord]:
        query = select(*_COLUMNS).order_by(design_checks.c.model, design_checks.c.id)
        if model is not None:
            query = query.where(design_checks.c.model == model)
        with self.engine.connect() as conn:
            return [_record(r) for r in conn.execute(query)]

    def screenshot(self, battle_id: str, turn: int, side: str) -> bytes | None:
        query = select(design_checks.c.screenshot).where(
            design_checks.c.battle_id == battle_id,
            design_checks.c.turn == turn,
            design_checks.c.side == side,
        )
        with self.engine.connect() as conn:
            shot = conn.execute(query).scalar()
        return bytes(shot) if shot is not None else None

    def vote_features(
        self, sources: Sequence[str], categories: Sequence[str] | None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per counted vote, in the order of :meth:`Store.vote_arrays` (same sources and
        categories), the checks of its two answers (the battle's last checked turn):
        ``(a, b, checked)``, ``a`` and ``b`` of shape (N, 4) with the columns of
        ``CHECK_FEATURES`` (JavaScript plus console errors, overflow 0/1, serious and
        critical accessibility violations, network attempts; a page that timed out or
        crashed counts one error), ``checked`` true where both answers were checked."""
        ids = vote_arrays_query(sources, categories, counted_only=True).with_only_columns(
            votes.c.battle_id
        )
        with self.engine.connect() as conn:
            battle_ids = [r[0] for r in conn.execute(ids)]
            checks: dict[tuple[str, str], list[float]] = {}
            wanted = sorted(set(battle_ids))
            for start in range(0, len(wanted), 500):
                chunk = wanted[start : start + 500]
                rows = conn.execute(
                    select(
                        design_checks.c.battle_id,
                        design_checks.c.side,
                        design_checks.c.status,
                        design_checks.c.js_errors,
                        design_checks.c.console_errors,
                        design_checks.c.overflow,
                        design_checks.c.a11y_critical,
                        design_checks.c.a11y_serious,
                        design_checks.c.network_attempts,
                    )
                    .where(design_checks.c.battle_id.in_(chunk))
                    .order_by(design_checks.c.turn)  # the last turn's check wins
                )
                for r in rows:
                    errors = r.js_errors + r.console_errors + (r.status != "ok")
                    a11y = (r.a11y_critical or 0) + (r.a11y_serious or 0)
                    checks[(r.battle_id, r.side)] = [
                        float(errors),
                        1.0 if r.overflow else 0.0,
                        float(a11y),
                        float(r.network_attempts),
                    ]
        n, k = len(battle_ids), len(CHECK_FEATURES)
        a, b = np.zeros((n, k)), np.zeros((n, k))
        checked = np.zeros(n, dtype=bool)
        for i, battle in enumerate(battle_ids):
            ca, cb = checks.get((battle, "a")), checks.get((battle, "b"))
            if ca is not None and cb is not None:
                a[i], b[i], checked[i] = ca, cb, True
        return a, b, checked
