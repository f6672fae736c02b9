"""Catalog entries and the catalog that resolves names (ids and aliases) to them."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, fields
from datetime import date
from importlib import resources
from typing import Any

LICENSE_CLASSES = ("permissive", "restricted-open", "proprietary")

_REQUIRED = ("id", "display_name", "lab", "country", "open_weights", "license", "license_class")


class CatalogError(ValueError):
    """A catalog entry is malformed. The message names the entry and the field."""


def blended_price(input_per_m: float | None, output_per_m: float | None) -> float | None:
    """USD per million tokens at a 3:1 input:output blend, the convention of public price
    comparisons; None unless both prices are known."""
    if input_per_m is None or output_per_m is None:
        return None
    return (3 * input_per_m + output_per_m) / 4


@dataclass(frozen=True)
class CatalogEntry:
    id: str
    display_name: str
    lab: str
    country: str  # ISO 3166-1 alpha-2 of the lab's headquarters
    open_weights: bool
    license: str  # SPDX id or a named licence, e.g. "Llama-3.1-Community"
    license_class: str  # one of LICENSE_CLASSES
    total_params_b: float | None = None  # billions
    active_params_b: float | None = None  # billions; differs from total for MoE
    release_date: date | None = None
    price_input_per_m: float | None = None  # USD per million input tokens, list price
    price_output_per_m: float | None = None
    aliases: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()  # where the facts come from (URLs)
    notes: str = ""

    @property
    def blended_price_per_m(self) -> float | None:
        return blended_price(self.price_input_per_m, self.price_output_per_m)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, date):
                value = value.isoformat()
            elif isinstance(value, tuple):
                value = list(value)
            out[f.name] = value
        return out


def normalize_name(name: str) -> str:
    """Fold a model name for alias matching: case, separators and vendor prefixes."""
    folded = name.strip().lower()
    folded = folded.rsplit("/", 1)[-1]  # "deepseek-ai/DeepSeek-V3" -> "deepseek-v3"
    return re.sub(r"[\s_.:]+", "-", folded)


def entry_from_mapping(raw: Mapping[str, Any], *, where: str) -> CatalogEntry:
    missing = [k for k in _REQUIRED if k not in raw]
    if missing:
        raise CatalogError(f"{where}: missing field(s) {', '.join(missing)}")
    known = {f.name for f in fields(CatalogEntry)}
    unknown = sorted(set(raw) - known)
    if unknown:
        raise CatalogError(f"{where}: unknown field(s) {', '.join(unknown)}")
    data = dict(raw)
    if data["license_class"] not in LICENSE_CLASSES:
        raise CatalogError(
            f"{where}: license_class must be one of {', '.join(LICENSE_CLASSES)}, "
            f"not {data['license_class']!r}"
        )
    if not isinstance(data["open_weights"], bool):
        raise CatalogError(f"{where}: open_weights must be true or false")
    rd = data.get("release_date")
    if isinstance(rd, str):
        try:
            data["release_date"] = date.fromisoformat(rd)
        except ValueError as exc:
            raise CatalogError(f"{where}: release_date {rd!r} is not YYYY-MM-DD") from exc
    for key in ("aliases", "sources"):
        if key in data:
            if isinstance(data[key], str) or not isinstance(data[key], list | tuple):
                raise CatalogError(f"{where}: {key} must be a list of strings")
            data[key] = tuple(str(x) for x in data[key])
    for key in ("total_params_b", "active_params_b", "price_input_per_m", "price_output_per_m"):
        value = data.get(key)
        if value is not None:
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise CatalogError(f"{where}: {key} must be a number")
            data[key] = float(value)
    if not re.fullmatch(r"[A-Z]{2}", str(data["country"])):
        raise CatalogError(f"{where}: country must be an ISO 3166 code like 'CN' or 'US'")
    return CatalogEntry(**data)


@dataclass
class Catalog:
    """Catalog entries by id, with name resolution through aliases."""

    entries: dict[str, CatalogEntry] = field(default_factory=dict)
    _index: dict[str, str] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self._reindex()

    def _reindex(self) -> None:
        self._index = {}
        for entry in self.entries.values():
            for name in (entry.id, entry.display_name, *entry.aliases):
                self._index.setdefault(normalize_name(name), entry.id)
        for entry in self.entries.values():  # ids always win over aliases
            self._index[normalize_name(entry.id)] = entry.id

    def __iter__(self) -> Iterator[CatalogEntry]:
        return iter(self.entries.values())

    def __len__(self) -> int:
        return len(self.entries)

    def __contains__(self, model_id: object) -> bool:
        return model_id in self.entries

    def get(self, model_id: str) -> CatalogEntry | None:
        return self.entries.get(model_id)

    def resolve(self, name: str) -> str | None:
        """The catalog id for a provider or vote-log name, or None when unknown."""
        return self._index.get(normalize_name(name))

    def with_overrides(self, overrides: Iterable[Mapping[str, Any]]) -> Catalog:
        """A new catalog with user entries added, or merged over existing ones by id."""
        entries = dict(self.entries)
        for raw in overrides:
            model_id = raw.get("id")
            if not model_id:
                raise CatalogError("catalog override: every entry needs an 'id'")
            base = entries.get(model_id)
            where = f"catalog entry {model_id!r} in config"
            if base is not None:
                merged = base.to_dict() | dict(raw)
                entries[model_id] = entry_from_mapping(merged, where=where)
            else:
                entries[model_id] = entry_from_mapping(raw, where=where)
        return Catalog(entries)


def _builtin_entries() -> list[CatalogEntry]:
    """Every ``models*.toml`` of the package (one file per group of labs), in name order."""
    folder = resources.files("modelarena.catalog")
    files = sorted(
        (f for f in folder.iterdir() if f.name.startswith("models") and f.name.endswith(".toml")),
        key=lambda f: f.name,
    )
    out = []
    for file in files:
        data = tomllib.loads(file.read_text("utf-8"))
        for i, raw in enumerate(data.get("model", [])):
            out.append(entry_from_mapping(raw, where=f"{file.name} entry #{i + 1}"))
    return out


def load_catalog(overrides: Iterable[Mapping[str, Any]] = ()) -> Catalog:
    """The built-in catalog with the user's additions and overrides applied."""
    entries: dict[str, CatalogEntry] = {}
    for entry in _builtin_entries():
        if entry.id in entries:
            raise CatalogError(f"catalog: duplicate id {entry.id!r}")
        entries[entry.id] = entry
    return Catalog(entries).with_overrides(overrides)


__all__ = ["Catalog", "CatalogEntry", "CatalogError", "load_catalog", "normalize_name"]
