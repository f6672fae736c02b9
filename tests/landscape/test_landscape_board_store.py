"""Published boards as dated snapshots in the store, the migration that creates their tables,
and the ``arena landscape import | snapshots | board | agree`` commands."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import sqlalchemy as sa

from landscape.landscape_cli import (
    DATA,
    db_url,
    duel,
    import_args,
    import_board,
    invoke_json,
    runner,
)
from modelarena.cli.main import app
from modelarena.landscape.snapshots import read_board_file
from modelarena.store import Store, migrate
from modelarena.store.landscape_snapshots import SnapshotRow


def test_a_snapshot_is_stored_replaced_and_read_back(sqlite_url: str) -> None:
    store = Store.open(sqlite_url)
    rows = [SnapshotRow("a", 1300, 1290, 1310, 50, "Lab", "MIT", True), SnapshotRow("b", 1310)]
    assert store.landscape.save("lm", date(2025, 1, 1), "full", rows, source_file="f") == 2
    store.landscape.save("lm", date(2025, 2, 1), "full", rows[:1])
    info, got = store.landscape.rows("lm", None, "full") or (None, [])
    assert info is not None and info.snapshot_date == date(2025, 2, 1)  # the newest
    assert [r.model for r in got] == ["a"]
    info, got = store.landscape.rows("lm", date(2025, 1, 1), "full") or (None, [])
    assert [r.model for r in got] == ["b", "a"]  # best rating first
    assert got[1] == rows[0]
    # importing the same name, date and category again replaces it
    store.landscape.save("lm", date(2025, 1, 1), "full", [SnapshotRow("c", 1200)])
    assert [r.model for r in store.landscape.rows("lm", date(2025, 1, 1), "full")[1]] == ["c"]  # type: ignore[index]
    assert store.landscape.rows("lm", date(2025, 3, 1), "full") is None
    assert [(s.label, s.models) for s in store.landscape.snapshots()] == [
        ("lm@2025-02-01", 1),
        ("lm@2025-01-01", 1),
    ]


def test_the_migration_creates_the_tables_on_a_database_from_before(sqlite_url: str) -> None:
    store = Store.open(sqlite_url)
    migrate.downgrade(store.engine, "0005")
    assert "landscape_snapshots" not in sa.inspect(store.engine).get_table_names()
    migrate.upgrade(store.engine)
    assert {"landscape_snapshots", "landscape_rows"} <= set(
        sa.inspect(store.engine).get_table_names()
    )
    store.landscape.save("lm", date(2025, 1, 1), "full", [SnapshotRow("a", 1)])
    assert store.landscape.snapshots()[0].models == 1


def test_import_then_board_as_json(tmp_path: Path) -> None:
    db = db_url(tmp_path)
    r = import_board(db, "lmarena", "2025-11-20")
    assert "lmarena@2025-11-20 (full): 13 models, 12 resolved" in r.output
    board = invoke_json("landscape", "board", "--db", db)
    for key in (
        "open_models",
        "best_open",
        "above_best",
        "above_best_labs",
        "above_best_separated",
        "share_top10",
        "share_top20",
    ):
        assert key in board
    assert board["above_best"] == 5 and board["above_best_separated"] == 2
    assert set(board["best_open"]["US"]) >= {
        "model",
        "rank",
        "rank_lower",
        "rank_upper",
        "rank_overall",
    }
    r = runner.invoke(
        app,
        [
            "landscape",
            "board",
            "--db",
            db,
            "--snapshot",
            "lmarena@2025-11-20",
            "--category",
            "coding",
            "--format",
            "csv",
        ],
    )
    assert r.exit_code == 0, r.output
    assert r.output.splitlines()[1].startswith("1,1,")  # gpt-oss-120b leads the open coding
    assert "gpt-oss-120b" in r.output.splitlines()[1]
    agree = invoke_json(
        "landscape", "agree", "lmarena", "lmarena@2025-11-20", "--db", db, "--resamples", "100"
    )
    assert agree["spearman"] == 1.0
    # the CSV has a votes column: minimax-m2 (2,000 votes) and mystery (2,500) drop out
    import_board(db, "csv", "2025-11-21", DATA / "published_board.csv")
    board = invoke_json(
        "landscape", "board", "--db", db, "--snapshot", "csv", "--min-votes", "3000"
    )
    kept = [m["model"] for m in board["open_models"]]
    assert len(kept) == 9 and "minimax-m2" not in kept and "mystery-model-x" not in kept
    r = runner.invoke(app, ["landscape", "board", "--db", db, "--category", "hard"])
    assert r.exit_code == 1 and "(coding)" in r.output and "(full)" in r.output
    r = runner.invoke(app, ["landscape", "snapshots", "--db", db])
    assert "lmarena@" in r.output and "coding" in r.output


def test_mistakes_are_one_line_errors(tmp_path: Path) -> None:
    db = db_url(tmp_path)
    cases = [
        (["landscape", "board", "--db", db], "no published board stored"),
        (["landscape", "board", "--db", db, "--snapshot", "lm@yesterday"], "YYYY-MM-DD"),
        (["landscape", "board", "--db", db, "--snapshot", "nope"], "no snapshot 'nope'"),
        (["landscape", "board", "--db", db, "--countries", "China"], "two ISO codes"),
        (["landscape", "board", "--db", db, "--by", "uploader"], "developer or lineage"),
        (["landscape", "board", "--db", db, "--format", "xml"], "unknown format"),
        (import_args(tmp_path / "x.json", "a", "2025-01-01", db), "no such file"),
        (import_args(DATA / "published_board.json", "a", "soon", db), "is not a date"),
        (["landscape", "board", "--db", db, "--arena"], "empty"),
    ]
    for args, words in cases:
        r = runner.invoke(app, args)
        assert r.exit_code == 1, (args, r.output)
        assert words in r.output, (args, r.output)
        assert "Traceback" not in r.output


def test_the_arenas_own_board_by_judge_or_human_votes(tmp_path: Path) -> None:
    db = db_url(tmp_path)
    store = Store.open(db)
    # kimi-k2 (CN, open) beats gpt-oss-120b (US, open) 30-10, gpt-5 beats both
    store.import_battles(
        duel("kimi-k2", "gpt-oss-120b", 30, 40, "k")
        + duel("gpt-5", "kimi-k2", 28, 40, "g")
        + duel("gpt-5", "gpt-oss-120b", 32, 40, "o")
    )
    board = invoke_json("landscape", "board", "--arena", "--db", db)
    assert [m["model"] for m in board["open_models"]] == ["kimi-k2", "gpt-oss-120b"]
    assert board["best_open"]["CN"]["rank_overall"] == 2
    assert board["above_best"] == 1
    assert board["source"].startswith("arena (source=human")
    r = runner.invoke(app, ["landscape", "board", "--arena", "--db", db, "--source", "judge"])
    assert r.exit_code == 1 and "empty" in r.output  # no judge votes
    r = runner.invoke(
        app, ["landscape", "board", "--arena", "--db", db, "--arena-category", "nonsense"]
    )
    assert r.exit_code == 1 and "unknown category" in r.output


def test_a_board_over_time(tmp_path: Path) -> None:
    db = db_url(tmp_path)
    store = Store.open(db)
    rows = read_board_file(DATA / "published_board.json")["full"]
    store.landscape.save("lm", date(2025, 11, 20), "full", rows)
    # an older board where gpt-oss-120b led the open models: nothing from CN above it
    older = [r for r in rows if r.model != "gpt-oss-120b"]
    older.append(SnapshotRow("gpt-oss-120b", 1500, 1490, 1510))
    store.landscape.save("lm", date(2025, 8, 1), "full", older)
    store.landscape.save("lm", date(2025, 1, 1), "full", [SnapshotRow("gpt-5", 1400)])
    data = invoke_json("landscape", "board", "--snapshot", "lm", "--history", "--db", db)
    assert [b["date"] for b in data["boards"]] == ["2025-08-01", "2025-11-20"]
    assert [b["above_best"] for b in data["boards"]] == [0, 5]
    r = runner.invoke(
        app, ["landscape", "board", "--snapshot", "lm", "--history", "--db", db, "--format", "csv"]
    )
    lines = r.output.splitlines()
    assert lines[0].startswith("date,open_models,best_CN,best_CN_rank,best_US,best_US_rank")
    assert lines[0].endswith(",note")  # 2025-01-01 has no open model: its row says so
    assert lines[1].startswith("2025-01-01,") and "no open-weight model" in lines[1]
    assert lines[3].startswith("2025-11-20,11,kimi-k2-thinking-turbo,1,gpt-oss-120b,6,5,4,2,6,2")
    r = runner.invoke(
        app, ["landscape", "board", "--snapshot", "lm@2025-08-01", "--history", "--db", db]
    )
    assert r.exit_code == 1 and "--history needs --snapshot NAME" in r.output
