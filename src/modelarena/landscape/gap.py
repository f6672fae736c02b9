"""The capability gap in months between two groups of models (Epoch AI's method).

For a group G, the frontier F_G(t) is the best score among G's models released on or before
day t. On day t the gap is how long before t the leading group first reached the lagging
group's frontier:

    gap(t) = t - min{ t' <= t : F_lead(t') >= F_lag(t) - tolerance }

and 0 when the leading group had not reached it by t (the lagging group is ahead that day).
The gap is evaluated on every day from the start date (default 2023-01-01) to the last release
in the data, on the days the lagging group has at least one model. Reported: its mean, min and
max in months (30.4375 days), a percentile bootstrap interval of the mean from resampling the
models of each group with replacement, and the vertical gap F_lead(t) - F_lag(t) in score
points. Scores can be anything dated: Epoch's Capabilities Index, arena ratings with catalog
release dates, a benchmark.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, TypedDict

import numpy as np

from modelarena.landscape.snapshots import LandscapeError

MONTH_DAYS = 30.4375
DEFAULT_START = date(2023, 1, 1)

# a country as Epoch's export spells it -> ISO code
COUNTRY_CODES = {
    "united states of america": "US",
    "united states": "US",
    "usa": "US",
    "china": "CN",
    "united kingdom of great britain and northern ireland": "GB",
    "united kingdom": "GB",
    "france": "FR",
    "united arab emirates": "AE",
    "canada": "CA",
    "germany": "DE",
    "israel": "IL",
    "south korea": "KR",
    "korea (republic of)": "KR",
    "japan": "JP",
}


@dataclass(frozen=True)
class DatedScore:
    """One model: its score, its release date and the groups it counts for."""

    model: str
    score: float
    released: date
    countries: tuple[str, ...] = ()  # ISO codes; a joint release counts for each
    open_weights: bool | None = None
    organization: str | None = None

    def groups(self) -> set[str]:
        out = set(self.countries)
        if self.open_weights is True:
            out.add("open")
        elif self.open_weights is False:
            out.add("closed")
        return out


def _country_codes(text: str) -> tuple[str, ...]:
    codes = []
    # Epoch joins countries with commas ("United Kingdom of ...,United States of America")
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        code = COUNTRY_CODES.get(part.lower(), part.upper() if len(part) == 2 else part)
        codes.append(code)
    return tuple(dict.fromkeys(codes))


def _accessibility(text: str) -> bool | None:
    t = text.strip().lower()
    if t.startswith("open weights") or t in ("open", "true", "yes"):
        return True
    if t.startswith(("api access", "hosted access")) or t in ("closed", "false", "no"):
        return False
    return None  # "Unreleased" or blank: neither group


_COLS = {
    "model": ("model version", "model", "model_name", "name"),
    "score": ("eci score", "score", "rating"),
    "released": ("release date", "release_date", "released", "date"),
    "country": ("country", "countries"),
    "open": ("model accessibility", "open_weights", "accessibility", "open"),
    "organization": ("organization", "organisation", "lab"),
}


def read_dated_scores(path: str | Path) -> list[DatedScore]:
    """Dated scores from a CSV such as Epoch's Capabilities Index export (``Model version,
    ECI Score, Release date, Organization, Country, Model accessibility, ...``). Rows without a
    score or a release date are skipped (Epoch lists models it has not scored)."""
    try:
        return _read_dated_scores(Path(path))
    except UnicodeDecodeError:
        raise LandscapeError(
            f"{path}: not a UTF-8 text file; give a CSV such as Epoch's ECI export"
        ) from None
    except csv.Error as exc:
        raise LandscapeError(f"{path}: not a readable CSV ({exc})") from None


def _read_dated_scores(p: Path) -> list[DatedScore]:
    if not p.is_file():
        raise LandscapeError(
            f"no such file: {p}; give an Epoch ECI export or a CSV of dated scores"
        )
    with p.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        header = {(h or "").strip().lower(): h for h in reader.fieldnames or []}
        pick: dict[str, str] = {}
        for key, aliases in _COLS.items():
            for alias in aliases:
                if alias in header:
                    pick[key] = header[alias]
                    break
        for need in ("model", "score", "released"):
            if need not in pick:
                raise LandscapeError(
                    f"{p}: no {need} column; name one of: {', '.join(_COLS[need])}"
                )
        out = []
        for n, row in enumerate(reader, start=2):
            score = (row.get(pick["score"]) or "").strip()
            released = (row.get(pick["released"]) or "").strip()
            if not score or not released:
                continue
            try:
                value = float(score)
                day = date.fromisoformat(released[:10])
            except ValueError:
                raise LandscapeError(
                    f"{p} line {n}: score {score!r} or release date {released!r} is not valid "
                    "(a number and YYYY-MM-DD)"
                ) from None
            out.append(
                DatedScore(
                    model=(row.get(pick["model"]) or "").strip(),
                    score=value,
                    released=day,
                    countries=_country_codes(row.get(pick.get("country", ""), "") or ""),
                    open_weights=_accessibility(row.get(pick.get("open", ""), "") or ""),
                    organization=(row.get(pick.get("organization", ""), "") or "").strip() or None,
                )
            )
    if not out:
        raise LandscapeError(f"{p}: no row has both a score and a release date")
    return out


@dataclass
class Gap:
    leading: str
    lagging: str
    start: str
    end: str
    tolerance: float
    days: int  # days evaluated
    models_leading: int
    models_lagging: int
    mean_months: float
    min_months: float
    max_months: float
    ci_lower: float  # of the mean, months
    ci_upper: float
    level: float
    vertical_mean: float  # F_lead - F_lag, score points
    vertical_min: float
    vertical_max: float
    vertical_ci_lower: float
    vertical_ci_upper: float
    resamples: int
    method: str
    frontier_leading: list[tuple[str, float]] = field(default_factory=list)  # steps
    frontier_lagging: list[tuple[str, float]] = field(default_factory=list)
    gap_series: list[tuple[str, float]] = field(default_factory=list)  # (day, months), monthly

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Draws:
    """The bootstrap draws of a gap: the mean gap in months and the mean vertical gap of
    each resample (a resample where the lagging group has no evaluated day adds nothing)."""

    months: list[float] = field(default_factory=list)
    vertical: list[float] = field(default_factory=list)

    def add(self, gap_days: np.ndarray, vertical: np.ndarray) -> None:
        """One resample: its gap in days and vertical gap on each evaluated day."""
        if not gap_days.size:
            return
        self.months.append(float(gap_days.mean() / MONTH_DAYS))
        finite = vertical[np.isfinite(vertical)]
        if finite.size:
            self.vertical.append(float(finite.mean()))


class Summary(TypedDict):
    """The statistics fields of a :class:`Gap`."""

    mean_months: float
    min_months: float
    max_months: float
    ci_lower: float
    ci_upper: float
    level: float
    vertical_mean: float
    vertical_min: float
    vertical_max: float
    vertical_ci_lower: float
    vertical_ci_upper: float


def summarise(months: np.ndarray, vertical: np.ndarray, draws: Draws, level: float) -> Summary:
    """Mean, min and max of the gap in months and of the finite vertical gaps, with the
    percentile bootstrap intervals of both means at ``level`` (NaN where there is nothing)."""
    tail = 100 * (1 - level) / 2
    finite = vertical[np.isfinite(vertical)]

    def pct(values: list[float], q: float) -> float:
        return round(float(np.percentile(values, q)), 2) if values else float("nan")

    def stat(reduce: Callable[[np.ndarray], Any]) -> float:
        return round(float(reduce(finite)), 2) if finite.size else float("nan")

    return Summary(
        mean_months=round(float(months.mean()), 2),
        min_months=round(float(months.min()), 2),
        max_months=round(float(months.max()), 2),
        ci_lower=pct(draws.months, tail),
        ci_upper=pct(draws.months, 100 - tail),
        level=level,
        vertical_mean=stat(np.mean),
        vertical_min=stat(np.min),
        vertical_max=stat(np.max),
        vertical_ci_lower=pct(draws.vertical, tail),
        vertical_ci_upper=pct(draws.vertical, 100 - tail),
    )


def _ordinal(d: date) -> int:
    return d.toordinal()


def _frontier(days: np.ndarray, scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Release days (sorted) and the running best score at each of them."""
    order = np.lexsort((-scores, days))
    return days[order], np.maximum.accumulate(scores[order])


def _evaluate(
    lead_days: np.ndarray,
    lead_scores: np.ndarray,
    lag_days: np.ndarray,
    lag_scores: np.ndarray,
    grid: np.ndarray,
    tolerance: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """gap in days, vertical gap and a mask of evaluated days, for each day of ``grid``."""
    ld, lf = _frontier(lead_days, lead_scores)
    gd, gf = _frontier(lag_days, lag_scores)
    gi = np.searchsorted(gd, grid, side="right") - 1  # last lagging release on or before t
    evaluated = gi >= 0
    lag_front = np.where(evaluated, gf[np.clip(gi, 0, None)], np.nan)
    li = np.searchsorted(ld, grid, side="right") - 1
    lead_front = np.where(li >= 0, lf[np.clip(li, 0, None)], np.nan)
    # first index where the leading frontier reaches the lagging frontier (minus tolerance)
    first = np.searchsorted(lf, np.nan_to_num(lag_front, nan=np.inf) - tolerance, side="left")
    reached_day = np.where(
        first < ld.size, ld[np.clip(first, 0, ld.size - 1)], np.iinfo(np.int64).max
    )
    gap_days = np.where(reached_day <= grid, grid - reached_day, 0).astype(float)
    vertical = lead_front - lag_front
    return gap_days, vertical, evaluated


def capability_gap(
    scores: Sequence[DatedScore],
    leading: str,
    lagging: str,
    *,
    start: date = DEFAULT_START,
    end: date | None = None,
    tolerance: float = 0.0,
    resamples: int = 1000,
    seed: int = 0,
    level: float = 0.95,
) -> Gap:
    """The gap of ``lagging`` behind ``leading`` (group names: ISO country codes, ``open`` or
    ``closed``); see the module docstring."""
    lead = [s for s in scores if leading in s.groups()]
    lag = [s for s in scores if lagging in s.groups()]
    for group, members in ((leading, lead), (lagging, lag)):
        if not members:
            known = sorted({g for s in scores for g in s.groups()})
            raise LandscapeError(
                f"no model of group {group!r} in the data; groups present: {', '.join(known)}"
            )
    last = end or max(s.released for s in scores)
    if last < start:
        raise LandscapeError(
            f"the start date {start} is after the last release {last}; give an earlier --start"
        )
    grid = np.arange(_ordinal(start), _ordinal(last) + 1, dtype=np.int64)
    ld = np.array([_ordinal(s.released) for s in lead], dtype=np.int64)
    ls = np.array([s.score for s in lead])
    gd = np.array([_ordinal(s.released) for s in lag], dtype=np.int64)
    gs = np.array([s.score for s in lag])
    gap_days, vertical, mask = _evaluate(ld, ls, gd, gs, grid, tolerance)
    if not mask.any():
        raise LandscapeError(
            f"group {lagging!r} has no model released by {last}; give an earlier --start"
        )
    months = gap_days[mask] / MONTH_DAYS
    rng = np.random.default_rng(seed)
    draws = Draws()
    for _ in range(resamples):
        a = rng.integers(0, ld.size, ld.size)
        b = rng.integers(0, gd.size, gd.size)
        g, v, m = _evaluate(ld[a], ls[a], gd[b], gs[b], grid, tolerance)
        draws.add(g[m], v[m])

    def steps(days: np.ndarray, sc: np.ndarray) -> list[tuple[str, float]]:
        d, f = _frontier(days, sc)
        out: list[tuple[str, float]] = []
        for day, value in zip(d.tolist(), f.tolist(), strict=True):
            if out and value <= out[-1][1]:
                continue
            out.append((date.fromordinal(day).isoformat(), round(value, 3)))
        return out

    evaluated_days = grid[mask]
    series = [
        (date.fromordinal(int(d)).isoformat(), round(float(g) / MONTH_DAYS, 2))
        for d, g in zip(evaluated_days[::7], gap_days[mask][::7], strict=True)
    ]
    tol = f"tolerance {tolerance:g} points" if tolerance else "no tolerance"
    return Gap(
        leading=leading,
        lagging=lagging,
        start=start.isoformat(),
        end=last.isoformat(),
        tolerance=tolerance,
        days=int(mask.sum()),
        models_leading=len(lead),
        models_lagging=len(lag),
        **summarise(months, vertical[mask], draws, level),
        resamples=resamples,
        method=(
            f"frontier = best score released on or before each day; gap(t) = t - first day the "
            f"{leading} frontier reached the {lagging} frontier ({tol}), 0 if not yet; every "
            f"day {start} to {last} on which {lagging} has a model; months of "
            f"{MONTH_DAYS} days; {round(100 * level)}% percentile bootstrap over models "
            f"({resamples} resamples within each group, seed {seed})"
        ),
        frontier_leading=steps(ld, ls),
        frontier_lagging=steps(gd, gs),
        gap_series=series,
    )


__all__ = [
    "DEFAULT_START",
    "MONTH_DAYS",
    "DatedScore",
    "Draws",
    "Gap",
    "Summary",
    "capability_gap",
    "read_dated_scores",
    "summarise",
]
