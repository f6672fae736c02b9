"""The capability gap on ratings refitted on the votes up to each date.

Arena ratings placed at release dates mix in later drift: a model rated today was compared
with models that did not exist at its release. With the votes themselves, the gap can be
read as it stood on each date t: every model released on or before t is rated by a fit on the
votes up to t, and

    gap(t) = t - the first release date of a leading model rated (as of t) at least the best
             lagging model (as of t), minus the tolerance; 0 when none is.

Each date is compared within its own fit (ratings are defined up to a constant per fit), so no
two fits are ever mixed. Evaluated on the refit dates (weekly by default) on which both the
lagging group has a rated model; the bootstrap resamples each group's models, as in gap.py.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

import numpy as np

from modelarena.landscape.gap import MONTH_DAYS, DatedScore, Draws, Gap, summarise
from modelarena.landscape.snapshots import LandscapeError

Fit = tuple[date, Mapping[str, float]]  # a refit date and the ratings of the models it rated


def _gaps(
    lead: Sequence[DatedScore],
    lag: Sequence[DatedScore],
    fits: Sequence[Fit],
    tolerance: float,
) -> tuple[list[date], list[float], list[float]]:
    """The evaluated dates, the gap in days and the vertical gap on each."""
    days: list[date] = []
    gaps: list[float] = []
    vertical: list[float] = []
    for t, rated in fits:
        lag_now = [rated[m.model] for m in lag if m.released <= t and m.model in rated]
        if not lag_now:
            continue
        target = max(lag_now)
        lead_now = [
            (m.released, rated[m.model]) for m in lead if m.released <= t and m.model in rated
        ]
        reached = [r for r, score in lead_now if score >= target - tolerance]
        days.append(t)
        gaps.append(float((t - min(reached)).days) if reached else 0.0)
        vertical.append(max(s for _, s in lead_now) - target if lead_now else float("nan"))
    return days, gaps, vertical


def refit_gap(
    models: Sequence[DatedScore],
    fits: Sequence[Fit],
    leading: str,
    lagging: str,
    *,
    tolerance: float = 0.0,
    resamples: int = 1000,
    seed: int = 0,
    level: float = 0.95,
    every: str = "weekly",
) -> Gap:
    """The gap of ``lagging`` behind ``leading`` on refitted ratings (module docstring).
    ``models`` give each model's release date and groups (their ``score`` is unused)."""
    lead = [m for m in models if leading in m.groups()]
    lag = [m for m in models if lagging in m.groups()]
    for group, members in ((leading, lead), (lagging, lag)):
        if not members:
            raise LandscapeError(
                f"no rated model of group {group!r} has a catalog release date; "
                "add release dates to the catalog or vote on more models"
            )
    days, gaps, vertical = _gaps(lead, lag, fits, tolerance)
    if not days:
        raise LandscapeError(
            f"no refit date has a rated {lagging!r} model; vote on them, or give an earlier --start"
        )
    rng = np.random.default_rng(seed)
    draws = Draws()
    for _ in range(resamples):
        a = [lead[i] for i in np.unique(rng.integers(0, len(lead), len(lead)))]
        b = [lag[i] for i in np.unique(rng.integers(0, len(lag), len(lag)))]
        _, g, v = _gaps(a, b, fits, tolerance)
        draws.add(np.array(g), np.array(v))

    def steps(group: Sequence[DatedScore]) -> list[tuple[str, float]]:
        last = fits[-1][1]
        out: list[tuple[str, float]] = []
        for m in sorted(group, key=lambda m: (m.released, -last.get(m.model, -np.inf))):
            if m.model in last and (not out or last[m.model] > out[-1][1]):
                out.append((m.released.isoformat(), round(float(last[m.model]), 1)))
        return out

    tol = f"tolerance {tolerance:g} points" if tolerance else "no tolerance"
    return Gap(
        leading=leading,
        lagging=lagging,
        start=days[0].isoformat(),
        end=days[-1].isoformat(),
        tolerance=tolerance,
        days=len(days),
        models_leading=len(lead),
        models_lagging=len(lag),
        **summarise(np.array(gaps) / MONTH_DAYS, np.array(vertical), draws, level),
        resamples=resamples,
        method=(
            f"ratings refitted ({every}) on the votes up to each date; on each date t, gap(t) = "
            f"t - first release of a {leading} model rated, as of t, at least the best {lagging} "
            f"model ({tol}), 0 if none; {len(days)} refit dates from {days[0]} to {days[-1]}; "
            f"months of {MONTH_DAYS} days; {round(100 * level)}% percentile bootstrap over "
            f"models ({resamples} resamples within each group, seed {seed}); frontiers drawn "
            "with the last fit's ratings"
        ),
        frontier_leading=steps(lead),
        frontier_lagging=steps(lag),
        gap_series=[
            (d.isoformat(), round(g / MONTH_DAYS, 2)) for d, g in zip(days, gaps, strict=True)
        ],
    )


__all__ = ["Fit", "refit_gap"]
