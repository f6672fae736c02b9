"""A broken model is named to the operator (model, cause, fix) and never to the voter."""

from __future__ import annotations

import logging
import socket
from pathlib import Path

import pytest

from modelarena.arena import Arena, ArenaError, ModelUnavailable
from modelarena.backends.check import check_model, check_models
from modelarena.config import ModelConfig, Settings
from modelarena.store import Store


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def openai(model_id: str, **extra: object) -> ModelConfig:
    fields: dict[str, object] = {
        "id": model_id,
        "catalog": "gpt-4o",
        "backend": "openai",
        "base_url": f"http://127.0.0.1:{closed_port()}/v1",
        "model": "m",
        "timeout_s": 10,
    }
    return ModelConfig.model_validate({**fields, **extra})


SCRIPTED = ModelConfig(
    id="fine", catalog="deepseek-v3", backend="scripted", options={"replies": ["OK"]}
)


async def test_check_says_ok_or_the_cause_and_the_fix(tmp_path: Path) -> None:
    refused = openai("refused")
    no_key = openai("no-key", api_key_env="ARENA_TEST_UNSET_KEY")
    no_base = openai("no-base", base_url=None)
    bad_reply = ModelConfig(
        id="failing",
        catalog="gpt-4o",
        backend="scripted",
        options={"replies": [{"error": "auth", "message": "refused the credentials"}]},
    )
    results = await check_models([SCRIPTED, refused, no_key, no_base, bad_reply])
    fine, r_refused, r_key, r_base, r_auth = results
    assert fine.ok and fine.answer == "OK" and fine.problem is None
    assert r_refused.problem and r_refused.problem.reason == "unreachable"
    assert refused.base_url and refused.base_url in r_refused.problem.fix
    assert r_key.problem and "ARENA_TEST_UNSET_KEY is not set" in r_key.problem.cause
    assert r_key.problem.fix.startswith("export ARENA_TEST_UNSET_KEY=")
    assert r_base.problem and "`base_url`" in r_base.problem.fix
    assert r_auth.problem and r_auth.problem.reason == "auth"
    assert "api_key_env" in r_auth.problem.fix and "'failing'" in r_auth.problem.fix
    assert all(r.problem and r.problem.model == r.model for r in results[1:])


async def test_a_missing_gguf_file_is_named_with_its_fix(tmp_path: Path) -> None:
    pytest.importorskip("llama_cpp")
    cfg = ModelConfig(id="local", backend="gguf", path=str(tmp_path / "gone.gguf"))
    result = await check_model(cfg, send=False)
    assert result.problem and "GGUF file not found" in result.problem.cause
    assert "`path`" in result.problem.fix and "'local'" in result.problem.fix


async def test_the_log_names_the_failed_model_and_the_voter_learns_nothing(
    sqlite_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    refused = openai("gpt-4o", catalog="gpt-4o")
    arena = Arena(Settings(models=[SCRIPTED, refused]), Store.open(sqlite_url))
    battle = arena.start_battle("chat", "hi", models=["fine", "gpt-4o"])
    with caplog.at_level(logging.ERROR, logger="modelarena"):
        events = [e async for e in arena.stream_turn(battle.id, "hi")]
    await arena.aclose()
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "model 'gpt-4o'" in logged and "could not connect" in logged
    assert "start the model's server at" in logged
    shown = " ".join(e.error or "" for e in events)
    assert shown and "gpt-4o" not in shown and "127.0.0.1" not in shown


async def test_a_model_that_cannot_start_is_named_in_the_log_only(
    sqlite_url: str, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ARENA_TEST_UNSET_KEY", raising=False)
    keyless = openai("gpt-4o", api_key_env="ARENA_TEST_UNSET_KEY")
    arena = Arena(Settings(models=[SCRIPTED, keyless]), Store.open(sqlite_url))
    battle = arena.start_battle("chat", "hi", models=["gpt-4o", "fine"])
    with caplog.at_level(logging.ERROR, logger="modelarena"), pytest.raises(ArenaError) as info:
        await arena.run_turn(battle.id, "hi")
    await arena.aclose()
    assert str(info.value) == "a model is not available right now"  # what a voter may see
    assert isinstance(info.value, ModelUnavailable) and info.value.problem.model == "gpt-4o"
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "model 'gpt-4o'" in logged and "ARENA_TEST_UNSET_KEY" in logged


def test_a_cut_stream_points_at_servers_that_interrupt() -> None:
    from modelarena.backends.check import diagnose

    problem = diagnose(
        openai("m"), "malformed_stream", "the answer stream ended before the answer was finished"
    )
    assert "--interrupt_requests False" in problem.fix


async def test_an_unexpected_crash_leaves_its_traceback_and_the_model_in_the_log(
    sqlite_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    from modelarena.backends import register_backend, unregister_backend
    from modelarena.backends.base import Message
    from modelarena.backends.scripted import ScriptedBackend

    def boom(messages: list[Message]) -> str:
        raise RuntimeError("bug in a plugin backend")

    register_backend("explodes", lambda cfg, env: ScriptedBackend([boom]))
    try:
        broken = ModelConfig(id="gpt-4o", catalog="gpt-4o", backend="explodes")
        arena = Arena(Settings(models=[SCRIPTED, broken]), Store.open(sqlite_url))
        battle = arena.start_battle("chat", "hi", models=["fine", "gpt-4o"])
        with caplog.at_level(logging.ERROR, logger="modelarena"):
            events = [e async for e in arena.stream_turn(battle.id, "hi")]
        await arena.aclose()
    finally:
        unregister_backend("explodes")
    crash = [r for r in caplog.records if r.exc_info]
    assert crash and "bug in a plugin backend" in str(crash[0].exc_info[1])
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "model 'gpt-4o'" in logged and "backend_error" in logged
    assert all("bug in a plugin" not in (e.error or "") for e in events)
