"""What every command shares: messages are plain text, so install hints keep their extras."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from modelarena.cli.main import app
from modelarena.store import StoreError

runner = CliRunner()


def test_an_install_hint_keeps_its_extra(tmp_path: Path, sqlite_url: str) -> None:
    cfg = tmp_path / "arena.toml"
    cfg.write_text("include_bundled = false\n")
    result = runner.invoke(app, ["judge", "run", "--config", str(cfg), "--db", sqlite_url])
    assert result.exit_code == 1
    assert "pip install 'modelarena[local]'" in result.stderr


def test_an_error_from_below_keeps_its_brackets(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str
) -> None:
    from modelarena.cli import common

    def no_driver(config: str | None, db: str | None = None) -> None:
        raise StoreError("PostgreSQL needs a driver: pip install 'modelarena[postgres]'")

    monkeypatch.setattr(common, "load_arena", no_driver)
    monkeypatch.setattr("modelarena.cli.models_cmd.load_arena", no_driver)
    result = runner.invoke(app, ["models", "--db", sqlite_url])
    assert result.exit_code == 1
    assert "pip install 'modelarena[postgres]'" in result.stderr
