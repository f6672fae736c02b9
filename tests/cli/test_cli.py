"""The ``arena`` command, run as a user runs it."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from modelarena.battles.records import Verdict
from modelarena.cli.main import app
from modelarena.store import ImportedBattle, Store

runner = CliRunner()


def _seed(url: str) -> None:
    store = Store.open(url)
    rows = (
        [ImportedBattle("deepseek-v3", "gpt-4o", Verdict.A)] * 30
        + [ImportedBattle("deepseek-v3", "gpt-4o", Verdict.B)] * 10
        + [ImportedBattle("gpt-4o", "llama-3.1-8b-instruct", Verdict.A)] * 20
        + [ImportedBattle("gpt-4o", "llama-3.1-8b-instruct", Verdict.TIE)] * 5
    )
    store.import_battles(rows)
    store.close()


def test_leaderboard_in_every_format(sqlite_url: str) -> None:
    _seed(sqlite_url)
    result = runner.invoke(app, ["leaderboard", "--db", sqlite_url, "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert [r["model"] for r in data["rows"]][0] == "deepseek-v3"
    assert data["total_votes"] == 65
    row = data["rows"][0]
    for key in (
        "model",
        "rating",
        "ci_lower",
        "ci_upper",
        "rank",
        "votes",
        "win_rate",
        "open_weights",
        "country",
        "lab",
        "license",
    ):
        assert key in row
    table = runner.invoke(app, ["leaderboard", "--db", sqlite_url])
    assert table.exit_code == 0 and "DeepSeek" in table.stdout and "Best open model" in table.stdout
    out = runner.invoke(app, ["leaderboard", "--db", sqlite_url, "--format", "csv"]).stdout
    parsed = list(csv.DictReader(io.StringIO(out)))
    assert len(parsed) == 3 and parsed[0]["model"] == "deepseek-v3"
    md = runner.invoke(app, ["leaderboard", "--db", sqlite_url, "--format", "markdown"]).stdout
    assert md.startswith("| Rank | Model") and md.strip().count("\n") == 4
    opened = json.loads(
        runner.invoke(app, ["leaderboard", "--db", sqlite_url, "--open", "--format", "json"]).stdout
    )
    assert {r["model"] for r in opened["rows"]} == {"deepseek-v3", "llama-3.1-8b-instruct"}
    us = json.loads(
        runner.invoke(
            app, ["leaderboard", "--db", sqlite_url, "--country", "US", "--format", "json"]
        ).stdout
    )
    assert {r["country"] for r in us["rows"]} == {"US"}


def test_leaderboard_shows_not_enough_votes_and_ties_for_first(sqlite_url: str) -> None:
    store = Store.open(sqlite_url)
    store.import_battles(
        [ImportedBattle("deepseek-v3", "gpt-4o", Verdict.A)] * 11
        + [ImportedBattle("deepseek-v3", "gpt-4o", Verdict.B)] * 9
        + [ImportedBattle("gpt-4o", "llama-3.1-8b-instruct", Verdict.TIE)]
    )
    store.close()
    table = runner.invoke(app, ["leaderboard", "--db", sqlite_url])
    assert table.exit_code == 0, table.output
    text = " ".join(table.stdout.split())
    assert "not enough votes" in text and "-0/+0" not in text
    assert "Tied for first: DeepSeek" in text and "Top rated" not in text
    md = runner.invoke(app, ["leaderboard", "--db", sqlite_url, "--format", "markdown"]).stdout
    last = md.strip().splitlines()[-1]
    assert last.startswith("| - |") and "not enough votes" in last
    data = json.loads(
        runner.invoke(app, ["leaderboard", "--db", sqlite_url, "--format", "json"]).stdout
    )
    assert data["rows"][-1]["ci_lower"] is None and data["rows"][-1]["rank"] is None
    assert len(data["headline"]["leaders"]) == 2


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["leaderboard", "--format", "xml"], "unknown format"),
        (["leaderboard", "--category", "poetry"], "unknown category"),
        (["leaderboard", "--license-class", "free"], "unknown licence class"),
        (["leaderboard", "--open", "--closed"], "exclude each other"),
        (["models", "--config", "/nonexistent/arena.toml"], "does not exist"),
        (
            ["battle", "--prompt", "hi", "--category", "poetry", "--verdict", "a"],
            "unknown category",
        ),
        (["leaderboard", "--db", "notaurl"], "not a database URL"),
    ],
)
def test_user_mistakes_get_one_clear_line(args: list[str], message: str, sqlite_url: str) -> None:
    if "--db" not in args:
        args = [*args, "--db", sqlite_url] if args[0] != "models" else args
    result = runner.invoke(app, args)
    assert result.exit_code != 0
    assert message in result.output
    assert "Traceback" not in result.output


def test_no_traceback_from_the_real_process(tmp_path: Path) -> None:
    bad = tmp_path / "arena.toml"
    bad.write_text("[[models]]\nid = 'x'\nbackend = 'warp-drive'\n")
    proc = subprocess.run(
        [sys.executable, "-m", "modelarena", "models", "--config", str(bad)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
    )
    assert proc.returncode == 1
    assert "backend" in proc.stderr and "Traceback" not in proc.stderr


def test_models_lists_configured_and_catalog(sqlite_url: str, tmp_path: Path) -> None:
    cfg = tmp_path / "arena.toml"
    cfg.write_text(
        "[[models]]\nid='ds'\ncatalog='deepseek-v3.2'\nbackend='openai'\n"
        "base_url='https://api.deepseek.com'\nmodel='deepseek-chat'\napi_key_env='DS_KEY'\n"
    )
    result = runner.invoke(
        app, ["models", "--config", str(cfg), "--db", sqlite_url, "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    [model] = json.loads(result.stdout)
    assert model["id"] == "ds" and model["country"] == "CN" and model["open_weights"] is True
    cat = json.loads(
        runner.invoke(
            app,
            [
                "models",
                "--catalog",
                "--open",
                "--country",
                "CN",
                "--db",
                sqlite_url,
                "--format",
                "json",
            ],
        ).stdout
    )
    assert len(cat) >= 15 and all(e["country"] == "CN" and e["open_weights"] for e in cat)


def test_db_upgrade_and_rebuild(sqlite_url: str) -> None:
    first = runner.invoke(app, ["db", "upgrade", "--db", sqlite_url])
    assert first.exit_code == 0 and "upgraded" in first.stdout
    again = runner.invoke(app, ["db", "upgrade", "--db", sqlite_url])
    assert "up to date" in again.stdout
    _seed(sqlite_url)
    rebuilt = runner.invoke(app, ["db", "rebuild", "--db", sqlite_url])
    assert "65 counted votes" in rebuilt.stdout


@pytest.mark.llama
def test_battle_with_the_bundled_model_end_to_end(bundled_gguf: Path, tmp_path: Path) -> None:
    """No config, no key, no network: the bundled model fights itself under two settings."""
    url = "sqlite:///" + str(tmp_path / "arena.db")
    env = {**os.environ, "ARENA_DATABASE_URL": url}
    env.pop("ARENA_CONFIG", None)
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "modelarena",
            "battle",
            "--prompt",
            "Say hello in one sentence.",
            "--verdict",
            "a",
            "--voter",
            "tester",
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Model A" in proc.stdout and "Reveal" in proc.stdout
    assert "SmolLM2" in proc.stdout and "counted" in proc.stdout
    store = Store.open(url)
    [battle] = store.recent_battles()
    assert battle.complete and all(a.content.strip() for a in battle.answers)
    assert {battle.model_a, battle.model_b} == {"smollm2-135m-precise", "smollm2-135m-creative"}
    board = json.loads(
        subprocess.run(
            [sys.executable, "-m", "modelarena", "leaderboard", "--format", "json"],
            capture_output=True,
            text=True,
            cwd=tmp_path,
            env=env,
            timeout=60,
        ).stdout
    )
    assert board["total_votes"] == 1 and len(board["rows"]) == 2
