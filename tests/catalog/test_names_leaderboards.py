"""Names from current public text leaderboards resolve: at least 95% of LMArena's text board
and of Design Arena (late 2025, fixtures/), all of LMArena's top 50, each to an entry with the
facts a landscape report needs. The Chinese-lab names are also checked, name by name, in
test_catalog_cn_names.py."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from modelarena.catalog import LICENSE_CLASSES, Resolution, resolver
from modelarena.ratings.proportions import wilson

FIXTURES = Path(__file__).parent / "fixtures"
BOARDS = ["lmarena_text_names_2025.txt", "design_arena_names_2025.txt"]


def _names(file: str) -> list[str]:
    lines = (FIXTURES / file).read_text("utf-8").splitlines()
    return [ln.strip() for ln in lines if ln.strip() and not ln.startswith("#")]


def _resolve(file: str) -> list[Resolution]:
    return resolver().resolve_all(_names(file))


@pytest.mark.parametrize("file", BOARDS)
def test_at_least_95_percent_resolve(file):
    results = _resolve(file)
    unresolved = [r.name for r in results if not r.resolved]
    rate = wilson(len(results) - len(unresolved), len(results))
    assert len(results) >= 70
    assert rate.value is not None and rate.value >= 0.95, (
        f"{rate.value:.1%} of {rate.n}; unresolved: {unresolved}"
    )


def test_the_fixture_is_a_full_board():
    names = _names("lmarena_text_names_2025.txt")
    assert len(names) >= 250
    assert len(set(names)) == len(names)


def test_the_top_50_all_resolve():
    top = _resolve("lmarena_text_names_2025.txt")[:50]
    assert [r.name for r in top if not r.resolved] == []


@pytest.mark.parametrize("file", BOARDS)
def test_every_resolved_name_has_the_landscape_facts(file):
    for r in _resolve(file):
        if not r.resolved:
            continue
        e = r.entry
        assert e is not None
        assert e.lab and e.country and len(e.country) == 2, r.name
        assert isinstance(e.open_weights, bool), r.name
        assert e.license_class in LICENSE_CLASSES, r.name
        assert e.release_date is not None, r.name
        assert e.lineage_country, r.name


@pytest.mark.parametrize("file", BOARDS)
def test_unresolved_names_get_candidates_and_no_country(file):
    names = resolver()
    for r in _resolve(file):
        if r.resolved:
            continue
        assert r.country is None and r.lineage_country is None
        assert names.nearest(r.name, 3), r.name


def test_variants_of_one_model_pool_together():
    by_model: dict[str, set[str]] = {}
    for r in _resolve("lmarena_text_names_2025.txt"):
        if r.resolved:
            by_model.setdefault(r.model_id or "", set()).add(r.name)
    assert {"claude-opus-4-5-20251101-thinking-32k", "claude-opus-4-5-20251101"} <= by_model[
        "claude-opus-4.5"
    ]
    assert {"gpt-5-high", "gpt-5-chat"} <= by_model["gpt-5"]
    assert {"chatgpt-4o-latest-20250326", "gpt-4o-2024-05-13"} <= by_model["gpt-4o"]
    r = resolver().resolve("claude-opus-4-5-20251101-thinking-32k")
    assert (r.model_id, r.variant, r.matched_by) == ("claude-opus-4.5", "thinking-32k", "variant")


EPOCH = (
    Path(__file__).parents[1] / "landscape/data/epoch_eci/epoch_capabilities_index_2025-11-07.csv"
)
COUNTRY_CODES = {
    "United States of America": "US",
    "China": "CN",
    "France": "FR",
    "Canada": "CA",
    "Israel": "IL",
    "United Kingdom of Great Britain and Northern Ireland": "GB",
    "Korea (Republic of)": "KR",
    "United Arab Emirates": "AE",
}


def test_epoch_capability_index_names_resolve_to_epoch_countries():
    """Real data: the model versions of Epoch AI's capability index (November 2025 export,
    vendored for the landscape tests) resolve, and to the country Epoch gives."""
    with EPOCH.open(encoding="utf-8") as f:
        scored = [r for r in csv.DictReader(f) if r["ECI Score"].strip()]
    names = resolver()
    wrong = []
    resolved = 0
    for row in scored:
        r = names.resolve(row["Model version"])
        if not r.resolved:
            continue
        resolved += 1
        countries = {COUNTRY_CODES.get(c.strip(), c.strip()) for c in row["Country"].split(",")}
        if r.country not in countries:
            wrong.append((row["Model version"], r.model_id, r.country, row["Country"]))
    assert len(scored) == 142
    assert resolved / len(scored) >= 0.95
    assert wrong == []
