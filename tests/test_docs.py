"""Docs keep up with the code: a setting or command nobody documented fails the build."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer.main

from modelarena.cli.main import app
from modelarena.config import ModelConfig, Settings

DOCS = Path(__file__).resolve().parent.parent / "docs"


def _commands(group: Any, prefix: str = "arena") -> list[str]:
    out = []
    for name, cmd in group.commands.items():
        path = f"{prefix} {name}"
        if hasattr(cmd, "commands"):  # a group (typer vendors its own click)
            out.extend(_commands(cmd, path))
        else:
            out.append(path)
    return out


def test_every_setting_is_documented() -> None:
    text = (DOCS / "config.md").read_text()
    missing = [
        f for f in [*Settings.model_fields, *ModelConfig.model_fields] if f"`{f}`" not in text
    ]
    assert missing == []


def test_every_env_var_is_documented() -> None:
    from modelarena.config import _ENV_FIELDS

    text = (DOCS / "config.md").read_text()
    assert [f for f in _ENV_FIELDS if f"ARENA_{f.upper()}" not in text] == []


def test_every_command_is_documented() -> None:
    text = (DOCS / "cli.md").read_text()
    group = typer.main.get_command(app)
    commands = _commands(group)
    assert len(commands) >= 6
    assert [c for c in commands if f"`{c}" not in text] == []


def test_readme_links_resolve() -> None:
    readme = (DOCS.parent / "README.md").read_text()
    import re

    for target in re.findall(r"\]\(((?:docs/)[^)#]+)\)", readme):
        assert (DOCS.parent / target).exists(), target
