"""``arena models``: which models are configured, whether they run, and what to fix."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest
from fake_openai import FakeOpenAI
from typer.testing import CliRunner

from modelarena.backends import contestants
from modelarena.cli.main import app
from modelarena.config import ModelConfig

runner = CliRunner()


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def broken_and_fine(tmp_path: Path, fine_url: str) -> Path:
    cfg = tmp_path / "arena.toml"
    cfg.write_text(
        f"""
[[models]]
id = "fine"
catalog = "gpt-4o"
backend = "openai"
base_url = "{fine_url}"
model = "gpt-4o"

[[models]]
id = "no-key"
catalog = "deepseek-v3"
backend = "openai"
base_url = "{fine_url}"
api_key_env = "ARENA_TEST_ABSENT_KEY"

[[models]]
id = "no-file"
catalog = "smollm2-135m-instruct"
backend = "gguf"
path = "{tmp_path / "missing.gguf"}"

[[models]]
id = "refused"
catalog = "gpt-4o"
backend = "openai"
base_url = "http://127.0.0.1:{closed_port()}/v1"
timeout_s = 10
"""
    )
    return cfg


def test_check_tries_each_model_and_names_cause_and_fix(
    tmp_path: Path, sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("llama_cpp")
    monkeypatch.delenv("ARENA_TEST_ABSENT_KEY", raising=False)
    with FakeOpenAI("OK").running() as server:
        cfg = broken_and_fine(tmp_path, server.base_url)
        args = ["models", "--check", "--config", str(cfg), "--db", sqlite_url]
        result = runner.invoke(app, [*args, "--format", "json"])
        table = runner.invoke(app, args)
    assert result.exit_code == 1 and "3 of 4 model(s) cannot answer" in result.stderr
    rows = {r["id"]: r for r in json.loads(result.stdout)}
    assert rows["fine"]["ok"] is True and rows["fine"]["checked"] is True
    assert "ARENA_TEST_ABSENT_KEY is not set" in rows["no-key"]["cause"]
    assert rows["no-key"]["fix"].startswith("export ARENA_TEST_ABSENT_KEY=")
    assert "GGUF file not found" in rows["no-file"]["cause"] and "`path`" in rows["no-file"]["fix"]
    assert rows["refused"]["reason"] == "unreachable"
    assert "start the model's server at http://127.0.0.1:" in rows["refused"]["fix"]
    assert table.exit_code == 1 and "failed" in table.stdout and "ok" in table.stdout
    assert "Traceback" not in table.output


def test_plain_listing_shows_what_cannot_run_without_calling_anyone(
    tmp_path: Path, sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ARENA_TEST_ABSENT_KEY", raising=False)
    server = FakeOpenAI("OK")  # not started: a listing must not call the models
    cfg = broken_and_fine(tmp_path, server.base_url)
    result = runner.invoke(
        app, ["models", "--config", str(cfg), "--db", sqlite_url, "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    rows = {r["id"]: r for r in json.loads(result.stdout)}
    assert rows["fine"]["ok"] and rows["refused"]["ok"] and not rows["fine"]["checked"]
    assert not rows["no-key"]["ok"] and "cannot run" in result.stderr
    assert server.requests == []
    server.server.server_close()


def fake_bundled() -> list[ModelConfig]:
    return [
        ModelConfig(
            id=f"smollm2-135m-{name}",
            catalog="smollm2-135m-instruct",
            backend="scripted",
            options={"replies": ["hi"]},
        )
        for name in ("precise", "creative")
    ]


@pytest.mark.parametrize(
    ("line", "ids", "noted"),
    [
        ("", {"mine"}, True),
        (
            "include_bundled = true\n",
            {"mine", "smollm2-135m-precise", "smollm2-135m-creative"},
            False,
        ),
        ("include_bundled = false\n", {"mine"}, False),
    ],
)
def test_a_config_with_models_says_the_bundled_pair_is_gone_and_one_line_keeps_it(
    tmp_path: Path,
    sqlite_url: str,
    monkeypatch: pytest.MonkeyPatch,
    line: str,
    ids: set[str],
    noted: bool,
) -> None:
    monkeypatch.setattr(contestants, "default_model_configs", fake_bundled)
    cfg = tmp_path / "arena.toml"
    cfg.write_text(
        line + '[[models]]\nid = "mine"\ncatalog = "gpt-4o"\nbackend = "scripted"\n'
        'options = { replies = ["hello"] }\n'
    )
    result = runner.invoke(
        app, ["models", "--config", str(cfg), "--db", sqlite_url, "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    assert {r["id"] for r in json.loads(result.stdout)} == ids
    assert ("include_bundled = true" in result.stderr) is noted


def test_no_config_still_plays_the_bundled_pair_without_a_note(
    tmp_path: Path, sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(contestants, "default_model_configs", fake_bundled)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ARENA_CONFIG", raising=False)
    result = runner.invoke(app, ["models", "--db", sqlite_url, "--format", "json"])
    assert result.exit_code == 0, result.output
    assert len(json.loads(result.stdout)) == 2 and "note" not in result.stderr


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("catalog", "deepseek-v3.3", "did you mean 'deepseek-v3.2'"),
        ("catalog", "HuggingFaceTB/SmolLM2-135M-Instruct", "did you mean 'smollm2-135m-instruct'"),
        ("backend", "opneai", "did you mean 'openai'"),
    ],
)
def test_an_unknown_catalog_id_or_backend_is_refused_with_the_near_ones(
    tmp_path: Path, sqlite_url: str, field: str, value: str, message: str
) -> None:
    entry = {"id": "m", "catalog": "gpt-4o", "backend": "openai", "base_url": "http://x/v1"}
    entry[field] = value
    cfg = tmp_path / "arena.toml"
    cfg.write_text("[[models]]\n" + "".join(f'{k} = "{v}"\n' for k, v in entry.items()))
    result = runner.invoke(app, ["models", "--config", str(cfg), "--db", sqlite_url])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert message in result.stderr and "model 'm'" in result.stderr
