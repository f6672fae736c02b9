"""The fast path of ``arena import`` (a JSON Lines log read a column at a time) stores what
the row-by-row importer stores, and leaves every file it does not take to it."""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from modelarena.catalog import Catalog
from modelarena.io import VoteLogError, columnar, import_file
from modelarena.store import Store
from modelarena.store.schema import answers, battles, pair_counts, votes

pytest.importorskip("pyarrow")

NAMES = ["gpt-4-0613", "claude-2.1", "vicuna-13b", "mystery-model-7b", "llama-2-70b-chat"]
WINNERS = ["model_a", "model_b", "tie", "tie (bothbad)", "tievote"]


def published(n: int, seed: int = 1) -> list[dict[str, Any]]:
    """Rows shaped like the published logs: some not anonymous, some without a judge."""
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        a, b = rng.sample(NAMES, 2)
        row: dict[str, Any] = {
            "question_id": f"q{i:05d}",
            "model_a": a,
            "model_b": b,
            "winner": rng.choice(WINNERS),
            "judge": rng.choice([f"user_{rng.randrange(9)}", None]),
            "turn": 1,
            "anony": rng.random() > 0.2,
            "language": "English",
            "tstamp": 1_682_351_591.0 + i * 9.3 + rng.random(),
        }
        rows.append(row)
    rows[3]["tstamp"] = 1_700_000_000  # an integer time
    rows[4]["tstamp"] = 1_700_000_000.0000005  # rounds half to even, as datetime does
    return rows


def write(path: Path, rows: list[dict[str, Any]], end: str = "\n") -> Path:
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + end, "utf-8")
    return path


def contents(store: Store) -> dict[str, list[tuple[Any, ...]]]:
    """Every row written; votes in the order of their ids, without them (a PostgreSQL
    sequence goes on after the table is emptied)."""
    vote_columns = [c for c in votes.c if c.name != "id"]
    with store.engine.connect() as conn:
        found = {
            t.name: sorted(tuple(r) for r in conn.execute(select(t)))
            for t in (battles, answers, pair_counts)
        }
        found["votes"] = [
            tuple(r) for r in conn.execute(select(*vote_columns).order_by(votes.c.id))
        ]
    return found


def row_by_row(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(columnar, "read", lambda path, label: None)


def test_a_published_log_takes_the_fast_path(tmp_path: Path) -> None:
    cols = columnar.read(write(tmp_path / "log.jsonl", published(50)), "import")
    assert cols is not None and cols.rows == 50
    # no newline after the last row: the same
    assert columnar.read(write(tmp_path / "end.jsonl", published(50), end=""), "import") is not None


def test_both_paths_store_the_same_rows(
    db_url: str, tmp_path: Path, catalog: Catalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path / "log.jsonl", published(300))
    store = Store.open(db_url)
    try:
        fast = import_file(path, catalog=catalog, store=store)
        stored = contents(store)
        again = import_file(path, catalog=catalog, store=store)
        assert contents(store) == stored
        assert (again.imported, again.skipped["already_imported"]) == (0, 300)
    finally:
        store.close()
    row_by_row(monkeypatch)
    store = Store.open(_fresh(db_url, tmp_path))
    try:
        slow = import_file(path, catalog=catalog, store=store)
        assert contents(store) == stored
    finally:
        store.close()
    assert (fast.imported, fast.counted, fast.not_counted) == (
        slow.imported,
        slow.counted,
        slow.not_counted,
    )
    assert (fast.resolved_models, fast.unknown_models) == (
        slow.resolved_models,
        slow.unknown_models,
    )
    assert fast.imported == 300 and 0 < fast.not_counted < 300


def _fresh(db_url: str, tmp_path: Path) -> str:
    if db_url.startswith("sqlite"):
        return "sqlite:///" + str(tmp_path / "row_by_row.db")
    from modelarena.store.schema import metadata

    store = Store.open(db_url)
    with store.engine.begin() as conn:
        for table in reversed(metadata.sorted_tables):
            conn.execute(table.delete())
    store.close()
    return db_url


def test_a_file_imported_again_adds_nothing_whatever_its_size(
    tmp_path: Path, store: Store, catalog: Catalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(columnar, "STORED_BATCH", 7)  # rows are looked up 7 at a time
    rows = published(30)
    import_file(write(tmp_path / "a.jsonl", rows[:20]), catalog=catalog, store=store)
    report = import_file(write(tmp_path / "b.jsonl", rows), catalog=catalog, store=store)
    assert (report.imported, report.skipped["already_imported"]) == (10, 20)
    assert len(contents(store)["votes"]) == 30


def test_a_changed_verdict_on_the_fast_path_names_its_line(
    tmp_path: Path, store: Store, catalog: Catalog
) -> None:
    rows = published(20)
    import_file(write(tmp_path / "a.jsonl", rows), catalog=catalog, store=store)
    rows[6]["winner"] = "model_b" if rows[6]["winner"] != "model_b" else "model_a"
    changed = write(tmp_path / "b.jsonl", rows)
    assert columnar.read(changed, "import") is not None
    with pytest.raises(VoteLogError, match=r"id 'q00006': line 7 says"):
        import_file(changed, catalog=catalog, store=store)
    report = import_file(changed, catalog=catalog, store=store, on_conflict="skip")
    assert (report.imported, report.skipped["conflict"]) == (0, 1)


@pytest.mark.parametrize(
    "change",
    [
        lambda rows: rows.append(dict(rows[0])),  # an id repeated
        lambda rows: rows[2].update(winner="left"),  # a verdict the parser refuses
        lambda rows: rows[2].update(model_a="vicuna-13b ", model_b="gpt-4-0613"),  # to strip
        lambda rows: rows[2].update(model_a="gpt-4-0613\x1f", model_b="vicuna-13b"),
        lambda rows: rows[2].update(judge=""),
        lambda rows: rows[2].update(judge=7),  # a number
        lambda rows: rows[2].update(model_b=rows[2]["model_a"]),
        lambda rows: rows[2].update(model_a="x" * 129),
        lambda rows: rows[2].update(model_a="a\x00b"),
        lambda rows: rows[2].update(tstamp=None),
        lambda rows: rows[2].update(tstamp=-1.0),
        lambda rows: rows[2].update(tstamp=1e300),
        lambda rows: rows[2].update(anony="yes"),
        lambda rows: rows[2].update(category="coding"),  # a column the fast path does not read
        lambda rows: rows[2].update(voter="someone"),
        lambda rows: rows[2].update(model_a="\ud83d\ude00"),  # escaped as a surrogate pair
        lambda rows: rows[2].pop("question_id"),
    ],
)
def test_other_files_go_the_row_by_row_way(
    change: Any, tmp_path: Path, store: Store, catalog: Catalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = published(10)
    change(rows)
    path = tmp_path / "log.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", "utf-8")
    assert columnar.read(path, "import") is None


def test_blank_lines_and_bad_bytes_go_the_row_by_row_way(tmp_path: Path) -> None:
    text = write(tmp_path / "a.jsonl", published(5)).read_bytes()
    blank = tmp_path / "blank.jsonl"
    blank.write_bytes(text.replace(b"\n", b"\n\n", 1))
    assert columnar.read(blank, "import") is None
    bad = tmp_path / "bad.jsonl"
    bad.write_bytes(text.replace(b"user_", b"user_\xff", 1))
    assert columnar.read(bad, "import") is None
    broken = tmp_path / "broken.jsonl"
    broken.write_bytes(text + b'{"model_a": \n')
    assert columnar.read(broken, "import") is None


def test_a_bad_row_refuses_the_file_and_names_its_line(
    tmp_path: Path, store: Store, catalog: Catalog
) -> None:
    rows = published(10)
    rows[7]["winner"] = "left"
    with pytest.raises(VoteLogError, match=r"line 8: unknown winner value 'left'"):
        import_file(write(tmp_path / "log.jsonl", rows), catalog=catalog, store=store)
    assert contents(store)["votes"] == []


def test_a_dry_run_on_the_fast_path_writes_nothing(
    tmp_path: Path, store: Store, catalog: Catalog
) -> None:
    report = import_file(
        write(tmp_path / "log.jsonl", published(30)), catalog=catalog, store=store, dry_run=True
    )
    assert report.imported == 30
    assert contents(store)["votes"] == []


def test_the_whitespace_python_strips_is_the_one_the_fast_path_checks() -> None:
    python = "".join(c for c in map(chr, range(sys.maxunicode + 1)) if c.isspace())
    assert python == columnar.SPACE


def test_progress_is_reported_as_rows_are_written(
    tmp_path: Path, store: Store, catalog: Catalog
) -> None:
    phases: list[tuple[str, int | None]] = []
    steps: list[int] = []
    import_file(
        write(tmp_path / "log.jsonl", published(40)),
        catalog=catalog,
        store=store,
        on_start=lambda phase, total: phases.append((phase, total)),
        on_advance=steps.append,
    )
    assert phases == [("reading", None), ("importing", 40)]
    assert sum(steps) == 40


def test_foreign_keys_are_checked_again_after_an_import(
    tmp_path: Path, store: Store, catalog: Catalog
) -> None:
    rows = published(30)
    rows[5]["winner"] = "left"  # one import that fails, one that is stored
    for good in (False, True):
        if good:
            rows[5]["winner"] = "tie"
        try:
            import_file(write(tmp_path / "log.jsonl", rows), catalog=catalog, store=store)
        except VoteLogError:
            assert not good
        for _ in range(3):  # every pooled connection
            with store.engine.connect() as conn:
                assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
                assert conn.exec_driver_sql("PRAGMA foreign_key_check").all() == []
    assert len(contents(store)["votes"]) == 30


def test_a_column_first_met_after_the_first_block_goes_the_row_by_row_way(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(columnar, "READ_BLOCK", 4096)  # a few rows a block
    rows = published(200)
    for row in rows[:100]:
        del row["judge"]
    for row in rows[150:]:
        row["category"] = "coding"  # the fast path does not read it: it must not miss it
    assert columnar.read(write(tmp_path / "late.jsonl", rows), "import") is None
    for row in rows:
        row.pop("category", None)
    assert columnar.read(write(tmp_path / "judge.jsonl", rows), "import") is None


def test_times_are_written_as_the_row_by_row_way_writes_them(tmp_path: Path) -> None:
    """The fast path's text for a Unix time is the one SQLAlchemy's DateTime writes for
    ``datetime.fromtimestamp(t, UTC)``: whole seconds, microsecond ties, far dates."""
    from datetime import UTC, datetime

    import numpy as np

    from modelarena.store.bulk import ImportWriter
    from modelarena.store.bulk_sql import time_processor

    store = Store.open(f"sqlite:///{tmp_path / 'times.db'}")
    seconds = [0.0, 1.5, 1_682_351_591.0, 1_682_351_591.1234565, 1_682_351_591.999_999_6,
               4_102_444_800.25, 951_782_400.000_001, -86_400.5]  # fmt: skip
    with store.engine.connect() as conn:
        writer = ImportWriter(conn, "test", write=False)
        fast = writer.unix_times(np.array(seconds))
        slow = [time_processor(conn)(datetime.fromtimestamp(t, UTC)) for t in seconds]
    assert fast == slow
