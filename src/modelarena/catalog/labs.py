"""The labs the catalog knows, each with its country (labs.toml).

A catalog entry names its lab; the lab's country is stated once here, so a test can check
that every entry agrees with it and that no lab is without a country. ``aliases`` are the
other spellings of a lab found in published files (an ``organization`` column: "Google
DeepMind", "Alibaba", "Z.ai"), so a file's organisation can be compared with the catalog.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

from modelarena.catalog.entries import CatalogError


@dataclass(frozen=True)
class Lab:
    name: str
    country: str  # ISO 3166-1 alpha-2 of the headquarters
    aliases: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    notes: str = ""


def fold_lab(name: str) -> str:
    """Fold a lab name for matching: case, punctuation and a trailing legal form."""
    folded = re.sub(r"[^a-z0-9]+", " ", name.lower()).strip()
    return re.sub(r"\s+(inc|ltd|llc|corp|co|gmbh|sas|ai lab)$", "", folded)


@dataclass
class Labs:
    """Labs by name, looked up by name or alias (folded)."""

    labs: dict[str, Lab] = field(default_factory=dict)
    _index: dict[str, str] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        for lab in self.labs.values():
            for name in (lab.name, *lab.aliases):
                key = fold_lab(name)
                owner = self._index.setdefault(key, lab.name)
                if owner != lab.name:
                    raise CatalogError(f"labs.toml: {name!r} names both {owner!r} and {lab.name!r}")

    def __iter__(self) -> Iterator[Lab]:
        return iter(self.labs.values())

    def __len__(self) -> int:
        return len(self.labs)

    def find(self, name: str) -> Lab | None:
        """The lab a name or alias refers to, or None when unknown."""
        key = self._index.get(fold_lab(name))
        return self.labs[key] if key is not None else None


def parse_labs(text: str, *, where: str = "labs.toml") -> Labs:
    data = tomllib.loads(text)
    labs: dict[str, Lab] = {}
    for i, raw in enumerate(data.get("lab", [])):
        here = f"{where} lab #{i + 1}"
        name, country = raw.get("name"), raw.get("country")
        if not isinstance(name, str) or not name.strip():
            raise CatalogError(f"{here}: every lab needs a name")
        if not isinstance(country, str) or not re.fullmatch(r"[A-Z]{2}", country):
            raise CatalogError(f"{here} ({name}): country must be an ISO 3166 code like 'US'")
        unknown = sorted(set(raw) - {"name", "country", "aliases", "sources", "notes"})
        if unknown:
            raise CatalogError(f"{here} ({name}): unknown field(s) {', '.join(unknown)}")
        if name in labs:
            raise CatalogError(f"{here}: duplicate lab {name!r}")
        labs[name] = Lab(
            name=name,
            country=country,
            aliases=tuple(str(a) for a in raw.get("aliases", ())),
            sources=tuple(str(s) for s in raw.get("sources", ())),
            notes=str(raw.get("notes", "")),
        )
    return Labs(labs)


@lru_cache(maxsize=1)
def load_labs() -> Labs:
    """The built-in labs (src/modelarena/catalog/labs.toml)."""
    text = resources.files("modelarena.catalog").joinpath("labs.toml").read_text("utf-8")
    return parse_labs(text)


__all__ = ["Lab", "Labs", "fold_lab", "load_labs", "parse_labs"]
