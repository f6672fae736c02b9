"""What the checks say per model: each share with its n and 95% Wilson interval."""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from modelarena.ratings.proportions import Figure, wilson
from modelarena.store.design_checks import DesignCheckRecord


@dataclass(frozen=True)
class ModelChecks:
    model: str
    n: int
    works: Figure  # rendered in time with no JavaScript or console error
    timeouts: Figure
    network: Figure  # tried to reach the network at least once
    overflow: Figure  # wider than a 390 px phone screen
    a11y: Figure  # at least one serious or critical accessibility violation
    median_first_paint_ms: float | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "n": self.n,
            "works": self.works.to_dict(),
            "timeouts": self.timeouts.to_dict(),
            "network": self.network.to_dict(),
            "overflow": self.overflow.to_dict(),
            "a11y": self.a11y.to_dict(),
            "median_first_paint_ms": self.median_first_paint_ms,
        }


def summarise(checks: Iterable[DesignCheckRecord]) -> list[ModelChecks]:
    by_model: dict[str, list[DesignCheckRecord]] = {}
    for c in checks:
        by_model.setdefault(c.model, []).append(c)
    return [model_checks(m, rows) for m, rows in sorted(by_model.items())]


def model_checks(model: str, rows: list[DesignCheckRecord]) -> ModelChecks:
    n = len(rows)
    loaded = [r for r in rows if r.status == "ok"]
    paints = [r.first_paint_ms for r in loaded if r.first_paint_ms is not None]
    return ModelChecks(
        model=model,
        n=n,
        works=wilson(sum(r.works for r in rows), n),
        timeouts=wilson(sum(r.status == "timeout" for r in rows), n),
        network=wilson(sum(r.network_attempts > 0 for r in rows), n),
        overflow=wilson(sum(bool(r.overflow) for r in loaded), len(loaded)),
        a11y=wilson(
            sum((r.a11y_critical or 0) + (r.a11y_serious or 0) > 0 for r in loaded), len(loaded)
        ),
        median_first_paint_ms=round(statistics.median(paints), 1) if paints else None,
    )
