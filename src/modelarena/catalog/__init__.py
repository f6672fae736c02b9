"""The model catalog: facts users compare models on (lab, country, licence, price...)."""

from modelarena.catalog.entries import (
    LICENSE_CLASSES,
    Catalog,
    CatalogEntry,
    CatalogError,
    blended_price,
    load_catalog,
)

__all__ = [
    "LICENSE_CLASSES",
    "Catalog",
    "CatalogEntry",
    "CatalogError",
    "blended_price",
    "load_catalog",
]
