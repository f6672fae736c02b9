"""Names that resolve: a model name as a leaderboard, a vote log or a provider writes it, to
the catalog entry it is a variant of, with the variant recorded.

Published names carry variants of one underlying model: dated snapshots (``-20250514``,
``-0528``, ``-2507``, ``-05-06``, ``-2025-02-27``), reasoning modes (``-thinking-32k``,
``-high``, ``-no-thinking``), previews (``-preview``, ``-exp``, ``-latest``), serving tiers
(``-turbo``, ``-fast``), ``-chat``/``-instruct``/``-it`` and precisions (``-fp8``). The
resolver tries the whole name first (a catalog id or alias always wins, so ``grok-4-fast`` or
``kimi-k2-thinking`` stay their own entries when the catalog has them), then strips one such
token from the end at a time and tries again. A name that still does not resolve is
unresolved: it gets the nearest catalog names as candidates and never a guessed country.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any, Literal

from modelarena.catalog.entries import Catalog, CatalogEntry, load_catalog, normalize_name

MatchedBy = Literal["id", "alias", "variant", "stem", "unresolved"]

# Dated snapshots and version tags, as the tail of a folded name ("." and ":" are "-").
_SNAPSHOT = (
    r"\d{4}-\d{2}-\d{2}"  # 2025-02-27
    r"|\d{2}-\d{2}-\d{4}"  # 03-27-2025
    r"|\d{2}-\d{4}"  # 09-2025
    r"|\d{2}-\d{2}"  # 05-06
    r"|\d{8}|\d{6}|\d{4}|\d{3}"  # 20250514, 241022, 0528 / 2507, 002
    r"|v\d+(?:-\d{1,2})*"  # v0.1, v1:0, v1.5 (not v2-0724: that is v2 and a date)
)
# Reasoning modes, previews, serving tiers, pooled suffixes and precisions.
_VARIANT = (
    r"(?:thinking|reasoning)-(?:\d+k|high|low|medium|minimal|max)"
    r"|no-thinking|non-thinking|nothinking|non-reasoning|no-reasoning"
    r"|thinking|reasoning|xhigh|high|low|medium|minimal"
    r"|preview|exp|experimental|latest|beta|alpha|new"
    r"|turbo|fast|instant|free|online|api|search|grounding"
    r"|chat|instruct|it|hf"
    r"|fp8|fp16|bf16|fp4|nvfp4|mxfp4|int4|int8|awq|gptq|gguf|mlx|exl2|\d+bit|w\d+a\d+"
    r"|q\d(?:-k)?(?:-[sml0-9])?"  # llama.cpp quantisations: Q4_K_M, Q8_0
    r"|\d+k"
)
_TAIL = re.compile(rf"-(?:(?P<snapshot>{_SNAPSHOT})|(?P<variant>{_VARIANT}))$")
# Leading vendor words some files put before the model's own name ("Meta-Llama-3-70B").
_PREFIXES = (
    "meta-", "anthropic-", "openai-", "google-", "amazon-", "nvidia-", "ibm-", "microsoft-",
    "mistralai-", "cohere-", "ai21-", "xai-", "us-", "eu-",
)  # fmt: skip
# Suffixes a catalog name may carry that a published name may leave off ("gemma-3-27b").
_POOLED = re.compile(r"-(?:instruct|chat|it)(?:-hf)?$")
_SPLIT = re.compile(r"^([a-z]{3,})(\d)")
_MAX_STRIPS = 8
_UNRECORDED = frozenset({"instruct", "it", "hf"})


@dataclass(frozen=True)
class Resolution:
    """What a name resolved to.

    ``matched_by``: ``id`` or ``alias`` (the whole name is a catalog name), ``variant``
    (after stripping variant tokens), ``stem`` (the name leaves off a ``-instruct``,
    ``-chat`` or ``-it`` the catalog name carries) or ``unresolved`` (``entry`` is None).
    ``variant`` joins the stripped modes in name order ("thinking-32k", "preview-high");
    ``snapshot`` the stripped dates and versions ("20251101", "05-06").
    """

    name: str
    entry: CatalogEntry | None
    variant: str | None = None
    matched_by: MatchedBy = "unresolved"
    snapshot: str | None = None

    @property
    def resolved(self) -> bool:
        return self.entry is not None

    @property
    def model_id(self) -> str | None:
        return self.entry.id if self.entry is not None else None

    @property
    def country(self) -> str | None:
        """The developer's country; None when unresolved (never a guess)."""
        return self.entry.country if self.entry is not None else None

    @property
    def lineage_country(self) -> str | None:
        """The country of the root base model; None when unresolved."""
        return self.entry.lineage_country if self.entry is not None else None

    @property
    def snapshot_date(self) -> date | None:
        """The date the snapshot names, when it names one: ``20241022`` and ``2025-02-27``
        as written; ``0613`` or ``05-06`` (month and day) in the first year that is not before
        the entry's release; ``2507`` or ``202412`` (year and month) and ``09-2025`` (month
        and year) as the first of that month. None for versions (``001``, ``v0.1``)."""
        if self.snapshot is None or self.entry is None:
            return None
        return snapshot_date(self.snapshot, self.entry.release_date)

    @property
    def released(self) -> date | None:
        """When this variant came out: its snapshot date if it names one on or after the
        model's release, else the model's release date."""
        if self.entry is None:
            return None
        snap = self.snapshot_date
        first = self.entry.release_date
        return snap if snap is not None and (first is None or snap >= first) else first

    def to_dict(self) -> dict[str, Any]:
        e = self.entry
        return {
            "name": self.name,
            "model": e.id if e else None,
            "variant": self.variant,
            "snapshot": self.snapshot,
            "snapshot_date": d.isoformat() if (d := self.snapshot_date) else None,
            "released": d.isoformat() if (d := self.released) else None,
            "matched_by": self.matched_by,
            "lab": e.lab if e else None,
            "country": e.country if e else None,
            "lineage_country": e.lineage_country if e else None,
            "base_model": e.base_model if e else None,
            "open_weights": e.open_weights if e else None,
            "license_class": e.license_class if e else None,
            "release_date": e.release_date.isoformat() if e and e.release_date else None,
        }


def _day(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def snapshot_date(snapshot: str, release: date | None) -> date | None:
    """The date in a stripped snapshot (see :attr:`Resolution.snapshot_date`)."""
    full = re.search(r"(?<!\d)(20\d{2})-?(\d{2})-?(\d{2})(?!\d)", snapshot)
    if full:
        return _day(int(full[1]), int(full[2]), int(full[3]))
    us = re.search(r"(?<!\d)(\d{2})-(\d{2})-(20\d{2})(?!\d)", snapshot)
    if us:
        return _day(int(us[3]), int(us[1]), int(us[2]))
    month_year = re.search(r"(?<!\d)(\d{2})-(20\d{2})(?!\d)", snapshot)
    if month_year:
        return _day(int(month_year[2]), int(month_year[1]), 1)
    year_month = re.search(r"(?<!\d)(20\d{2})(\d{2})(?!\d)", snapshot)
    if year_month:
        return _day(int(year_month[1]), int(year_month[2]), 1)
    short = re.search(r"(?<!\d)(\d{2})-?(\d{2})(?!\d)", snapshot)
    if not short:
        return None
    a, b = int(short[1]), int(short[2])
    if release is not None and _day(2000, a, b) is not None:  # month and day (leap-safe)
        for year in (release.year, release.year + 1):
            found = _day(year, a, b)
            if found is not None and found >= release:
                return found
    if 23 <= a <= 40 and 1 <= b <= 12:  # year and month: 2507, 2410
        return date(2000 + a, b, 1)
    return None


@dataclass(frozen=True)
class Candidate:
    """A catalog entry whose name is close to an unresolved name (no country: a candidate
    is a suggestion for a person to confirm, not a resolution)."""

    id: str
    display_name: str
    score: float  # difflib similarity, 0..1

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "display_name": self.display_name, "score": round(self.score, 3)}


def fold(name: str) -> str:
    """The catalog's fold (normalize_name), with "@" (Vertex's ``model@date``), brackets
    and commas (display names such as "GPT-5 (high)") as separators too, and typographic
    dashes and full-width forms ("GPT\u20115") as their ASCII selves."""
    text = unicodedata.normalize("NFKC", name)
    text = re.sub(r"[\u2010-\u2015\u2212]", "-", text)
    return normalize_name(re.sub(r"[@()\[\],]+", " ", text)).strip("-")


class NameResolver:
    """Resolves names against one catalog; build once, resolve many."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self._exact: dict[str, tuple[str, MatchedBy]] = {}
        for entry in catalog:
            for name in (entry.display_name, *entry.aliases):
                self._exact.setdefault(fold(name), (entry.id, "alias"))
        for entry in catalog:  # ids win over aliases, as in Catalog.resolve
            self._exact[fold(entry.id)] = (entry.id, "id")
        stems: dict[str, set[str]] = {}
        for key, (model_id, _) in self._exact.items():
            stem = _POOLED.sub("", key)
            if stem != key and stem not in self._exact:
                stems.setdefault(stem, set()).add(model_id)
        # a stem two entries share (one's -instruct, another's -chat) resolves to neither
        self._stems = {stem: ids.pop() for stem, ids in stems.items() if len(ids) == 1}
        self._names = {**{s: (i, "stem") for s, i in self._stems.items()}, **self._exact}

    def _lookup(self, key: str) -> tuple[str, MatchedBy] | None:
        hit = self._exact.get(key)
        if hit is not None:
            return hit
        stem = self._stems.get(key)
        return (stem, "stem") if stem is not None else None

    def resolve(self, name: str) -> Resolution:
        """The entry ``name`` is a variant of, or an unresolved Resolution (no country)."""
        folded = fold(name)
        starts = [folded]
        while (p := next((p for p in _PREFIXES if starts[-1].startswith(p)), None)) is not None:
            starts.append(starts[-1][len(p) :])  # "us.anthropic.claude-..." drops both
        # Ollama and some hubs write the family and its version as one word: llama3.3, gemma2
        starts += [_SPLIT.sub(r"\1-\2", k, count=1) for k in starts if _SPLIT.match(k)]
        for start in starts:
            found = self._strip_and_find(name, start)
            if found is not None:
                return found
        return Resolution(name=name, entry=None)

    def _strip_and_find(self, name: str, key: str) -> Resolution | None:
        stripped: list[tuple[str, bool]] = []  # (token, is_snapshot), from the end inward
        hit: tuple[str, MatchedBy] | None = None
        first = keep = 0  # tokens stripped before the first hit; tokens of the variant
        for _ in range(_MAX_STRIPS + 1):
            found = self._lookup(key) if hit is None else self._exact.get(key)
            if found is not None:
                if hit is None:
                    hit, first, keep = found, len(stripped), len(stripped)
                elif found[0] == hit[0]:
                    keep = len(stripped)  # still the same model: this token is a variant too
                else:
                    break  # a different model (kimi-k2-thinking -> kimi-k2): stop here
            m = _TAIL.search(key)
            if m is None or m.start() == 0:
                break
            stripped.append((m.group(0)[1:], m.group("snapshot") is not None))
            key = key[: m.start()]
        if hit is None:
            return None
        model_id, how = hit
        if first > 0:  # the whole name is no catalog name: it resolved as a variant
            how = "variant"
        # the usual form of an open release is no variant worth recording
        tokens = [(t, snap) for t, snap in stripped[:keep] if t not in _UNRECORDED]
        variants = [t for t, snap in reversed(tokens) if not snap]
        snapshots = [t for t, snap in reversed(tokens) if snap]
        return Resolution(
            name=name,
            entry=self.catalog.entries[model_id],
            variant="-".join(variants) or None,
            matched_by=how,
            snapshot="-".join(snapshots) or None,
        )

    def nearest(self, name: str, k: int = 5, cutoff: float = 0.3) -> list[Candidate]:
        """Up to ``k`` catalog entries whose names are most like ``name`` (difflib), best
        first; the name is compared whole and with its variant tokens stripped."""
        folded = key = fold(name)
        for _ in range(_MAX_STRIPS):
            m = _TAIL.search(key)
            if m is None or m.start() == 0:
                break
            key = key[: m.start()]
        best: dict[str, float] = {}
        names = self._names
        for probe in {folded, key}:
            for match in difflib.get_close_matches(probe, names, n=k * 4, cutoff=cutoff):
                model_id = names[match][0]
                score = difflib.SequenceMatcher(None, probe, match).ratio()
                best[model_id] = max(best.get(model_id, 0.0), score)
        ranked = sorted(best.items(), key=lambda kv: (-kv[1], kv[0]))[:k]
        return [Candidate(i, self.catalog.entries[i].display_name, s) for i, s in ranked]

    def resolve_all(self, names: Iterable[str]) -> list[Resolution]:
        return [self.resolve(n) for n in names]


@lru_cache(maxsize=1)
def _builtin_resolver() -> NameResolver:
    return NameResolver(load_catalog())


_RECENT: list[NameResolver] = []  # resolvers of the last few catalogs asked for (at most 4)


def resolver(catalog: Catalog | None = None) -> NameResolver:
    """A resolver over ``catalog``, or over the built-in catalog when None. Built once per
    catalog object (the last few are kept), so callers may ask for it freely."""
    if catalog is None:
        return _builtin_resolver()
    for made in _RECENT:
        if made.catalog is catalog:
            return made
    made = NameResolver(catalog)
    _RECENT[:] = [made, *_RECENT[:3]]
    return made


def resolve(name: str, catalog: Catalog | None = None) -> Resolution:
    """Resolve one name; for many names build ``resolver(catalog)`` once instead."""
    return resolver(catalog).resolve(name)


def nearest(name: str, k: int = 5, catalog: Catalog | None = None) -> list[Candidate]:
    """The ``k`` catalog entries whose names are most like ``name``."""
    return resolver(catalog).nearest(name, k)


__all__ = [
    "Candidate",
    "MatchedBy",
    "NameResolver",
    "Resolution",
    "fold",
    "nearest",
    "resolve",
    "resolver",
    "snapshot_date",
]
