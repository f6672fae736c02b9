"""The ``arena`` command itself: its version."""

from __future__ import annotations

from importlib.metadata import version

from typer.testing import CliRunner

from modelarena.cli.main import app


def test_version_prints_the_installed_version() -> None:
    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.stdout.strip() == f"modelarena {version('modelarena')}"
