"""The model catalog: facts users compare models on (lab, country, licence, price...), the
labs with their countries, and the resolver from published names to catalog entries."""

from modelarena.catalog.entries import (
    LICENSE_CLASSES,
    Catalog,
    CatalogEntry,
    CatalogError,
    blended_price,
    load_catalog,
)
from modelarena.catalog.labs import Lab, Labs, load_labs
from modelarena.catalog.names import Candidate, NameResolver, Resolution, nearest, resolve, resolver

__all__ = [
    "LICENSE_CLASSES",
    "Candidate",
    "Catalog",
    "CatalogEntry",
    "CatalogError",
    "Lab",
    "Labs",
    "NameResolver",
    "Resolution",
    "blended_price",
    "load_catalog",
    "load_labs",
    "nearest",
    "resolve",
    "resolver",
]
