"""Fixtures for the import/export tests: a fresh store and the built-in catalog."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from modelarena.catalog import Catalog, load_catalog
from modelarena.store import Store


@pytest.fixture
def catalog() -> Catalog:
    return load_catalog()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store.open("sqlite:///" + str(tmp_path / "a.db"))
    yield s
    s.close()
