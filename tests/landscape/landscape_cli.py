"""What the tests of the ``arena landscape`` commands share: a database file, votes between two
models, importing a published board, and a command whose JSON output is read back."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner, Result

from modelarena.battles.records import Verdict
from modelarena.cli.main import app
from modelarena.store import ImportedBattle

DATA = Path(__file__).parent / "data"
runner = CliRunner()


def db_url(tmp_path: Path) -> str:
    """A SQLite database in the test's own folder."""
    return f"sqlite:///{tmp_path / 'arena.db'}"


def import_args(path: Path, name: str, day: str, db: str) -> list[str]:
    """``arena landscape import PATH --name NAME --date DAY --db DB``."""
    return ["landscape", "import", str(path), "--name", name, "--date", day, "--db", db]


def import_board(
    db: str, name: str, day: str, path: Path = DATA / "published_board.json"
) -> Result:
    """Import a board file (the hand-written published board by default); it must succeed."""
    r = runner.invoke(app, import_args(path, name, day, db))
    assert r.exit_code == 0, r.output
    return r


def invoke_json(*args: str) -> Any:
    """Run ``arena ARGS... --format json``; it must succeed; its output, parsed."""
    r = runner.invoke(app, [*args, "--format", "json"])
    assert r.exit_code == 0, r.output
    return json.loads(r.output)


def duel(a: str, b: str, a_wins: int, n: int, tag: str, **extra: Any) -> list[ImportedBattle]:
    """``n`` imported votes of ``a`` against ``b``, the first ``a_wins`` won by ``a``
    (external ids ``tag0``, ``tag1``, ...; ``extra`` fields go to every vote)."""
    return [
        ImportedBattle(
            a, b, Verdict.A if i < a_wins else Verdict.B, external_id=f"{tag}{i}", **extra
        )
        for i in range(n)
    ]
