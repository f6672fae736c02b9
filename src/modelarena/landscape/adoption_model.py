"""What the adoption figures are: their filters and window, each share with its n and
interval, and the report that carries the scope (sample or full Hub). Computed by
``landscape.adoption``."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

import numpy as np

from modelarena.landscape.hub_snapshot import Lineage

KINDS = ("finetune+adapter", "quantized", "merge", "unspecified")
COUNTERS = {"recent": "downloads", "all-time": "downloads_all", "between": "downloads_between"}
GGUF = ("include", "exclude", "only")


class AdoptionError(ValueError):
    """A user mistake in the adoption options; the message names it and the fix."""


@dataclass(frozen=True)
class AdoptionFilters:
    since: date | None = None  # models created on or after
    until: date | None = None  # models created before (exclusive)
    pipeline_tags: tuple[str, ...] = ()
    min_downloads: int = 0
    gguf: str = "include"  # include | exclude | only
    counter: str = "recent"  # recent (30-day ``downloads``) | all-time (``downloadsAllTime``)
    # | between (all-time now minus all-time in the baseline snapshot)

    def __post_init__(self) -> None:
        if self.counter not in COUNTERS:
            raise AdoptionError(f"--downloads must be one of {', '.join(COUNTERS)}")
        if self.gguf not in GGUF:
            raise AdoptionError(f"--gguf must be one of {', '.join(GGUF)}")
        if self.since and self.until and self.since >= self.until:
            raise AdoptionError("--since must be before --until")

    def window(self) -> str:
        created = (
            f"models created {self.since or 'any time'} to {self.until or 'the snapshot'}"
            if (self.since or self.until)
            else "all models in the snapshot"
        )
        counter = {
            "recent": "downloads in the 30 days before the snapshot",
            "all-time": "all-time downloads up to the snapshot",
            "between": "downloads between the baseline snapshot and this one",
        }[self.counter]
        return f"{created}; {counter}"

    def describe(self) -> str:
        parts = []
        if self.pipeline_tags:
            parts.append(f"pipeline_tag in {', '.join(self.pipeline_tags)}")
        if self.min_downloads:
            parts.append(f"at least {self.min_downloads:,} downloads")
        parts.append(
            {"include": "GGUF repos in", "exclude": "GGUF repos out"}.get(
                self.gguf, "GGUF repos only"
            )
        )
        return "; ".join(parts)

    def where(self) -> str:
        clauses = ["TRUE"]
        if self.since:
            clauses.append(f"created >= DATE '{self.since.isoformat()}'")
        if self.until:
            clauses.append(f"created < DATE '{self.until.isoformat()}'")
        if self.pipeline_tags:
            tags = ", ".join("'" + t.replace("'", "''") + "'" for t in self.pipeline_tags)
            clauses.append(f"pipeline_tag IN ({tags})")
        if self.min_downloads:
            clauses.append(f"{COUNTERS[self.counter]} >= {int(self.min_downloads)}")
        if self.gguf == "exclude":
            clauses.append("NOT is_gguf")
        elif self.gguf == "only":
            clauses.append("is_gguf")
        return " AND ".join(clauses)


@dataclass(frozen=True)
class Share:
    label: str  # a region, an organisation or "other"
    models: int  # models with a nonzero value in this cell
    value: float  # downloads (or a count of new models, merges in fractions)
    share: float
    lower: float | None  # 95% bootstrap interval over models (None when not computed)
    upper: float | None
    region: str | None = None  # for an organisation, its region


@dataclass(frozen=True)
class Figure:
    name: str
    title: str
    attribution: str  # "developer (uploader)" or "lineage (root base model)"
    unit: str  # "downloads" or "new models"
    n_models: int
    total: float
    rows: list[Share]
    panel: str = ""  # for a monthly figure, the month; for derivatives, the kind


@dataclass
class AdoptionReport:
    snapshot: str
    scope: str  # "sample" or "full"
    window: str
    filters: str
    lineage: Lineage
    figures: list[Figure] = field(default_factory=list)

    @property
    def is_sample(self) -> bool:
        return self.scope != "full"

    def label(self) -> str:
        if self.is_sample:
            return (
                f"SAMPLE ({self.lineage.models:,} models): shares within this snapshot, "
                "not Hub-wide figures"
            )
        return f"full Hub snapshot ({self.lineage.models:,} models)"

    def figure(self, name: str, panel: str = "") -> Figure | None:
        return next((f for f in self.figures if f.name == name and f.panel == panel), None)

    def to_dict(self) -> dict[str, Any]:
        def clean(value: Any) -> Any:
            if isinstance(value, float) and not np.isfinite(value):
                return None
            if isinstance(value, dict):
                return {k: clean(v) for k, v in value.items()}
            if isinstance(value, list):
                return [clean(v) for v in value]
            return value

        out: dict[str, Any] = clean(
            {
                "snapshot": self.snapshot,
                "scope": self.scope,
                "sample": self.is_sample,
                "label": self.label(),
                "window": self.window,
                "filters": self.filters,
                "lineage": asdict(self.lineage),
                # each figure carries its own window, filters and scope, so one figure taken
                # alone still says what it is
                "figures": [
                    {
                        **asdict(f),
                        "window": self.window,
                        "filters": self.filters,
                        "scope": self.scope,
                        "sample": self.is_sample,
                    }
                    for f in self.figures
                ],
            }
        )
        return out


__all__ = [
    "COUNTERS",
    "GGUF",
    "KINDS",
    "AdoptionError",
    "AdoptionFilters",
    "AdoptionReport",
    "Figure",
    "Share",
]
