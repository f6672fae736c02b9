"""Family trajectories (Qwen vs Llama) from daily download series.

Input: a folder of ``<Org>.csv`` files, one row per model: ``model, <date>, <date>, ...,
created_at`` with the cumulative downloads the collector had counted on each day (the layout
of KBhandari11/ForecastHuggingFaceModels ``data/<date>/download/``). A series is 0 until the
collector starts tracking the model and counts from there, so a day's downloads are the
difference from the day before; the first column has no day before and is not counted.

A family is a regular expression on the model id. The defaults are first-party repos only
(``Qwen/...`` and ``meta-llama/...``): community fine-tunes and quantisations named after a
family are a different question (``--family 'Qwen=(?i)qwen'`` asks it). Monthly downloads
per family come with the number of models tracked, and the share of each family among the
families compared with a 95% bootstrap interval over models. The collector kept at most 100
models per organisation: these are samples, never the whole Hub.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import numpy as np

from modelarena.landscape.shares import DEFAULT_REPS, bootstrap_shares
from modelarena.ratings import MIN_INTERVAL_VOTES

DEFAULT_FAMILIES = {"Qwen": r"(?i)^qwen/", "Llama": r"(?i)^meta-llama/"}


class FamilyError(ValueError):
    """The series folder or a family option is wrong; the message says how to fix it."""


def parse_family(option: str) -> tuple[str, str]:
    """``NAME=REGEX`` -> (name, regex), checked."""
    name, sep, pattern = option.partition("=")
    if not sep or not name.strip() or not pattern:
        raise FamilyError(f"--family {option!r}: write it as NAME=REGEX, e.g. 'Qwen=(?i)^qwen/'")
    try:
        re.compile(pattern)
    except re.error as exc:
        raise FamilyError(f"--family {option!r}: not a regular expression ({exc})") from exc
    return name.strip(), pattern


def series_folder(path: str | Path, kind: str = "download") -> Path:
    """The folder holding the ``<Org>.csv`` series of ``kind`` (``download`` or
    ``finetune``): ``path`` itself, its ``<kind>/``, or the one ``<kind>/`` folder below it."""
    p = Path(path)
    if not p.is_dir():
        raise FamilyError(f"{p} is not a folder of series ({kind}/<Org>.csv)")
    if (p / kind).is_dir():
        return p / kind
    if p.name == kind and any(p.glob("*.csv")):
        return p
    found = sorted(d for d in p.rglob(kind) if d.is_dir())
    if len(found) == 1:
        return found[0]
    if not found:
        if kind == "download" and any(p.glob("*.csv")):
            return p
        raise FamilyError(f"{p}: no {kind}/<Org>.csv series below it")
    raise FamilyError(f"{p}: several {kind}/ folders ({len(found)}); name one of them")


@dataclass(frozen=True)
class Series:
    dates: list[date]
    models: list[str]
    cumulative: np.ndarray  # (models, days)
    files: int
    duplicates: int  # model rows seen in more than one file (the first kept)


def load_series(path: str | Path) -> Series:
    folder = series_folder(path)
    dates: list[date] | None = None
    models: list[str] = []
    rows: list[list[float]] = []
    seen: set[str] = set()
    duplicates = files = 0
    for file in sorted(folder.glob("*.csv")):
        with file.open(newline="", encoding="utf-8") as fh:
            reader = csv.reader(fh)
            header = next(reader, None)
            if not header or header[0] != "model":
                raise FamilyError(f"{file}: the first column must be 'model'")
            cols = [i for i, h in enumerate(header) if re.match(r"\d{4}-\d{2}-\d{2}", h)]
            these = [datetime.fromisoformat(header[i][:10]).date() for i in cols]
            if dates is None:
                dates = these
            elif these != dates:
                raise FamilyError(f"{file}: its dates differ from the other files'")
            files += 1
            for row in reader:
                if not row or not row[0]:
                    continue
                if row[0].lower() in seen:
                    duplicates += 1
                    continue
                seen.add(row[0].lower())
                models.append(row[0])
                rows.append([float(row[i]) if row[i] else np.nan for i in cols])
    if dates is None:
        raise FamilyError(f"{folder}: no .csv series in it")
    matrix = np.array(rows, dtype=np.float64).reshape(len(rows), len(dates))
    return Series(dates, models, matrix, files, duplicates)


@dataclass(frozen=True)
class FamilyMonth:
    month: str
    days: int  # days of the month with a counted difference
    value: dict[str, float]  # family -> downloads (or new fine-tunes) that month
    models: dict[str, int]  # family -> models with a nonzero value that month
    share: dict[str, float | None]  # family -> share among the families compared
    lower: dict[str, float | None]
    upper: dict[str, float | None]
    top: dict[str, tuple[str, float]]  # family -> its largest model that month


@dataclass
class FamilyReport:
    folder: str
    families: dict[str, str]
    first_day: str
    last_day: str
    months: list[FamilyMonth] = field(default_factory=list)
    totals: dict[str, float] = field(default_factory=dict)
    models: dict[str, int] = field(default_factory=dict)  # family -> models matched
    unmatched_models: int = 0
    crossover: str | None = None  # first month the second family passes the first and stays
    sample: bool = True
    unit: str = "downloads"  # or "new fine-tunes"

    def label(self) -> str:
        return (
            "SAMPLE: the collector's series (at most 100 models per organisation), "
            "not every repo of the family"
        )


def _family_of(models: list[str], families: dict[str, str]) -> np.ndarray:
    compiled = [re.compile(rx) for rx in families.values()]
    out = np.full(len(models), -1)
    for i, model in enumerate(models):
        for f, rx in enumerate(compiled):
            if rx.search(model):
                out[i] = f
                break
    return out


def family_trajectories(
    path: str | Path,
    families: dict[str, str] | None = None,
    *,
    since: date | None = None,
    until: date | None = None,
    reps: int = DEFAULT_REPS,
    seed: int = 0,
) -> FamilyReport:
    """Monthly downloads per family from the daily ``download/<Org>.csv`` series."""
    families = families or dict(DEFAULT_FAMILIES)
    series = load_series(path)
    daily = np.diff(np.nan_to_num(series.cumulative), axis=1).clip(min=0)
    days = series.dates[1:]
    keep = np.array(
        [(since is None or d >= since) and (until is None or d < until) for d in days], bool
    )
    if not keep.any():
        raise FamilyError("no day of the series falls between --since and --until")
    daily, days = daily[:, keep], [d for d, k in zip(days, keep, strict=True) if k]
    month_keys = sorted({d.strftime("%Y-%m") for d in days})
    month_of = np.array([month_keys.index(d.strftime("%Y-%m")) for d in days])
    per_month = np.zeros((len(series.models), len(month_keys)))
    for m in range(len(month_keys)):
        per_month[:, m] = daily[:, month_of == m].sum(axis=1)
    report = FamilyReport(
        folder=str(series_folder(path)),
        families=dict(families),
        first_day=days[0].isoformat(),
        last_day=days[-1].isoformat(),
    )
    day_counts = [int((month_of == m).sum()) for m in range(len(month_keys))]
    return _fill(report, series.models, per_month, month_keys, day_counts, reps, seed)


def finetune_trajectories(
    path: str | Path,
    families: dict[str, str] | None = None,
    *,
    since: date | None = None,
    until: date | None = None,
    reps: int = DEFAULT_REPS,
    seed: int = 0,
) -> FamilyReport:
    """New fine-tunes per family and month from ``finetune/<Org>.csv``: for each base model,
    the cumulative count of its fine-tuned children ``k`` months after its creation
    (``0-month, 1-month, ...``), put in the calendar month of ``created_at`` + k (a shift of
    up to a month against the true dates)."""
    families = families or dict(DEFAULT_FAMILIES)
    folder = series_folder(path, "finetune")
    models: list[str] = []
    rows: list[dict[tuple[int, int], float]] = []
    seen: set[str] = set()
    for file in sorted(folder.glob("*.csv")):
        with file.open(newline="", encoding="utf-8") as fh:
            reader = csv.DictReader(fh)
            cols = [c for c in reader.fieldnames or [] if re.fullmatch(r"\d+-month", c)]
            if not cols or "model" not in (reader.fieldnames or []):
                raise FamilyError(f"{file}: needs the columns model, 0-month, 1-month, ...")
            for row in reader:
                if not row["model"] or row["model"].lower() in seen:
                    continue
                try:
                    created = datetime.fromisoformat(row["created_at"][:10]).date()
                except (KeyError, ValueError) as exc:
                    raise FamilyError(f"{file}: {row['model']} has no created_at date") from exc
                seen.add(row["model"].lower())
                counts = {int(c.split("-")[0]): float(row[c]) for c in cols if row[c] not in ("",)}
                new: dict[tuple[int, int], float] = {}
                for k in sorted(counts):
                    if k == 0 or k - 1 not in counts:
                        continue
                    total = created.year * 12 + created.month - 1 + k
                    new[(total // 12, total % 12 + 1)] = max(0.0, counts[k] - counts[k - 1])
                models.append(row["model"])
                rows.append(new)
    if not models:
        raise FamilyError(f"{folder}: no fine-tune series in it")
    keys = sorted({ym for r in rows for ym in r})
    keys = [
        ym
        for ym in keys
        if (since is None or date(ym[0], ym[1], 1) >= since.replace(day=1))
        and (until is None or date(ym[0], ym[1], 1) < until)
    ]
    if not keys:
        raise FamilyError("no month of the fine-tune series falls between --since and --until")
    index = {ym: i for i, ym in enumerate(keys)}
    per_month = np.zeros((len(models), len(keys)))
    for i, r in enumerate(rows):
        for ym, v in r.items():
            if ym in index:
                per_month[i, index[ym]] = v
    month_keys = [f"{y}-{m:02d}" for y, m in keys]
    report = FamilyReport(
        folder=str(folder),
        families=dict(families),
        first_day=f"{month_keys[0]}-01",
        last_day=f"{month_keys[-1]}-01",
        unit="new fine-tunes",
    )
    return _fill(report, models, per_month, month_keys, [0] * len(keys), reps, seed)


def _fill(
    report: FamilyReport,
    models: list[str],
    per_month: np.ndarray,
    month_keys: list[str],
    day_counts: list[int],
    reps: int,
    seed: int,
) -> FamilyReport:
    """Shares per month among the families, with intervals, totals and the crossover."""
    family_of = _family_of(models, report.families)
    names = list(report.families)
    member = np.flatnonzero(family_of >= 0)
    model_idx, month_idx = np.nonzero(per_month[member] > 0)
    rows_model = member[model_idx]
    shares = bootstrap_shares(
        rows_model,
        month_idx,
        family_of[rows_model],
        per_month[rows_model, month_idx],
        panels=len(month_keys),
        categories=len(names),
        reps=reps,
        seed=seed,
    )
    report.unmatched_models = int((family_of < 0).sum())
    for m, key in enumerate(month_keys):
        few = sum(int(shares.models[m, f]) for f in range(len(names))) < MIN_INTERVAL_VOTES

        def val(a: np.ndarray, f: int, m: int = m) -> float | None:
            return None if np.isnan(a[m, f]) else float(a[m, f])

        def bound(a: np.ndarray, f: int, m: int = m, few: bool = few) -> float | None:
            return None if few else val(a, f, m)  # decision 0007: no interval below ten

        report.months.append(
            FamilyMonth(
                month=key,
                days=day_counts[m],
                value={n: float(shares.totals[m, f]) for f, n in enumerate(names)},
                models={n: int(shares.models[m, f]) for f, n in enumerate(names)},
                share={n: val(shares.shares, f) for f, n in enumerate(names)},
                lower={n: bound(shares.lower, f) for f, n in enumerate(names)},
                upper={n: bound(shares.upper, f) for f, n in enumerate(names)},
                top=_top(models, per_month[:, m], family_of, names),
            )
        )
    report.totals = {n: float(shares.totals[:, f].sum()) for f, n in enumerate(names)}
    report.models = {n: int((family_of == f).sum()) for f, n in enumerate(names)}
    if len(names) >= 2:
        a, b = names[0], names[1]
        ahead = [fm.value[b] > fm.value[a] for fm in report.months]
        for i in range(len(ahead)):
            if all(ahead[i:]) and not all(ahead):
                report.crossover = report.months[i].month
                break
    return report


def _top(
    models: list[str], downloads: np.ndarray, family_of: np.ndarray, names: list[str]
) -> dict[str, tuple[str, float]]:
    out = {}
    for f, name in enumerate(names):
        idx = np.flatnonzero(family_of == f)
        if len(idx) and downloads[idx].max() > 0:
            best = idx[int(np.argmax(downloads[idx]))]
            out[name] = (models[best], float(downloads[best]))
    return out


__all__ = [
    "DEFAULT_FAMILIES",
    "FamilyError",
    "FamilyMonth",
    "FamilyReport",
    "Series",
    "family_trajectories",
    "finetune_trajectories",
    "load_series",
    "parse_family",
    "series_folder",
]
