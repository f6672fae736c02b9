"""``arena battle`` against OpenAI-compatible servers, run as an operator runs it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

from fake_openai import FakeOpenAI, openai_models_toml

from modelarena.store import Store


def run_arena(
    tmp_path: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    environ = {**os.environ, **(env or {})}
    environ.pop("ARENA_CONFIG", None)
    return subprocess.run(
        [sys.executable, "-m", "modelarena", *args],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=environ,
        timeout=120,
    )


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_battle_against_openai_models_ends_cleanly(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'arena.db'}"
    with FakeOpenAI().running() as server:
        cfg = tmp_path / "arena.toml"
        cfg.write_text(openai_models_toml(server.base_url, db))
        proc = run_arena(tmp_path, "battle", "--prompt", "Say hello.", "--verdict", "a")
        assert len(server.requests) == 2
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out
    assert "Event loop is closed" not in out and "Traceback" not in out
    assert "Reveal" in proc.stdout and "counted" in proc.stdout
    store = Store.open(db)
    [battle] = store.recent_battles()
    assert battle.complete and len(store.votes_for_battle(battle.id)) == 1
    store.close()


def test_a_bad_verdict_is_refused_before_any_answer_is_generated(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'arena.db'}"
    with FakeOpenAI().running() as server:
        (tmp_path / "arena.toml").write_text(openai_models_toml(server.base_url, db))
        proc = run_arena(tmp_path, "battle", "--prompt", "Say hello.", "--verdict", "left")
        assert server.requests == []
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr
    assert "unknown verdict 'left'" in proc.stderr and "both_bad" in proc.stderr


def test_a_refused_connection_names_the_model_the_cause_and_the_fix(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'arena.db'}"
    url = f"http://127.0.0.1:{closed_port()}/v1"
    (tmp_path / "arena.toml").write_text(openai_models_toml(url, db))
    proc = run_arena(tmp_path, "battle", "--prompt", "Say hello.", "--verdict", "a")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    assert "deepseek-v3" in proc.stderr and "gpt-4o" in proc.stderr
    assert "could not connect" in proc.stderr
    assert f"start the model's server at {url}" in proc.stderr


def test_a_missing_key_variable_names_the_model_and_the_variable(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'arena.db'}"
    with FakeOpenAI().running() as server:
        (tmp_path / "arena.toml").write_text(
            openai_models_toml(server.base_url, db, key_env="ARENA_TEST_NO_SUCH_KEY")
        )
        env = {k: v for k, v in os.environ.items() if k != "ARENA_TEST_NO_SUCH_KEY"}
        proc = run_arena(tmp_path, "battle", "--prompt", "hi", "--verdict", "a", env=env)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert "ARENA_TEST_NO_SUCH_KEY is not set" in proc.stderr
    assert "export ARENA_TEST_NO_SUCH_KEY=" in proc.stderr
    assert "not available right now" not in proc.stderr


def test_an_unknown_model_id_is_refused_with_the_near_ones(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'arena.db'}"
    (tmp_path / "arena.toml").write_text(openai_models_toml("http://127.0.0.1:9/v1", db))
    proc = run_arena(
        tmp_path, "battle", "--prompt", "hi", "--verdict", "a", "--models", "deepseek-v2,gpt-4o"
    )
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert "'deepseek-v2' is not a configured model" in proc.stderr
    assert "did you mean 'deepseek-v3'" in proc.stderr


def test_the_panes_show_no_sign_of_reasoning_before_the_vote(tmp_path: Path) -> None:
    """One model thinks first, the other does not, and both give the same answer: the panes
    show the same token count (the answer's own), and the reveal shows its time."""
    db = f"sqlite:///{tmp_path / 'arena.db'}"
    (tmp_path / "arena.toml").write_text(
        f'database_url = "{db}"\n'
        '[[models]]\nid = "thinker"\nbackend = "scripted"\n'
        'options = { replies = [{ reasoning = "one two three four five ", text = "Hi there." }] }\n'
        '[[models]]\nid = "plain"\nbackend = "scripted"\n'
        'options = { replies = ["Hi there."] }\n'
    )
    proc = run_arena(tmp_path, "battle", "--prompt", "Say hi.", "--verdict", "tie")
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out
    assert out.count("done · 2 tokens") == 2, out  # not 7 on the thinking side
    assert "7 tokens" not in out.split("Reveal")[0]


async def test_a_follow_up_past_the_turn_limit_goes_back_to_the_vote(
    tmp_path: Path, monkeypatch: Any, capsys: Any
) -> None:
    from scripted import scripted_arena

    from modelarena.cli import battle_cmd

    arena = scripted_arena(f"sqlite:///{tmp_path / 'arena.db'}", max_turns=1)
    answers = iter(["f", "and then?", "1"])  # follow-up, refused; then a vote
    monkeypatch.setattr(battle_cmd, "is_tty", lambda: True)
    monkeypatch.setattr(battle_cmd.Prompt, "ask", lambda *a, **k: next(answers))
    status = await battle_cmd._session(arena, "chat", "Hi", None, None, "cli-voter")
    out = capsys.readouterr().out
    assert status == 0, out
    assert "turn" in out.lower() and "Vote: A is better" in out
    votes = Store.open(f"sqlite:///{tmp_path / 'arena.db'}").filtered_vote_summary()
    assert votes.get("counted") == 1
