"""Published leaderboards read from their files: LMArena's leaderboard JSON and CSV tables.

- JSON: ``{category: {model: {"rating": r, "rating_q025": lo, "rating_q975": hi, ...}}}``
  (LMArena's own export; categories such as ``full``, ``coding``, ``chinese``). A file holding
  a single ``{model: {...}}`` mapping is read as the category ``full``.
- CSV: one row per model with a model column and a rating column; interval columns
  (``rating_q025``/``rating_q975``, ``ci_lower``/``ci_upper``, or one ``95% CI`` column such as
  ``+5/-4``), and when present ``votes``, ``organization``, ``license``, ``open_weights`` and
  ``category``.

A row keeps what its file says about the model's organisation, licence and open weights, so
the board can report where the file and the catalog disagree.
"""

from __future__ import annotations

import csv
import json
import math
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from modelarena.store.landscape_snapshots import SnapshotRow

DEFAULT_CATEGORY = "full"


class LandscapeError(ValueError):
    """A landscape input the user can fix: the message names it and the fix."""


_COLUMNS: dict[str, tuple[str, ...]] = {
    "model": ("model", "model_name", "name", "key", "model version", "model_id"),
    "rating": ("rating", "score", "arena score", "arena_score", "elo", "arena elo"),
    "lower": ("rating_q025", "ci_lower", "rating_lower", "lower", "lower_bound"),
    "upper": ("rating_q975", "ci_upper", "rating_upper", "upper", "upper_bound"),
    "ci": ("95% ci", "ci", "95_ci", "ci_95"),
    "votes": ("votes", "vote_count", "num_votes", "num_battles", "battles", "n"),
    "organization": ("organization", "organisation", "org", "lab", "developer"),
    "license": ("license", "licence"),
    "open_weights": ("open_weights", "open", "open weights", "weights"),
    "category": ("category",),
}


def _number(value: Any, what: str, where: str) -> float | None:
    if value is None or (isinstance(value, str) and value.strip() in ("", "-", "nan", "NaN")):
        return None
    try:
        out = float(str(value).replace(",", "")) if isinstance(value, str) else float(value)
    except (TypeError, ValueError):
        raise LandscapeError(f"{where}: {what} {value!r} is not a number") from None
    return out if math.isfinite(out) else None


def open_from_license(license_text: str | None) -> bool | None:
    """Open weights as a leaderboard's licence column implies it: ``Proprietary`` is closed,
    a named licence (Apache 2.0, MIT, Llama 3.1 Community, ...) is open; blank is unknown."""
    if not license_text or not license_text.strip():
        return None
    text = license_text.strip().lower()
    return not (text.startswith("propriet") or text in ("closed", "api", "api access"))


def _flag(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    text = str(value or "").strip().lower()
    if text in ("1", "true", "yes", "open", "y"):
        return True
    if text in ("0", "false", "no", "closed", "n", "proprietary"):
        return False
    return None


def _text(value: Any) -> str | None:
    text = str(value).strip() if value is not None else ""
    return text or None


def _row(raw: Mapping[str, Any], where: str) -> SnapshotRow:
    """A board row from a mapping with the canonical keys of :data:`_COLUMNS`."""
    model = _text(raw.get("model"))
    if model is None:
        raise LandscapeError(f"{where}: a row has no model name")
    rating = _number(raw.get("rating"), "rating", where)
    if rating is None:
        raise LandscapeError(f"{where}: model {model!r} has no rating")
    lower = _number(raw.get("lower"), "lower bound", where)
    upper = _number(raw.get("upper"), "upper bound", where)
    ci = _text(raw.get("ci"))
    if ci and lower is None and upper is None:
        match = re.fullmatch(r"\+\s*([\d.]+)\s*/\s*-\s*([\d.]+)", ci)
        if not match:
            raise LandscapeError(f"{where}: 95% CI {ci!r} of {model!r} is not like '+5/-4'")
        upper, lower = rating + float(match.group(1)), rating - float(match.group(2))
    if lower is not None and upper is not None and not lower <= rating <= upper:
        raise LandscapeError(
            f"{where}: the interval {lower:g} to {upper:g} of {model!r} does not hold its "
            f"rating {rating:g}; check the interval columns"
        )
    votes = _number(raw.get("votes"), "votes", where)
    license_text = _text(raw.get("license"))
    explicit = _flag(raw.get("open_weights")) if raw.get("open_weights") is not None else None
    return SnapshotRow(
        model=model,
        rating=rating,
        rating_lower=lower,
        rating_upper=upper,
        votes=None if votes is None else int(votes),
        organization=_text(raw.get("organization")),
        license=license_text,
        open_weights=explicit if explicit is not None else open_from_license(license_text),
    )


def _from_json(data: Any, where: str) -> dict[str, list[SnapshotRow]]:
    if not isinstance(data, dict) or not data:
        raise LandscapeError(
            f"{where}: expected LMArena's leaderboard JSON {{category: {{model: {{rating, "
            "rating_q025, rating_q975}}}}}}"
        )
    first = next(iter(data.values()))
    if isinstance(first, dict) and "rating" in first:  # one category, unnamed
        data = {DEFAULT_CATEGORY: data}
    out: dict[str, list[SnapshotRow]] = {}
    for category, models in data.items():
        if not isinstance(models, dict):
            raise LandscapeError(f"{where}: category {category!r} is not a mapping of models")
        rows = []
        for name, fields in models.items():
            if not isinstance(fields, dict):
                raise LandscapeError(f"{where}: model {name!r} in {category!r} is not a mapping")
            canon = {"model": name}
            for key, aliases in _COLUMNS.items():
                for alias in aliases:
                    if alias in fields:
                        canon[key] = fields[alias]
                        break
            rows.append(_row(canon, f"{where} [{category}]"))
        out[str(category)] = rows
    return out


def _from_csv(lines: Iterable[str], where: str) -> dict[str, list[SnapshotRow]]:
    reader = csv.DictReader(lines)
    header = {(h or "").strip().lower(): h for h in reader.fieldnames or []}
    pick: dict[str, str] = {}
    for key, aliases in _COLUMNS.items():
        for alias in aliases:
            if alias in header:
                pick[key] = header[alias]
                break
    for need in ("model", "rating"):
        if need not in pick:
            raise LandscapeError(
                f"{where}: no {need} column; name one of: {', '.join(_COLUMNS[need])}"
            )
    out: dict[str, list[SnapshotRow]] = {}
    for n, raw in enumerate(reader, start=2):
        canon = {key: raw.get(column) for key, column in pick.items()}
        category = _text(canon.get("category")) or DEFAULT_CATEGORY
        out.setdefault(category, []).append(_row(canon, f"{where} line {n}"))
    if not out:
        raise LandscapeError(f"{where}: the table has no rows")
    return out


def read_board_file(path: str | Path) -> dict[str, list[SnapshotRow]]:
    """The categories of a published leaderboard file and their rows, best rating first."""
    p = Path(path)
    where = str(p)
    if not p.is_file():
        raise LandscapeError(f"no such file: {where}; give the path of a leaderboard JSON or CSV")
    try:
        text = p.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise LandscapeError(
            f"{where}: not a UTF-8 text file; give LMArena's leaderboard JSON or a CSV table"
        ) from None
    if not text.strip():
        raise LandscapeError(f"{where}: the file is empty; give a leaderboard JSON or CSV")
    if p.suffix.lower() == ".json" or text.lstrip().startswith("{"):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise LandscapeError(
                f"{where}: not valid JSON ({exc.msg} at line {exc.lineno})"
            ) from None
        boards = _from_json(data, where)
    else:
        boards = _from_csv(text.splitlines(), where)
    for category, rows in boards.items():
        names = [r.model for r in rows]
        if len(set(names)) != len(names):
            dup = next(n for n in names if names.count(n) > 1)
            raise LandscapeError(f"{where}: model {dup!r} appears twice in category {category!r}")
        rows.sort(key=lambda r: (-r.rating, r.model))
    return boards


__all__ = ["DEFAULT_CATEGORY", "LandscapeError", "open_from_license", "read_board_file"]
