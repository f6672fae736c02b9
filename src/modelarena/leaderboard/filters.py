"""Leaderboard filters: the one parser of the CLI, the web page and the API."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from modelarena.store import HUMAN


class FilterError(ValueError):
    """A leaderboard filter value that is not allowed; the message names it and the choices."""


# Filters anyone may set (the web page and API): each costs at most one fit.
PUBLIC_FILTERS = (
    "open", "country", "license", "category", "language", "min_votes", "style", "source"
)  # fmt: skip
# Also for the operator (the CLI): these refit many times or change the method.
ALL_FILTERS = (*PUBLIC_FILTERS, "intervals", "weighted", "ties")


def _flag(key: str, value: str | None) -> bool | None:
    if value is None or value.strip() == "":
        return None
    v = value.strip().lower()
    if v in ("1", "true", "yes", "on"):
        return True
    if v in ("0", "false", "no", "off"):
        return False
    raise FilterError(f"{key} must be true or false, got {value!r}")


def _items(value: str | None) -> tuple[str, ...]:
    return tuple(x.strip() for x in (value or "").split(",") if x.strip())


def _choice(key: str, value: str | None, choices: Sequence[str], default: str) -> str:
    v = (value or "").strip() or default
    if v not in choices:
        raise FilterError(f"unknown {key} {v!r}; use one of: {', '.join(choices)}")
    return v


@dataclass(frozen=True)
class LeaderboardFilters:
    open_weights: bool | None = None
    countries: tuple[str, ...] = ()
    license_classes: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()  # battles' detected languages (ISO 639-1 codes)
    source: str = HUMAN  # "human", "judge:<model>", or "judge" for every judge
    min_votes: int = 0
    style_control: bool = False
    intervals: Literal["sandwich", "bootstrap"] = "sandwich"
    weighted: bool = False  # inverse-probability weighting by the logged pair probability
    ties: Literal["half", "davidson"] = "half"

    @classmethod
    def parse(
        cls, params: Mapping[str, str | None], *, allow: Sequence[str] = PUBLIC_FILTERS
    ) -> LeaderboardFilters:
        """Filters from text values, the one parser of the CLI, the web page and the API.

        Keys (the URL's query parameters): ``open`` (true: open weights only, false: closed
        only), ``country`` (comma list of ISO codes), ``license`` (comma list of licence
        classes), ``category`` (comma list), ``min_votes``, ``style`` (style control),
        ``source`` (``human``, ``judge`` or ``judge:<model>``), ``language`` (comma list of
        ISO 639-1 codes such as ``zh``: battles whose prompt is in that language); with
        ``allow=ALL_FILTERS`` also ``intervals`` (sandwich or bootstrap), ``weighted`` and
        ``ties`` (half or davidson). Other keys are ignored. FilterError names a bad value
        and the choices.
        """
        from modelarena.battles.categories import CATEGORY_IDS
        from modelarena.catalog import LICENSE_CLASSES

        raw = {k: params.get(k) for k in allow}
        countries = tuple(c.upper() for c in _items(raw.get("country")))
        bad = [c for c in countries if not re.fullmatch(r"[A-Z]{2}", c)]
        if bad:
            raise FilterError(f"country must be a two-letter ISO code such as CN, got {bad[0]!r}")
        licenses = _items(raw.get("license"))
        for value in licenses:
            _choice("licence class", value, LICENSE_CLASSES, "")
        categories = _items(raw.get("category"))
        for value in categories:
            _choice("category", value, CATEGORY_IDS, "")
        languages = tuple(x.lower() for x in _items(raw.get("language")))
        bad = [x for x in languages if not re.fullmatch(r"[a-z]{2,3}", x)]
        if bad:
            raise FilterError(f"language must be an ISO 639-1 code such as zh, got {bad[0]!r}")
        text = (raw.get("min_votes") or "").strip() or "0"
        if not text.isdigit():
            raise FilterError(f"min_votes must be a whole number >= 0, got {text!r}")
        source = (raw.get("source") or "").strip() or HUMAN
        if source not in (HUMAN, "judge") and not re.fullmatch(r"judge:\S+", source):
            raise FilterError(f"source must be human, judge or judge:<model>, got {source!r}")
        methods = ("sandwich", "bootstrap")
        intervals = _choice("intervals", raw.get("intervals"), methods, "sandwich")
        ties = _choice("ties", raw.get("ties"), ("half", "davidson"), "half")
        style = _flag("style", raw.get("style")) or False
        weighted = _flag("weighted", raw.get("weighted")) or False
        if languages and (style or weighted):
            raise FilterError("language cannot be combined with style or weighted yet; drop one")
        return cls(
            open_weights=_flag("open", raw.get("open")),
            countries=countries,
            license_classes=licenses,
            categories=categories,
            languages=languages,
            source=source,
            min_votes=int(text),
            style_control=style,
            intervals=intervals,  # type: ignore[arg-type]
            weighted=weighted,
            ties=ties,  # type: ignore[arg-type]
        )

    def admits(self, info: Any) -> bool:
        """Whether a model passes the display filters (open weights, country, licence
        class), from its catalog facts (an ``arena.ModelInfo``-like object): the one rule
        the leaderboard and the audits page apply."""
        if self.open_weights is not None and info.open_weights is not self.open_weights:
            return False
        if self.countries and (info.country or "").upper() not in {
            c.upper() for c in self.countries
        }:
            return False
        return not (self.license_classes and info.license_class not in self.license_classes)

    def describe(self) -> str:
        parts = [f"source={self.source}"]
        if self.open_weights is not None:
            parts.append("open weights only" if self.open_weights else "closed only")
        if self.countries:
            parts.append("country=" + ",".join(self.countries))
        if self.license_classes:
            parts.append("licence=" + ",".join(self.license_classes))
        if self.categories:
            parts.append("category=" + ",".join(self.categories))
        if self.languages:
            parts.append("language=" + ",".join(self.languages))
        if self.min_votes:
            parts.append(f"min votes={self.min_votes}")
        if self.style_control:
            parts.append("style control")
        if self.weighted:
            parts.append("IPW")
        return ", ".join(parts)
