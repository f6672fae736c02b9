"""Chinese-lab names from public leaderboards (late 2025) resolve to catalog entries with the
facts a landscape report needs: lab, country, open weights, licence class, release date.

The names are in fixtures/cn_names_2025.txt (LMArena text and Design Arena, as published).
"""

from __future__ import annotations

import tomllib
from datetime import date
from importlib import resources
from pathlib import Path

import pytest

from modelarena.catalog import LICENSE_CLASSES, load_catalog
from modelarena.catalog.labs import load_labs
from modelarena.catalog.names import NameResolver, Resolution, resolver
from modelarena.ratings.proportions import wilson

FIXTURE = Path(__file__).parent / "fixtures" / "cn_names_2025.txt"

# Names on the boards the catalog cannot place yet, each with why. A name fixed in the catalog
# must leave this list (the test fails until it does), so the list never hides a regression.
KNOWN_GAPS = {
    # Tencent's vision model: no published release date found; a guessed date would bias
    # the capability-gap figure, so it stays unresolved (and gets candidates, not a country).
    "hunyuan-vision-1.5-thinking",
}

# Names whose right entry is not the obvious stem: dated checkpoints the lab released as their
# own models, API-only models whose names fold onto open weights, tiers of a later checkpoint.
EXPECTED = {
    "kimi-k2-0711-preview": "kimi-k2",
    "kimi-k2-0905-preview": "kimi-k2-0905",
    "Kimi K2 Turbo": "kimi-k2-0905",
    "kimi-k2-thinking-turbo": "kimi-k2-thinking",
    "deepseek-v3.1-terminus-thinking": "deepseek-v3.1-terminus",
    "deepseek-v3.2-exp-thinking": "deepseek-v3.2-exp",
    "deepseek-v3.2-thinking": "deepseek-v3.2",
    "deepseek-v3-0324": "deepseek-v3-0324",
    "deepseek-v2.5-1210": "deepseek-v2.5-1210",
    "deepseek-coder-v2-0724": "deepseek-coder-v2",
    "deepseek-v2-api-0628": "deepseek-v2",
    "qwen3-235b-a22b-no-thinking": "qwen3-235b-a22b",
    "qwen3-235b-a22b-thinking-2507": "qwen3-235b-a22b-thinking-2507",
    "qwen3-max-preview": "qwen3-max-preview",
    "qwen3-max-2025-09-23": "qwen3-max",
    "qwen3-max-thinking": "qwen3-max",
    "qwq-32b-preview": "qwq-32b-preview",
    "qwen-max-0919": "qwen-max-0919",
    "qwen-max-0428": "qwen-max-0428",
    "qwen2.5-plus-1127": "qwen2.5-plus",
    "qwen3-next-80b-a3b-thinking": "qwen3-next-80b-a3b-thinking",
    "hunyuan-large-2025-02-10": "hunyuan-large-2025-02-10",
    "hunyuan-turbo-0110": "hunyuan-turbo",
    "hunyuan-turbos-20250416": "hunyuan-turbos",
    "step-2-16k-exp-202412": "step-2",
    "ernie-5.0-preview-1103": "ernie-5.0",
    "glm-4-plus-0111": "glm-4-plus",
    "glm-4-0520": "glm-4-0520",
    "mimo-v2-flash (thinking)": "mimo-v2-flash",
    "minimax-m2.1-preview": "minimax-m2.1",
    "internlm2_5-20b-chat": "internlm2.5-20b-chat",
    "step-3": "step3",
    "KAT Coder Pro V1": "kat-coder-pro",
    "Qwen3 Coder": "qwen3-coder-480b-a35b-instruct",
}

# Open weights or not, for names where folding could cross the line.
OPENNESS = {
    "hunyuan-large-2025-02-10": False,  # the API snapshot, not the open Hunyuan-Large
    "EB45-turbo": False,  # ERNIE 4.5 Turbo, not the open ERNIE 4.5
    "qwen2.5-max": False,
    "qwen3-max-preview": False,
    "deepseek-v3": True,
    "kimi-k2-thinking-turbo": True,
    "ERNIE 4.5 300B A47B": True,
}


def _fixture_names() -> list[str]:
    names = []
    for line in FIXTURE.read_text("utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            names.append(line)
    return names


NAMES = _fixture_names()


@pytest.fixture(scope="module")
def names_resolver() -> NameResolver:
    return resolver(load_catalog())


@pytest.fixture(scope="module")
def resolutions(names_resolver: NameResolver) -> dict[str, Resolution]:
    return {name: names_resolver.resolve(name) for name in NAMES}


def test_fixture_lists_each_name_once() -> None:
    assert len(NAMES) >= 140
    assert len(set(NAMES)) == len(NAMES)


def test_known_gaps_and_expectations_name_fixture_names() -> None:
    assert set(NAMES) >= KNOWN_GAPS
    assert set(EXPECTED) <= set(NAMES)


@pytest.mark.parametrize("name", [n for n in NAMES if n not in KNOWN_GAPS])
def test_name_resolves_to_a_chinese_entry_with_the_landscape_facts(
    resolutions: dict[str, Resolution], name: str
) -> None:
    res = resolutions[name]
    assert res.entry is not None, f"{name!r} did not resolve"
    e = res.entry
    assert e.country == "CN", (name, e.id, e.country)
    assert e.lab
    assert isinstance(e.open_weights, bool)
    assert e.license_class in LICENSE_CLASSES
    assert e.release_date is not None and date(2023, 1, 1) <= e.release_date <= date(2025, 12, 31)
    assert res.country == "CN"


@pytest.mark.parametrize(("name", "expected"), sorted(EXPECTED.items()))
def test_name_resolves_to_its_own_checkpoint(
    names_resolver: NameResolver, name: str, expected: str
) -> None:
    res = names_resolver.resolve(name)
    assert res.model_id == expected


@pytest.mark.parametrize(("name", "open_weights"), sorted(OPENNESS.items()))
def test_openness_does_not_leak_through_folding(
    names_resolver: NameResolver, name: str, open_weights: bool
) -> None:
    res = names_resolver.resolve(name)
    assert res.entry is not None
    assert res.entry.open_weights is open_weights
    assert (res.entry.license_class == "proprietary") is (not open_weights)


def test_known_gaps_stay_unresolved_with_candidates_and_no_country(
    names_resolver: NameResolver, resolutions: dict[str, Resolution]
) -> None:
    for name in KNOWN_GAPS:
        res = resolutions[name]
        assert res.entry is None and res.country is None, f"{name!r} now resolves: drop the gap"
        assert names_resolver.nearest(name), name


def test_resolution_rate_is_at_least_95_percent(resolutions: dict[str, Resolution]) -> None:
    n = len(resolutions)
    k = sum(1 for res in resolutions.values() if res.entry is not None and res.country == "CN")
    fig = wilson(k, n)
    assert k / n >= 0.95, f"{k}/{n} resolved: {fig}"
    assert k == n - len(KNOWN_GAPS)


def _cn_raw_entries() -> list[dict[str, object]]:
    text = resources.files("modelarena.catalog").joinpath("models_cn.toml").read_text("utf-8")
    return list(tomllib.loads(text)["model"])


def test_every_chinese_entry_is_cn_with_a_lab_labs_toml_knows() -> None:
    labs = load_labs()
    for raw in _cn_raw_entries():
        assert raw["country"] == "CN", raw["id"]
        lab = labs.find(str(raw["lab"]))
        assert lab is not None, f"{raw['id']}: lab {raw['lab']!r} is not in labs.toml"
        assert lab.country == "CN", (raw["id"], lab.name)


def test_open_entries_cite_their_published_weights() -> None:
    for raw in _cn_raw_entries():
        sources = raw["sources"]
        assert isinstance(sources, list) and sources, raw["id"]
        if raw["open_weights"]:
            assert any("huggingface.co/" in str(s) for s in sources), raw["id"]


def test_lineage_reaches_an_older_root_whose_country_it_takes() -> None:
    catalog = load_catalog()
    with_base = [raw for raw in _cn_raw_entries() if raw.get("base_model") is not None]
    assert len(with_base) >= 30
    for raw in with_base:
        entry = catalog.get(str(raw["id"]))
        assert entry is not None
        root = catalog.get(catalog.lineage(entry.id)[-1])
        assert root is not None and root.base_model is None, entry.id
        assert entry.lineage_country == root.country, entry.id
        assert root.release_date is not None and entry.release_date is not None
        assert root.release_date <= entry.release_date, (entry.id, root.id)


@pytest.mark.parametrize(
    ("model_id", "lineage_country"),
    [
        ("deepseek-v3.2-speciale", "CN"),  # V3.2 <- V3.2-Exp <- V3.1-Terminus <- V3.1 <- V3
        ("intern-s1", "CN"),  # Shanghai AI Lab on Qwen3-235B-A22B
        ("deepseek-r1-distill-qwen-32b", "CN"),
        ("deepseek-r1-distill-llama-70b", "US"),  # a Chinese developer on a US base
    ],
)
def test_developer_and_lineage_countries(model_id: str, lineage_country: str) -> None:
    entry = load_catalog().get(model_id)
    assert entry is not None
    assert (entry.country, entry.lineage_country) == ("CN", lineage_country)
