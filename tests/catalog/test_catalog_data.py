"""Checks on the built-in model catalog data (src/modelarena/catalog/models*.toml)."""

from __future__ import annotations

import re
import tomllib
from collections import defaultdict
from datetime import date
from importlib import resources

import pytest

from modelarena.catalog import LICENSE_CLASSES, load_catalog
from modelarena.catalog.entries import normalize_name


@pytest.fixture(scope="module")
def catalog():
    return load_catalog()


@pytest.fixture(scope="module")
def raw_entries() -> list[dict]:
    folder = resources.files("modelarena.catalog")
    out: list[dict] = []
    for file in folder.iterdir():
        if file.name.startswith("models") and file.name.endswith(".toml"):
            out.extend(tomllib.loads(file.read_text("utf-8")).get("model", []))
    return out


def test_catalog_is_large_enough(catalog):
    assert len(catalog) >= 40


# name -> expected id; each required family, looked up through a provider or HF alias.
REQUIRED = {
    # Chinese open families
    "deepseek-ai/DeepSeek-V3": "deepseek-v3",
    "deepseek-ai/DeepSeek-R1": "deepseek-r1",
    "deepseek-ai/DeepSeek-V3.1": "deepseek-v3.1",
    "deepseek/deepseek-chat-v3.1": "deepseek-v3.1",
    "deepseek-ai/DeepSeek-V3.2-Exp": "deepseek-v3.2-exp",
    "deepseek-ai/DeepSeek-V3.2": "deepseek-v3.2",
    "deepseek-chat": "deepseek-v3.2",
    "deepseek-reasoner": "deepseek-v3.2",
    "Qwen/Qwen2.5-72B-Instruct": "qwen2.5-72b-instruct",
    "Qwen/Qwen3-235B-A22B": "qwen3-235b-a22b",
    "Qwen/Qwen3-Coder-480B-A35B-Instruct": "qwen3-coder-480b-a35b-instruct",
    "Qwen/Qwen3-32B": "qwen3-32b",
    "moonshotai/Kimi-K2-Instruct": "kimi-k2",
    "moonshotai/Kimi-K2-Thinking": "kimi-k2-thinking",
    "zai-org/GLM-4.5": "glm-4.5",
    "z-ai/glm-4.6": "glm-4.6",
    "MiniMaxAI/MiniMax-M1-80k": "minimax-m1",
    "MiniMaxAI/MiniMax-M2": "minimax-m2",
    "baidu/ERNIE-4.5-300B-A47B-PT": "ernie-4.5-300b-a47b",
    "tencent/Hunyuan-A13B-Instruct": "hunyuan-a13b-instruct",
    "stepfun-ai/step3": "step3",
    # US/EU open
    "openai/gpt-oss-120b": "gpt-oss-120b",
    "openai/gpt-oss-20b": "gpt-oss-20b",
    "meta-llama/Llama-3.1-405B-Instruct": "llama-3.1-405b-instruct",
    "meta-llama/Meta-Llama-3.1-70B-Instruct": "llama-3.1-70b-instruct",
    "meta-llama/Llama-3.1-8B-Instruct": "llama-3.1-8b-instruct",
    "meta-llama/Llama-3.3-70B-Instruct": "llama-3.3-70b-instruct",
    "meta-llama/Llama-4-Maverick-17B-128E-Instruct": "llama-4-maverick",
    "meta-llama/Llama-4-Scout-17B-16E-Instruct": "llama-4-scout",
    "google/gemma-3-27b-it": "gemma-3-27b-it",
    "microsoft/phi-4": "phi-4",
    "allenai/OLMo-2-1124-13B-Instruct": "olmo-2-13b-instruct",
    "mistralai/Mistral-Small-3.1-24B-Instruct-2503": "mistral-small-3.1",
    "mistralai/Mistral-Large-Instruct-2407": "mistral-large-2",
    "mixtral-8x7b-instruct-v0.1": "mixtral-8x7b-instruct",
    # Closed frontier
    "gpt-4o-2024-05-13": "gpt-4o",
    "gpt-4o-2024-08-06": "gpt-4o",
    "chatgpt-4o-latest": "gpt-4o",
    "gpt-4.1-2025-04-14": "gpt-4.1",
    "gpt-5-2025-08-07": "gpt-5",
    "o3-2025-04-16": "o3",
    "claude-3-5-sonnet-20240620": "claude-3.5-sonnet",
    "claude-3-5-sonnet-20241022": "claude-3.5-sonnet",
    "claude-sonnet-4-20250514": "claude-sonnet-4",
    "claude-opus-4-1-20250805": "claude-opus-4.1",
    "claude-sonnet-4-5-20250929": "claude-sonnet-4.5",
    "gemini-2.5-pro": "gemini-2.5-pro",
    "gemini-2.5-flash": "gemini-2.5-flash",
    "grok-3": "grok-3",
    "grok-4-0709": "grok-4",
    # Bundled local model
    "HuggingFaceTB/SmolLM2-135M-Instruct": "smollm2-135m-instruct",
    "SmolLM2-135M-Instruct": "smollm2-135m-instruct",
    "smollm2": "smollm2-135m-instruct",
    # Names from published LMArena vote logs
    "gpt-4-0314": "gpt-4",
    "gpt-4-0613": "gpt-4",
    "gpt-4-1106-preview": "gpt-4-turbo",
    "gpt-4-0125-preview": "gpt-4-turbo",
    "gpt-4-turbo-2024-04-09": "gpt-4-turbo",
    "gpt-3.5-turbo-0613": "gpt-3.5-turbo",
    "gpt-3.5-turbo-0125": "gpt-3.5-turbo",
    "gpt-3.5-turbo-1106": "gpt-3.5-turbo",
    "claude-v1": "claude-1",
    "claude-instant-v1": "claude-instant-1",
    "claude-2.0": "claude-2",
    "claude-2.1": "claude-2",
    "claude-3-opus-20240229": "claude-3-opus",
    "claude-3-sonnet-20240229": "claude-3-sonnet",
    "claude-3-haiku-20240307": "claude-3-haiku",
    "vicuna-13b": "vicuna-13b",
    "llama-2-70b-chat": "llama-2-70b-chat",
    "llama-2-13b-chat": "llama-2-13b-chat",
    "gemini-pro": "gemini-pro",
    "palm-2": "palm-2",
    "koala-13b": "koala-13b",
    "alpaca-13b": "alpaca-13b",
    "chatglm-6b": "chatglm-6b",
    "dolly-v2-12b": "dolly-v2-12b",
    "oasst-pythia-12b": "oasst-pythia-12b",
    "fastchat-t5-3b": "fastchat-t5-3b",
    "stablelm-tuned-alpha-7b": "stablelm-tuned-alpha-7b",
    "mpt-7b-chat": "mpt-7b-chat",
    "RWKV-4-Raven-14B": "rwkv-4-raven-14b",
    "yi-34b-chat": "yi-34b-chat",
    "qwen1.5-72b-chat": "qwen1.5-72b-chat",
}


@pytest.mark.parametrize(("name", "expected"), sorted(REQUIRED.items()))
def test_required_families_resolve(catalog, name, expected):
    assert catalog.resolve(name) == expected
    assert expected in catalog


def test_smollm2_bundled_entry(catalog):
    e = catalog.get("smollm2-135m-instruct")
    assert e is not None
    assert (e.lab, e.country, e.license, e.license_class) == (
        "Hugging Face",
        "US",
        "Apache-2.0",
        "permissive",
    )
    assert e.open_weights is True
    assert e.total_params_b == pytest.approx(0.135)
    assert e.release_date == date(2024, 10, 31)
    assert "https://huggingface.co/HuggingFaceTB/SmolLM2-135M-Instruct" in e.sources


def test_every_entry_has_an_https_source(catalog):
    bad = [e.id for e in catalog if not any(s.startswith("https://") for s in e.sources)]
    assert bad == []


def test_ids_are_lowercase_kebab(catalog):
    bad = [e.id for e in catalog if not re.fullmatch(r"[a-z0-9]+(?:[.-][a-z0-9]+)*", e.id)]
    assert bad == []


def test_countries_are_iso_alpha2(catalog):
    bad = [(e.id, e.country) for e in catalog if not re.fullmatch(r"[A-Z]{2}", e.country)]
    assert bad == []


def test_license_class_matches_openness(catalog):
    for e in catalog:
        assert e.license_class in LICENSE_CLASSES, e.id
        if e.open_weights:
            assert e.license_class != "proprietary", e.id
        else:
            assert e.license_class == "proprietary", e.id


def test_params_are_consistent(catalog):
    for e in catalog:
        if e.active_params_b is not None:
            assert e.total_params_b is not None, e.id
            assert 0 < e.active_params_b <= e.total_params_b, e.id
        if e.total_params_b is not None:
            assert e.total_params_b > 0, e.id


@pytest.mark.parametrize(
    "model_id",
    ["deepseek-v3", "qwen3-235b-a22b", "kimi-k2", "gpt-oss-120b", "mixtral-8x7b-instruct"],
)
def test_moe_entries_have_fewer_active_params(catalog, model_id):
    e = catalog.get(model_id)
    assert e is not None
    assert e.total_params_b is not None and e.active_params_b is not None
    assert e.active_params_b < e.total_params_b


def test_prices_are_positive_and_paired(catalog):
    for e in catalog:
        assert (e.price_input_per_m is None) == (e.price_output_per_m is None), e.id
        if e.price_input_per_m is not None:
            assert e.price_input_per_m > 0 and e.price_output_per_m > 0, e.id


def test_release_dates_are_plausible(catalog):
    for e in catalog:
        assert e.release_date is not None, e.id
        assert date(2022, 1, 1) <= e.release_date <= date.today(), e.id


def test_no_alias_collisions_after_normalisation(raw_entries):
    # Computed from the raw TOML: the loader's index uses setdefault and would
    # silently give a shared name to whichever entry came first.
    owners: dict[str, set[str]] = defaultdict(set)
    for raw in raw_entries:
        for name in (raw["id"], raw["display_name"], *raw.get("aliases", [])):
            owners[normalize_name(name)].add(raw["id"])
    shared = {name: sorted(ids) for name, ids in owners.items() if len(ids) > 1}
    assert shared == {}


def test_ids_are_unique_after_normalisation(raw_entries):
    folded = [normalize_name(raw["id"]) for raw in raw_entries]
    assert len(folded) == len(set(folded))


def test_every_entry_resolves_to_itself(catalog):
    for e in catalog:
        for name in (e.id, e.display_name, *e.aliases):
            assert catalog.resolve(name) == e.id, (name, e.id)


def test_with_overrides_adds_and_overrides(catalog):
    new = {
        "id": "my-local-model",
        "display_name": "My Local Model",
        "lab": "Me",
        "country": "FR",
        "open_weights": True,
        "license": "MIT",
        "license_class": "permissive",
        "aliases": ["me/my-local-model-gguf"],
    }
    changed = catalog.with_overrides(
        [new, {"id": "gpt-4o", "price_input_per_m": 5, "notes": "launch price"}]
    )
    assert len(changed) == len(catalog) + 1
    assert changed.resolve("me/My_Local_Model.gguf") == "my-local-model"
    added = changed.get("my-local-model")
    assert added is not None and added.country == "FR"
    gpt4o = changed.get("gpt-4o")
    assert gpt4o is not None
    assert gpt4o.price_input_per_m == 5.0
    assert gpt4o.notes == "launch price"
    # untouched fields survive the merge, and the original catalog is unchanged
    assert gpt4o.price_output_per_m == catalog.get("gpt-4o").price_output_per_m
    assert changed.resolve("chatgpt-4o-latest") == "gpt-4o"
    assert catalog.get("gpt-4o").price_input_per_m == 2.5
    assert "my-local-model" not in catalog
