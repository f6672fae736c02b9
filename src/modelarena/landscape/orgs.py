"""Which country (region) a Hugging Face organisation develops in.

Three sources, in this order, each named in the answer:

1. the ATOM Project's ``organization_regions.csv`` (vendored in ``data/atom/`` with its
   licence and provenance): 118 organisations with a region written by hand;
2. the catalog's labs (``catalog/labs.toml``): a lab whose name or alias is the organisation,
   with its ISO country;
3. the catalog's models: an alias ``org/repo`` of an entry names the entry's lab country.

Regions are the ATOM Project's: ``us``, ``china``, ``eu`` (Europe, as ATOM writes it: it puts
UK and Swiss organisations such as ``stabilityai`` and ``swiss-ai`` there), ``other`` and
``unknown``. An organisation none of the sources knows is ``unknown``: never guessed from its
name. A user file (``hf_org,region`` CSV) can add or override organisations.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

REGIONS = ("us", "china", "eu", "other", "unknown")

# ATOM's "eu" is Europe: EU members and the UK, Switzerland, Norway, Iceland.
_EUROPE = frozenset(
    [
        "AT",
        "BE",
        "BG",
        "HR",
        "CY",
        "CZ",
        "DK",
        "EE",
        "FI",
        "FR",
        "DE",
        "GR",
        "HU",
        "IE",
        "IT",
        "LV",
        "LT",
        "LU",
        "MT",
        "NL",
        "PL",
        "PT",
        "RO",
        "SK",
        "SI",
        "ES",
        "SE",
        "GB",
        "CH",
        "NO",
        "IS",
        "LI",
    ]
)


class OrgMapError(ValueError):
    """A user's organisation file is malformed; the message names the file and the line."""


def region_of_country(country: str | None) -> str:
    """The region of an ISO 3166 country code: ``CN`` and ``HK`` are ``china``."""
    if not country:
        return "unknown"
    code = country.upper()
    if code == "US":
        return "us"
    if code in ("CN", "HK"):
        return "china"
    if code in _EUROPE:
        return "eu"
    return "other"


@dataclass(frozen=True)
class OrgRegion:
    org: str
    region: str  # one of REGIONS
    country: str | None  # ISO code when a source gives one (the catalog does; ATOM does not)
    source: str  # "atom", "catalog-lab", "catalog-model" or "user"


class OrgMap:
    """Organisation -> region, case-insensitive, with where each answer comes from."""

    def __init__(self, entries: Iterable[OrgRegion]) -> None:
        self._by_org: dict[str, OrgRegion] = {}
        for entry in entries:
            self._by_org.setdefault(entry.org.lower(), entry)

    def lookup(self, org: str | None) -> OrgRegion | None:
        return self._by_org.get(org.lower()) if org else None

    def region(self, org: str | None) -> str:
        found = self.lookup(org)
        return found.region if found else "unknown"

    def __iter__(self) -> Iterator[OrgRegion]:
        return iter(self._by_org.values())

    def __len__(self) -> int:
        return len(self._by_org)

    def with_overrides(self, entries: Iterable[OrgRegion]) -> OrgMap:
        """A new map where ``entries`` win over what this one says."""
        return OrgMap([*entries, *self])


def _parse_regions(text: str, *, where: str, source: str) -> list[OrgRegion]:
    out = []
    reader = csv.DictReader(io.StringIO(text))
    if reader.fieldnames is None or not {"hf_org", "region"} <= set(reader.fieldnames):
        raise OrgMapError(f"{where}: needs the columns hf_org,region")
    for line, row in enumerate(reader, start=2):
        org, region = (row.get("hf_org") or "").strip(), (row.get("region") or "").strip().lower()
        if not org:
            continue
        if region not in REGIONS:
            raise OrgMapError(
                f"{where} line {line}: region {region!r} is not one of {', '.join(REGIONS)}"
            )
        out.append(OrgRegion(org, region, None, source))
    return out


def atom_regions() -> list[OrgRegion]:
    """The ATOM Project's organisation regions, as vendored."""
    text = (
        resources.files("modelarena.landscape")
        .joinpath("data/atom/organization_regions.csv")
        .read_text("utf-8")
    )
    return _parse_regions(text, where="ATOM organization_regions.csv", source="atom")


def catalog_regions() -> list[OrgRegion]:
    """Organisations the catalog knows: its labs' names and aliases that look like Hub
    organisations, and the ``org/`` prefix of model aliases."""
    from modelarena.catalog import load_catalog
    from modelarena.catalog.labs import load_labs

    out: list[OrgRegion] = []
    for lab in load_labs():
        for name in (lab.name, *lab.aliases):
            if " " not in name.strip():  # "Google DeepMind" is not a Hub organisation
                out.append(
                    OrgRegion(name, region_of_country(lab.country), lab.country, "catalog-lab")
                )
    for entry in load_catalog():
        for alias in (entry.id, *entry.aliases):
            if alias.count("/") == 1:
                org = alias.split("/", 1)[0]
                out.append(
                    OrgRegion(org, region_of_country(entry.country), entry.country, "catalog-model")
                )
    return out


def load_org_regions(path: str | Path) -> list[OrgRegion]:
    """A user's ``hf_org,region`` CSV."""
    p = Path(path)
    try:
        text = p.read_text("utf-8")
    except OSError as exc:
        raise OrgMapError(f"cannot read the organisation file {p}: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise OrgMapError(f"{p}: not UTF-8 text; give a CSV of hf_org,region") from exc
    try:
        return _parse_regions(text, where=str(p), source="user")
    except csv.Error as exc:
        raise OrgMapError(f"{p}: not a CSV this can read ({exc}); give hf_org,region") from exc


def default_org_map(extra: str | Path | None = None) -> OrgMap:
    """ATOM first, then the catalog's labs, then the catalog's models; ``extra`` (a user CSV)
    wins over all of them."""
    base = OrgMap([*atom_regions(), *catalog_regions()])
    return base.with_overrides(load_org_regions(extra)) if extra else base


def disagreements(org_map: OrgMap | None = None) -> list[tuple[str, str, str]]:
    """Organisations where the catalog's region differs from ATOM's: (org, atom, catalog)."""
    atom = {r.org.lower(): r for r in atom_regions()}
    seen: dict[str, OrgRegion] = {}
    for r in catalog_regions():
        seen.setdefault(r.org.lower(), r)
    return sorted(
        (atom[k].org, atom[k].region, c.region)
        for k, c in seen.items()
        if k in atom and atom[k].region != c.region and atom[k].region != "unknown"
    )


__all__ = [
    "REGIONS",
    "OrgMap",
    "OrgMapError",
    "OrgRegion",
    "atom_regions",
    "catalog_regions",
    "default_org_map",
    "disagreements",
    "load_org_regions",
    "region_of_country",
]
