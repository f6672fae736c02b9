"""``arena campaign``: create from a file, invite, revoke, status; mistakes are one line."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from modelarena.cli.main import app


@pytest.fixture
def config(tmp_path: Path) -> Path:
    db = f"sqlite:///{tmp_path / 'arena.db'}"
    path = tmp_path / "arena.toml"
    path.write_text(
        f'database_url = "{db}"\n'
        '[[models]]\nid = "deepseek-v3"\nbackend = "scripted"\noptions = { replies = ["A."] }\n'
        '[[models]]\nid = "gpt-4o"\nbackend = "scripted"\noptions = { replies = ["B."] }\n'
    )
    return path


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output + (result.stderr if result.stderr_bytes else "")


def test_create_invite_revoke_status(config: Path, tmp_path: Path) -> None:
    prompts = tmp_path / "p.jsonl"
    prompts.write_text(
        "\n".join(
            json.dumps(r, ensure_ascii=False)
            for r in [
                {"prompt": "Write a tagline for a bakery.", "id": "t1"},
                {"prompt": "为面包店写一句广告语。"},
                {"prompt": "Explain our refund policy.", "language": "English"},
            ]
        ),
        "utf-8",
    )
    c = str(config)
    code, out = _run(
        "campaign", "create", "bakery", "--prompts", str(prompts),
        "--models", "deepseek-v3,gpt-4o", "--target-votes", "20", "-c", c,
    )  # fmt: skip
    assert code == 0, out
    assert "3 prompts (en 2, zh 1)" in out
    assert re.search(r"http://127\.0\.0\.1:8000/c/\S+", out)
    code, out = _run("campaign", "invite", "bakery", "--votes-limit", "5", "-c", c)
    assert code == 0, out
    link = re.search(r"(http://\S+/c/\S+)", out)
    assert link and "5 votes" in out
    code, out = _run("campaign", "revoke", link.group(1), "-c", c)
    assert code == 0 and "revoked" in out, out
    code, out = _run("campaign", "status", "bakery", "-c", c)
    assert code == 0, out
    assert "0 votes" in out and "not enough votes yet" in out
    code, out = _run("campaign", "status", "-c", c)
    assert code == 0 and "bakery: 0 votes" in out, out


def test_mistakes_are_one_line(config: Path, tmp_path: Path) -> None:
    c = str(config)
    prompts = tmp_path / "p.csv"
    prompts.write_text("prompt\nHello there\n", "utf-8")
    cases = [
        (("campaign", "status", "nope", "-c", c), "no campaign named 'nope'"),
        (
            ("campaign", "create", "x", "--prompts", str(tmp_path / "missing.csv"),
             "--models", "deepseek-v3,gpt-4o", "--target-votes", "5", "-c", c),
            "no such file",
        ),
        (
            ("campaign", "create", "x", "--prompts", str(prompts),
             "--models", "deepseek-v3,nope", "--target-votes", "5", "-c", c),
            "unknown model 'nope'",
        ),
        (
            ("campaign", "create", "x", "--prompts", str(prompts),
             "--models", "deepseek-v3,gpt-4o", "-c", c),
            "give one target",
        ),
        (("campaign", "revoke", "abc.def", "-c", c), "not valid"),
    ]  # fmt: skip
    for args, message in cases:
        code, out = _run(*args)
        assert code == 1, out
        assert message in out and "Traceback" not in out, out
