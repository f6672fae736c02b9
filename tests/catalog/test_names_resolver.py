"""The name resolver (catalog/names.py): variants pool under their model with the variant
recorded; a name that does not resolve gets candidates and never a country."""

from __future__ import annotations

import pytest

from modelarena.catalog import Catalog, CatalogEntry, load_catalog, nearest, resolve, resolver
from modelarena.catalog.names import NameResolver, fold

# name -> (catalog id, variant, snapshot)
POOLED = {
    "claude-opus-4-5-20251101-thinking-32k": ("claude-opus-4.5", "thinking-32k", "20251101"),
    "claude-opus-4-5-20251101": ("claude-opus-4.5", None, "20251101"),
    "claude-sonnet-4-20250514-thinking-32k": ("claude-sonnet-4", "thinking-32k", "20250514"),
    "claude-opus-4-1-20250805-thinking-16k": ("claude-opus-4.1", "thinking-16k", "20250805"),
    "gpt-5.1-high": ("gpt-5.1", "high", None),
    "gpt-5-mini-high": ("gpt-5-mini", "high", None),
    "o3-mini-high": ("o3-mini", "high", None),
    "gpt-5-chat": ("gpt-5", "chat", None),
    "GPT-5 (Minimal)": ("gpt-5", "minimal", None),
    "gpt-4.5-preview-2025-02-27": ("gpt-4.5", "preview", "2025-02-27"),
    "chatgpt-4o-latest-20250326": ("gpt-4o", "latest", "20250326"),
    "o3-2025-04-16": ("o3", None, "2025-04-16"),
    "grok-4.1-thinking": ("grok-4.1", "thinking", None),
    "grok-3-preview-02-24": ("grok-3", "preview", "02-24"),
    "gemini-2.5-pro-preview-05-06": ("gemini-2.5-pro", "preview", "05-06"),
    "gemini-2.5-flash-lite-preview-09-2025-no-thinking": (
        "gemini-2.5-flash-lite",
        "preview-no-thinking",
        "09-2025",
    ),
    "Gemini 3 Pro Preview": ("gemini-3-pro", "preview", None),
    "deepseek-v3.2-exp-thinking": ("deepseek-v3.2-exp", "thinking", None),
    "qwen3-235b-a22b-no-thinking": ("qwen3-235b-a22b", "no-thinking", None),
    "kimi-k2-thinking-turbo": ("kimi-k2-thinking", "turbo", None),
    "hermes-3-llama-3.1-405b-fp8": ("hermes-3-llama-3.1-405b", "fp8", None),
    "llama-3.1-405b-instruct-bf16": ("llama-3.1-405b-instruct", "bf16", None),
    "mistral-small-3.2-24b-instruct-2506-awq": ("mistral-small-3.2", "awq", None),
    "Meta-Llama-3.1-8B-Instruct-Turbo": ("llama-3.1-8b-instruct", "turbo", None),
    "gemma-3-27b-it-gguf": ("gemma-3-27b-it", "gguf", None),
    "reka-flash-21b-20240226-online": ("reka-flash", "online", "20240226"),
    "mixtral-8x7b-instruct-v0.1": ("mixtral-8x7b-instruct", None, "v0-1"),
    "claude-3-5-sonnet@20240620": ("claude-3.5-sonnet", None, "20240620"),
    "anthropic/claude-sonnet-4.5": ("claude-sonnet-4.5", None, None),
    "amazon.nova-pro-v1:0": ("nova-pro", None, "v1-0"),
    "us.anthropic.claude-3-5-sonnet-20241022-v2:0": ("claude-3.5-sonnet", None, "20241022-v2-0"),
    "bartowski/Qwen2.5-72B-Instruct-GGUF": ("qwen2.5-72b-instruct", "gguf", None),
    "Llama-3.3-70B-Instruct-Q4_K_M": ("llama-3.3-70b-instruct", "q4-k-m", None),
    "gpt-oss-120b-mxfp4": ("gpt-oss-120b", "mxfp4", None),
    "gemini-1.5-pro-api-0514": ("gemini-1.5-pro", "api", "0514"),
    "gpt-4o-search-preview": ("gpt-4o", "search-preview", None),
    "llama3.3:70b-instruct-q8_0": ("llama-3.3-70b-instruct", "q8-0", None),  # Ollama
    "gemma2:27b-instruct-q8_0": ("gemma-2-27b-it", "q8-0", None),
    "chatgpt-4o-03-27-2025": ("gpt-4o", None, "03-27-2025"),
}


@pytest.mark.parametrize(("name", "expected"), sorted(POOLED.items()))
def test_variants_pool_under_their_model(name, expected):
    r = resolve(name)
    assert (r.model_id, r.variant, r.snapshot) == expected


def test_a_catalog_name_wins_over_stripping():
    # these end in variant words but are their own models in the catalog
    for name in ("grok-4-fast", "kimi-k2-thinking", "gpt-4-turbo", "gpt-3.5-turbo", "o1-preview"):
        r = resolve(name)
        assert r.model_id == name and r.matched_by == "id" and r.variant is None, name


def test_matched_by_says_how():
    assert resolve("gpt-5.1").matched_by == "id"
    assert resolve("claude-sonnet-4-5-20250929").matched_by == "alias"
    assert resolve("gpt-5.1-high").matched_by == "variant"
    assert resolve("llama-3.2-3b").matched_by == "stem"  # the catalog name adds -instruct
    assert resolve("llama-3.2-3b").model_id == "llama-3.2-3b-instruct"
    assert resolve("no-such-model-at-all").matched_by == "unresolved"


def test_unresolved_name_has_no_country_and_gets_candidates():
    r = resolve("claude-opus-9-20300101-thinking-64k")
    assert not r.resolved
    assert r.entry is None and r.country is None and r.lineage_country is None
    d = r.to_dict()
    assert d["country"] is None and d["lab"] is None and d["model"] is None
    near = nearest("claude-opus-9-20300101-thinking-64k", 3)
    assert 1 <= len(near) <= 3
    assert all(c.id.startswith("claude-opus") for c in near)
    assert near == sorted(near, key=lambda c: -c.score)
    assert "country" not in near[0].to_dict()


def test_variant_words_alone_do_not_resolve():
    # stripping stops before the name is empty, and a stem must be a catalog name
    for name in ("thinking", "preview-20250101", "high", "-fp8", "llama-99-70b-instruct"):
        assert not resolve(name).resolved, name


def test_a_date_is_not_mistaken_for_a_version():
    # "v2-0724" is the model's own "v2" and a date, not a version tag "v2.07.24"
    r = resolve("deepseek-coder-v2-0724")
    assert r.model_id == "deepseek-coder-v2" and r.snapshot == "0724"


def test_the_resolver_uses_the_given_catalog():
    mine = CatalogEntry(
        id="my-model",
        display_name="My Model",
        lab="Me",
        country="FR",
        open_weights=True,
        license="MIT",
        license_class="permissive",
        aliases=("me/my-model-v2",),
    )
    names = NameResolver(Catalog({"my-model": mine}))
    r = names.resolve("my-model-v2-thinking-fp8")
    assert (r.model_id, r.variant, r.snapshot) == ("my-model", "thinking-fp8", "v2")
    assert names.resolve("gpt-5").entry is None  # the built-in catalog is not consulted
    assert resolver(load_catalog()).resolve("my-model").entry is None


def test_fold_treats_brackets_and_at_as_separators():
    assert fold("GPT-5 (high)") == "gpt-5-high"
    assert fold("claude-3-5-sonnet@20240620") == "claude-3-5-sonnet-20240620"
    assert fold("Qwen/Qwen3-235B-A22B") == "qwen3-235b-a22b"
    assert fold("GPT\u20115.1 \uff08high\uff09") == "gpt-5-1-high"  # non-breaking hyphen


def test_one_resolver_per_catalog():
    catalog = load_catalog()
    assert resolver(catalog) is resolver(catalog)
    assert resolver(catalog.with_overrides([])) is not resolver(catalog)
    assert resolver() is resolver()


@pytest.mark.parametrize(
    ("name", "snapshot_date", "released"),
    [
        ("gpt-4-0613", "2023-06-13", "2023-06-13"),  # month-day in the release year
        ("gpt-3.5-turbo-0125", "2024-01-25", "2024-01-25"),  # ... or the year after
        ("gpt-4.5-preview-2025-02-27", "2025-02-27", "2025-02-27"),
        ("claude-3-5-sonnet-20241022", "2024-10-22", "2024-10-22"),
        ("gemini-2.5-flash-preview-09-2025", "2025-09-01", "2025-09-01"),
        ("step-2-16k-exp-202412", "2024-12-01", "2024-12-01"),
        ("chatgpt-4o-03-27-2025", "2025-03-27", "2025-03-27"),
        ("mistral-large-2402", "2024-02-01", "2024-02-26"),  # year-month before the release
        ("gemini-1.5-pro-002", None, "2024-02-15"),  # a version names no date
        ("gpt-5", None, "2025-08-07"),
    ],
)
def test_snapshot_dates(name, snapshot_date, released):
    r = resolve(name)
    assert (r.snapshot_date.isoformat() if r.snapshot_date else None) == snapshot_date
    assert r.released is not None and r.released.isoformat() == released
    assert r.to_dict()["snapshot_date"] == snapshot_date


def test_an_unresolved_name_has_no_dates():
    r = resolve("no-such-model-20250101")
    assert r.snapshot_date is None and r.released is None
