"""Which models play: configured ones, the bundled pair, names checked before any battle."""

from __future__ import annotations

import pytest

from modelarena.backends import contestants, register_backend, unregister_backend
from modelarena.backends.contestants import bundled_pair_notice, contestant_configs
from modelarena.backends.scripted import ScriptedBackend
from modelarena.catalog import load_catalog
from modelarena.config import ConfigError, ModelConfig, Settings

CATALOG = load_catalog()


def model(model_id: str, **extra: object) -> ModelConfig:
    fields: dict[str, object] = {
        "id": model_id,
        "catalog": "gpt-4o",
        "backend": "scripted",
        "options": {"replies": ["hi"]},
    }
    return ModelConfig.model_validate({**fields, **extra})


@pytest.fixture
def bundled(monkeypatch: pytest.MonkeyPatch) -> list[ModelConfig]:
    pair = [model("bundled-a"), model("bundled-b")]
    monkeypatch.setattr(contestants, "default_model_configs", lambda: pair)
    return pair


def ids(settings: Settings) -> list[str]:
    return [m.id for m in contestant_configs(settings, CATALOG)]


def test_the_bundled_pair_plays_alone_alongside_or_never(bundled: list[ModelConfig]) -> None:
    mine = [model("mine")]
    assert ids(Settings()) == ["bundled-a", "bundled-b"]
    assert ids(Settings(models=mine)) == ["mine"]
    assert ids(Settings(models=mine, include_bundled=True)) == ["mine", "bundled-a", "bundled-b"]
    assert ids(Settings(models=mine, include_bundled=False)) == ["mine"]
    assert ids(Settings(include_bundled=False)) == []


def test_a_note_says_when_models_replace_the_bundled_pair(bundled: list[ModelConfig]) -> None:
    note = bundled_pair_notice(Settings(models=[model("mine")], source_path="arena.toml"))
    assert note is not None and "arena.toml" in note and "include_bundled = true" in note
    assert bundled_pair_notice(Settings()) is None
    assert bundled_pair_notice(Settings(models=[model("m")], include_bundled=True)) is None
    assert bundled_pair_notice(Settings(models=[model("m")], include_bundled=False)) is None


def test_no_note_when_the_bundled_model_is_not_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(contestants, "default_model_configs", list)
    assert bundled_pair_notice(Settings(models=[model("mine")])) is None


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"catalog": "gpt-4o-mini-typo"}, "'gpt-4o-mini'"),
        ({"catalog": "smollm2"}, "did you mean 'smollm2-135m-instruct'"),
        ({"catalog": "zzzz-nothing-like-it"}, "[[catalog]]"),
        ({"backend": "scriptd"}, "did you mean 'scripted'"),
        ({"backend": "warp-drive"}, "registered: "),
    ],
)
def test_unknown_names_are_refused_with_the_near_ones(
    extra: dict[str, object], message: str
) -> None:
    with pytest.raises(ConfigError, match="model 'm'") as info:
        contestant_configs(Settings(models=[model("m", **extra)]), CATALOG)
    assert message in str(info.value)


def test_an_id_without_catalog_plays_without_facts() -> None:
    assert ids(Settings(models=[model("my-own", catalog=None)])) == ["my-own"]


def test_a_registered_backend_is_accepted_and_then_refused_again() -> None:
    register_backend("echo", lambda cfg, env: ScriptedBackend(["echo"]))
    try:
        assert ids(Settings(models=[model("m", backend="echo")])) == ["m"]
    finally:
        unregister_backend("echo")
    with pytest.raises(ConfigError, match="unknown backend 'echo'"):
        ids(Settings(models=[model("m", backend="echo")]))
