"""Published reference figures (``data/audit_bands.toml``) and the badge a result gets
against them.

A badge says where a result's 95% interval lies against the published figures: below the
baseline, like the baseline (the interval contains it), between the two, like the figure of
concern, or above it. An interval that contains both says the result is too uncertain to
place. A badge is a comparison in kind (the published sets are private and differ from
modelarena's), never a verdict.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from modelarena.store.audit_results import AuditMetric

BANDS_FILE = Path(__file__).parent / "data" / "audit_bands.toml"


@dataclass(frozen=True)
class Reference:
    label: str
    low: float
    high: float

    @property
    def text(self) -> str:
        """The published figure as published (15.9%, 1-4%)."""
        low, high = f"{self.low * 100:.4g}", f"{self.high * 100:.4g}"
        return f"{self.label} {low}%" if low == high else f"{self.label} {low}-{high}%"


@dataclass(frozen=True)
class Band:
    suite: str
    metric: str
    group: str  # "" the pooled row; "attack:*" any group with that prefix
    language: str
    higher_is_worse: bool
    source: str
    url: str
    what: str
    concern: Reference | None
    baseline: Reference | None

    def matches(self, m: AuditMetric) -> bool:
        if (m.suite, m.metric, m.language) != (self.suite, self.metric, self.language):
            return False
        if self.group.endswith("*"):
            return m.group.startswith(self.group[:-1])
        return m.group == self.group

    @property
    def key(self) -> str:
        group = f"/{self.group}" if self.group else ""
        language = f"@{self.language}" if self.language else ""
        return f"{self.suite}.{self.metric}{group}{language}"

    def to_dict(self) -> dict[str, Any]:
        refs = {
            name: None
            if r is None
            else {"label": r.label, "low": r.low, "high": r.high, "text": r.text}
            for name, r in (("concern", self.concern), ("baseline", self.baseline))
        }
        return {
            "key": self.key,
            "suite": self.suite,
            "metric": self.metric,
            "group": self.group,
            "language": self.language,
            "higher_is_worse": self.higher_is_worse,
            "source": self.source,
            "url": self.url,
            "what": self.what,
            **refs,
        }


def percent(x: float) -> str:
    """A share as a percentage, whole above 10%, to a tenth below (15.9, 4, 0.5)."""
    v = round(x * 100, 1)
    if v == 0 or v >= 10 or v == round(v):
        return f"{v:.0f}"
    return f"{v:.1f}"


def _reference(raw: Any) -> Reference | None:
    if raw is None:
        return None
    return Reference(str(raw["label"]), float(raw["low"]), float(raw["high"]))


@cache
def load_bands(path: Path = BANDS_FILE) -> tuple[Band, ...]:
    data = tomllib.loads(path.read_text("utf-8"))
    return tuple(
        Band(
            suite=b["suite"],
            metric=b["metric"],
            group=b.get("group", ""),
            language=b.get("language", ""),
            higher_is_worse=bool(b.get("higher_is_worse", True)),
            source=b["source"],
            url=b["url"],
            what=b["what"],
            concern=_reference(b.get("concern")),
            baseline=_reference(b.get("baseline")),
        )
        for b in data.get("band", [])
    )


def band_for(m: AuditMetric, bands: tuple[Band, ...] | None = None) -> Band | None:
    return next((b for b in (bands or load_bands()) if b.matches(m)), None)


def _where(lo: float, hi: float, ref: Reference) -> str:
    if hi < ref.low:
        return "below"
    if lo > ref.high:
        return "above"
    return "like"


def badge(m: AuditMetric, bands: tuple[Band, ...] | None = None) -> dict[str, Any] | None:
    """The badge of a result against its band: ``{label, tone, title, band}`` (tone: bad,
    warn, ok or neutral), or None when no band applies or the result has no interval."""
    band = band_for(m, bands)
    if band is None or m.value is None or m.ci_lower is None or m.ci_upper is None:
        return None
    lo, hi = m.ci_lower, m.ci_upper
    concern, baseline = band.concern, band.baseline
    at_c = _where(lo, hi, concern) if concern else None
    at_b = _where(lo, hi, baseline) if baseline else None
    bad, good = ("bad", "ok") if band.higher_is_worse else ("ok", "bad")
    if concern and baseline and at_c == "like" and at_b == "like":
        label, tone = "too uncertain to place", "neutral"
    elif concern and at_c == "above":
        label, tone = f"above {concern.label}", bad
    elif concern and at_c == "like":
        label, tone = f"like {concern.label}", bad
    elif baseline and at_b == "below":
        label, tone = f"below {baseline.label}", good
    elif baseline and at_b == "like":
        label, tone = f"like {baseline.label}", good
    elif concern and baseline:
        label, tone = f"between {baseline.label} and {concern.label}", "warn"
    elif concern:  # below the figure of concern, no baseline to place it against
        label, tone = f"below {concern.label}", "neutral"
    else:  # only a baseline, and above it
        label, tone = f"above {baseline.label if baseline else ''}", "warn"
    refs = " and ".join(r.text for r in (concern, baseline) if r is not None)
    title = (
        f"95% interval {percent(lo)}-{percent(hi)}% against {refs} ({band.source}). "
        "Comparable in kind, not in value: the published set is private and differs."
    )
    return {"label": label, "tone": tone, "title": title, "band": band.key}


__all__ = ["BANDS_FILE", "Band", "Reference", "badge", "band_for", "load_bands", "percent"]
