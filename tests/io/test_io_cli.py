"""``arena import`` and ``arena export`` end to end, through the real command functions."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner
from vote_log_files import WRITERS, battle_33k, count_votes, write_jsonl

from modelarena.cli import io_cmd
from modelarena.store import Store

runner = CliRunner()


def arena_app() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def _root() -> None:
        """Only the io commands, so these tests do not depend on the other modules."""

    io_cmd.register(app)
    return app


@pytest.fixture(autouse=True)
def _no_user_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ARENA_CONFIG", raising=False)
    monkeypatch.delenv("ARENA_DATABASE_URL", raising=False)
    monkeypatch.chdir(tmp_path)


def arena(*args: str) -> tuple[int, str]:
    result = runner.invoke(arena_app(), list(args))
    # rich wraps long lines (a long error message) at the terminal width
    return result.exit_code, " ".join(result.output.split())


ROWS = [
    battle_33k(0, "gpt-4-0613", "mystery-7b", "model_a"),
    battle_33k(1, "gpt-4-0613", "mystery-7b", "tie", anony=False),
    battle_33k(2, "vicuna-13b", "mystery-7b", "model_b"),
]


def test_import_prints_a_summary(tmp_path: Path) -> None:
    db = "sqlite:///" + str(tmp_path / "a.db")
    code, out = arena("import", str(write_jsonl(tmp_path / "l.jsonl", ROWS)), "--db", db)
    assert code == 0, out
    assert "imported 3 of 3 rows" in out
    assert "counted: 2" in out and "not counted" in out and ": 1" in out
    assert "mystery-7b: 3 battles" in out
    assert "\x1b[" not in out  # no progress-bar escape codes outside a terminal
    store = Store.open(db)
    assert count_votes(store) == 3
    store.close()


def test_dry_run(tmp_path: Path) -> None:
    db = "sqlite:///" + str(tmp_path / "a.db")
    code, out = arena(
        "import", str(write_jsonl(tmp_path / "l.jsonl", ROWS)), "--db", db, "--dry-run"
    )
    assert code == 0, out
    assert "would import 3 of 3 rows" in out and "nothing was written" in out
    store = Store.open(db)
    assert count_votes(store) == 0
    store.close()


def test_a_bad_file_is_one_error_line(tmp_path: Path) -> None:
    db = "sqlite:///" + str(tmp_path / "a.db")
    bad = write_jsonl(tmp_path / "l.jsonl", [ROWS[0], ROWS[1] | {"winner": 3.5}])
    code, out = arena("import", str(bad), "--db", db)
    assert code == 1
    assert "error:" in out and "line 2: winner must be text" in out
    assert "nothing was imported" in out and "Traceback" not in out
    store = Store.open(db)
    assert count_votes(store) == 0
    store.close()


def test_unknown_format_option(tmp_path: Path) -> None:
    path = str(write_jsonl(tmp_path / "l.jsonl", ROWS))
    code, out = arena(
        "import", path, "--format", "xml", "--db", "sqlite:///" + str(tmp_path / "a.db")
    )
    assert code == 1 and "unknown format 'xml'" in out


def test_missing_file(tmp_path: Path) -> None:
    code, out = arena("import", "nope.csv", "--db", "sqlite:///" + str(tmp_path / "a.db"))
    assert code == 1 and "nope.csv: no such file" in out


def test_config_catalog_overrides_map_names(tmp_path: Path) -> None:
    config = tmp_path / "arena.toml"
    config.write_text(
        '[[catalog]]\nid = "mystery-7b-v2"\ndisplay_name = "Mystery 7B"\nlab = "Mystery"\n'
        'country = "FR"\nopen_weights = true\nlicense = "Apache-2.0"\n'
        'license_class = "permissive"\naliases = ["mystery-7b"]\n'
    )
    db = "sqlite:///" + str(tmp_path / "a.db")
    code, out = arena(
        "import", str(write_jsonl(tmp_path / "l.jsonl", ROWS)), "--db", db, "--config", str(config)
    )
    assert code == 0, out
    assert "every model name is in the catalog" in out
    store = Store.open(db)
    assert "mystery-7b-v2" in store.vote_arrays().models
    store.close()


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_export_then_import(fmt: str, tmp_path: Path) -> None:
    db = "sqlite:///" + str(tmp_path / "a.db")
    assert arena("import", str(WRITERS["json"](tmp_path / "l.json", ROWS)), "--db", db)[0] == 0
    out_file = tmp_path / f"votes.{fmt}"
    code, out = arena("export", str(out_file), "--db", db, "--counted-only")
    assert code == 0, out
    assert f"exported 2 votes to {out_file}" in out
    fresh = "sqlite:///" + str(tmp_path / "b.db")
    code, out = arena("import", str(out_file), "--db", fresh)
    assert code == 0 and "imported 2 of 2 rows" in out, out


def test_export_to_a_bad_place(tmp_path: Path) -> None:
    code, out = arena(
        "export", str(tmp_path / "no" / "dir.csv"), "--db", "sqlite:///" + str(tmp_path / "a.db")
    )
    assert code == 1 and "no such directory" in out


def test_the_real_arena_command(tmp_path: Path) -> None:
    """Through ``python -m modelarena``: the commands are registered on the real app."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARENA_")}
    db = "sqlite:///" + str(tmp_path / "a.db")
    log = str(write_jsonl(tmp_path / "l.jsonl", ROWS))
    done = subprocess.run(
        [sys.executable, "-m", "modelarena", "import", log, "--db", db],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "imported 3 of 3 rows" in done.stdout
    assert done.stderr == ""  # no progress bar drawn into a pipe
    done = subprocess.run(
        [sys.executable, "-m", "modelarena", "export", str(tmp_path / "v.csv"), "--db", db],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "v.csv").read_text().startswith("id,model_a,model_b,winner,")


def test_importing_twice_through_the_command_adds_nothing(tmp_path: Path) -> None:
    db = "sqlite:///" + str(tmp_path / "a.db")
    log = str(write_jsonl(tmp_path / "l.jsonl", ROWS))
    assert arena("import", log, "--db", db)[0] == 0
    code, out = arena("import", log, "--db", db)
    assert code == 0, out
    assert "imported 0 of 3 rows" in out
    assert "skipped, already in the database from an earlier import: 3" in out
    store = Store.open(db)
    assert count_votes(store) == 3
    store.close()


def test_conflicts_refused_or_skipped_as_asked(tmp_path: Path) -> None:
    db = "sqlite:///" + str(tmp_path / "a.db")
    log = str(write_jsonl(tmp_path / "l.jsonl", [*ROWS, ROWS[0] | {"winner": "model_b"}]))
    code, out = arena("import", log, "--db", db)
    assert code == 1 and "Traceback" not in out
    assert "id 'q0': line 1 says model_a, line 4 says model_b" in out
    assert "nothing was imported" in out
    code, out = arena("import", log, "--db", db, "--on-conflict", "skip")
    assert code == 0, out
    assert "imported 3 of 4 rows" in out
    assert "id 'q0': line 1 says model_a, line 4 says model_b" in out
    code, out = arena("import", log, "--db", db, "--on-conflict", "merge")
    assert code == 1 and "unknown conflict policy 'merge'" in out


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("l.csv", b"model_a,model_b,winner\nko\xe9la,vicuna,model_a\n", "line 2: not UTF-8 text"),
        ("l.jsonl", b'{"model_a": "a\\udc00", "model_b": "b", "winner": "tie"}\n', "line 1"),
    ],
)
def test_bad_text_is_an_error_line_not_a_traceback(
    name: str, content: bytes, message: str, tmp_path: Path
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    code, out = arena("import", str(path), "--db", "sqlite:///" + str(tmp_path / "a.db"))
    assert code == 1 and "Traceback" not in out
    assert message in out and "nothing was imported" in out
