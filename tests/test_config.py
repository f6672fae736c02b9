from __future__ import annotations

from pathlib import Path

import pytest

from modelarena.config import ConfigError, load_settings


def test_no_config_means_defaults() -> None:
    settings = load_settings(environ={})
    assert settings.models == [] and settings.database_url == "sqlite:///arena.db"


def test_toml_models_and_env_overrides(tmp_path: Path) -> None:
    cfg = tmp_path / "arena.toml"
    cfg.write_text(
        'database_url = "sqlite:///x.db"\n'
        "[[models]]\n"
        'id = "ds"\ncatalog = "deepseek-v3.2"\nbackend = "openai"\n'
        'base_url = "https://api.deepseek.com"\nmodel = "deepseek-chat"\n'
        'api_key_env = "DEEPSEEK_API_KEY"\n'
        "[[catalog]]\n"
        'id = "my-model"\ndisplay_name = "Mine"\nlab = "Us"\ncountry = "FR"\n'
        'open_weights = true\nlicense = "MIT"\nlicense_class = "permissive"\n'
    )
    settings = load_settings(
        cfg, environ={"ARENA_DATABASE_URL": "sqlite:///y.db", "ARENA_PORT": "9000"}
    )
    assert settings.database_url == "sqlite:///y.db" and settings.port == 9000
    assert settings.models[0].catalog_id == "deepseek-v3.2"
    assert settings.catalog[0]["id"] == "my-model"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("[[models]]\nid='x'\nbackend='no pe!'\n", "models.0.backend"),
        (
            "[[models]]\nid='x'\nbackend='openai'\napi_key_env='sk-abc123-secret!'\n",
            "NAME of an environment variable",
        ),
        ("database_url = [1\n", "not valid TOML"),
        ("colour = 'blue'\n", "colour"),
        (
            "[[models]]\nid='x'\nbackend='gguf'\n[[models]]\nid='x'\nbackend='gguf'\n",
            "configured twice",
        ),
    ],
)
def test_bad_config_gets_a_clear_error(tmp_path: Path, body: str, message: str) -> None:
    cfg = tmp_path / "arena.toml"
    cfg.write_text(body)
    with pytest.raises(ConfigError, match=message) as info:
        load_settings(cfg, environ={})
    assert "sk-abc123" not in str(info.value)


def test_missing_file_and_bad_env(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings(tmp_path / "nope.toml", environ={})
    with pytest.raises(ConfigError, match="ARENA_PORT"):
        load_settings(environ={"ARENA_PORT": "eighty"})


def test_config_imports_nothing_above_it() -> None:
    import subprocess
    import sys

    code = (
        "import sys, modelarena.config; "
        "print(sorted(m for m in sys.modules if m.startswith('modelarena.backends')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_a_model_config_with_options_stays_hashable() -> None:
    from modelarena.config import ModelConfig

    a = ModelConfig(id="x", backend="scripted", options={"replies": ["hi"]})
    b = ModelConfig(id="x", backend="scripted", options={"replies": ["hi"]})
    assert a == b and len({a, b}) == 1
