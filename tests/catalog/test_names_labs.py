"""Every lab has a country (labs.toml) that its catalog entries agree with; lineage follows
base_model to the root: a US fine-tune of a Chinese base is US by developer, CN by lineage."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from modelarena.catalog import Catalog, CatalogEntry, CatalogError, load_catalog, load_labs
from modelarena.catalog.labs import parse_labs


@pytest.fixture(scope="module")
def catalog():
    return load_catalog()


def test_every_entry_lab_is_listed_with_the_same_country(catalog):
    labs = load_labs()
    missing = sorted({e.lab for e in catalog if labs.find(e.lab) is None})
    assert missing == [], f"add these labs to catalog/labs.toml: {missing}"
    disagree = [
        (e.id, e.lab, e.country, labs.find(e.lab).country)
        for e in catalog
        if labs.find(e.lab).country != e.country
    ]
    assert disagree == []


def test_labs_are_found_by_their_other_names():
    labs = load_labs()
    assert labs.find("Google DeepMind").name == "Google"
    assert labs.find("z.ai").country == "CN"
    assert labs.find("meta-llama").name == "Meta"
    assert labs.find("Mistral AI").country == "FR"
    assert labs.find("Anthropic, Inc.").name == "Anthropic"
    assert labs.find("Some Unknown Lab") is None


def test_labs_file_mistakes_are_named():
    with pytest.raises(CatalogError, match="country must be an ISO 3166 code"):
        parse_labs('[[lab]]\nname = "X"\ncountry = "USA"\n')
    with pytest.raises(CatalogError, match="names both"):
        parse_labs(
            '[[lab]]\nname = "A"\ncountry = "US"\naliases = ["Same"]\n'
            '[[lab]]\nname = "B"\ncountry = "US"\naliases = ["same"]\n'
        )
    with pytest.raises(CatalogError, match="unknown field"):
        parse_labs('[[lab]]\nname = "A"\ncountry = "US"\nhq = "x"\n')


def test_intellect_3_is_us_by_developer_and_cn_by_lineage(catalog):
    e = catalog.get("intellect-3")
    assert e is not None
    assert (e.lab, e.country, e.base_model) == ("Prime Intellect", "US", "glm-4.5-air")
    assert e.lineage_country == "CN"
    assert catalog.lineage("intellect-3") == ("intellect-3", "glm-4.5-air")


def test_lineage_follows_the_chain_to_its_root(catalog):
    # Starling (US) on OpenChat (CN) on Mistral 7B (FR): the root decides
    assert catalog.lineage("starling-lm-7b-alpha") == (
        "starling-lm-7b-alpha",
        "openchat-3.5",
        "mistral-7b",
    )
    assert catalog.get("starling-lm-7b-alpha").lineage_country == "FR"
    # a model without a base is its own lineage
    assert catalog.get("gpt-5").lineage_country == "US"
    assert catalog.get("glm-4.6").lineage_country == "CN"


def test_every_base_model_is_a_catalog_id(catalog):
    assert catalog.lineage_problems() == []
    for e in catalog:
        assert e.lineage_country, e.id


def _entry(model_id: str, country: str, base: str | None = None) -> dict:
    return {
        "id": model_id,
        "display_name": model_id,
        "lab": "L",
        "country": country,
        "open_weights": True,
        "license": "MIT",
        "license_class": "permissive",
        "base_model": base,
    }


def test_lineage_mistakes_are_named(catalog):
    with pytest.raises(CatalogError, match="base_model 'nope' is not a catalog id"):
        load_catalog([_entry("mine", "FR", "nope")])
    with pytest.raises(CatalogError, match="lineage_country is computed"):
        load_catalog([{**_entry("mine", "FR"), "lineage_country": "CN"}])
    looped = Catalog({}).with_overrides([_entry("a", "US", "b"), _entry("b", "CN", "a")])
    assert any("loops back" in p for p in looped.lineage_problems())


def test_an_override_can_give_lineage(catalog):
    changed = load_catalog([_entry("my-qwen-tune", "DE", "qwen2.5-72b-instruct")])
    e = changed.get("my-qwen-tune")
    assert (e.country, e.lineage_country) == ("DE", "CN")
    # overriding an entry keeps its lineage and recomputes the country of the root
    moved = load_catalog([{"id": "glm-4.5-air", "notes": "x"}])
    assert moved.get("intellect-3").lineage_country == "CN"
    assert isinstance(moved.get("intellect-3"), CatalogEntry)


EU = {"AT", "BE", "DE", "DK", "ES", "FI", "FR", "IE", "IT", "NL", "PL", "PT", "SE", "CH", "GB"}
ATOM_REGIONS = (
    Path(__file__).parents[2] / "src/modelarena/landscape/data/atom/organization_regions.csv"
)
# Where labs.toml and the ATOM Project's map knowingly differ, and why.
KNOWN_DIFFERENCES = {"ai21labs"}  # AI21 Labs is headquartered in Tel Aviv; ATOM says us


def test_labs_agree_with_the_atom_organisation_map():
    labs = load_labs()
    with ATOM_REGIONS.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    found = 0
    differ = set()
    for row in rows:
        lab = labs.find(row["hf_org"])
        if lab is None:
            continue
        found += 1
        region = row["region"]
        same = {
            "us": lab.country == "US",
            "china": lab.country == "CN",
            "eu": lab.country in EU,
            "other": lab.country not in {"US", "CN"} | EU,
        }.get(region, True)
        if not same:
            differ.add(row["hf_org"])
    assert found >= 50
    assert differ == KNOWN_DIFFERENCES
