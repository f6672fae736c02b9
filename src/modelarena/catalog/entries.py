"""Catalog entries and the catalog that resolves names (ids and aliases) to them."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import date
from importlib import resources
from typing import Any

LICENSE_CLASSES = ("permissive", "restricted-open", "proprietary")

_REQUIRED = ("id", "display_name", "lab", "country", "open_weights", "license", "license_class")
_COMPUTED = ("lineage_country",)  # fields the catalog derives; a file may not set them


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
    # Lineage: the catalog id of the model this one was trained from (a fine-tune, a
    # distillation, a continued pre-training), None for a model trained from scratch.
    base_model: str | None = None
    # Computed by Catalog, never written in a TOML file: the country of the root of the
    # base_model chain (the entry's own country when it has no base). INTELLECT-3 (Prime
    # Intellect, US) on GLM-4.5-Air (Zhipu, CN) is US by developer and CN by lineage.
    lineage_country: str = field(default="", compare=False)

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
    if "lineage_country" in raw:
        raise CatalogError(
            f"{where}: lineage_country is computed from base_model; set base_model instead"
        )
    known = {f.name for f in fields(CatalogEntry)} - set(_COMPUTED)
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
    base = data.get("base_model")
    if base is not None and (not isinstance(base, str) or not base.strip()):
        raise CatalogError(f"{where}: base_model must be the catalog id of the base model")
    if not re.fullmatch(r"[A-Z]{2}", str(data["country"])):
        raise CatalogError(f"{where}: country must be an ISO 3166 code like 'CN' or 'US'")
    return CatalogEntry(**data)


@dataclass
class Catalog:
    """Catalog entries by id, with name resolution through aliases."""

    entries: dict[str, CatalogEntry] = field(default_factory=dict)
    _index: dict[str, str] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self.entries = {
            model_id: replace(entry, lineage_country=self._root_country(model_id))
            for model_id, entry in self.entries.items()
        }
        self._reindex()

    def lineage(self, model_id: str) -> tuple[str, ...]:
        """The ids from ``model_id`` down its base_model chain to the root, in that order.
        The chain stops at a base the catalog does not hold or at a repeat (a cycle, which
        load_catalog refuses)."""
        chain: list[str] = []
        current: str | None = model_id
        while current is not None and current in self.entries and current not in chain:
            chain.append(current)
            current = self.entries[current].base_model
        return tuple(chain)

    def _root_country(self, model_id: str) -> str:
        chain = self.lineage(model_id)
        return self.entries[chain[-1]].country if chain else ""

    def lineage_problems(self) -> list[str]:
        """One line per base_model that names no catalog entry or closes a cycle."""
        problems = []
        for entry in self.entries.values():
            base = entry.base_model
            if base is None:
                continue
            if base not in self.entries:
                problems.append(
                    f"catalog entry {entry.id!r}: base_model {base!r} is not a catalog id"
                )
            elif entry.id in self.lineage(base):
                problems.append(f"catalog entry {entry.id!r}: base_model chain loops back to it")
        return problems

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
                merged = {k: v for k, v in base.to_dict().items() if k not in _COMPUTED}
                merged |= dict(raw)
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
    catalog = Catalog(entries).with_overrides(overrides)
    problems = catalog.lineage_problems()
    if problems:
        raise CatalogError(problems[0] + " (name the base by its catalog id)")
    return catalog


__all__ = ["Catalog", "CatalogEntry", "CatalogError", "load_catalog", "normalize_name"]
