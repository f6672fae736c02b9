"""Importing is idempotent: a row is known by its id, a second import adds nothing, and an id
that comes back with another verdict is refused (or skipped, when asked)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import func, insert, inspect, select
from vote_log_files import WRITERS, battle_33k, count_battles, count_votes, write_csv, write_jsonl

from modelarena.battles.records import Verdict
from modelarena.catalog import Catalog
from modelarena.io import VoteLogError, import_file
from modelarena.store import ImportedBattle, Store, migrate
from modelarena.store.bulk import import_battle_id
from modelarena.store.rows import new_battle_id
from modelarena.store.schema import answers, battles, import_sources, votes

ROWS = [
    battle_33k(0, "gpt-4-0613", "mystery-7b", "model_a"),
    battle_33k(1, "vicuna-13b", "mystery-7b", "tie"),
    battle_33k(2, "gpt-4-0613", "vicuna-13b", "model_b", anony=False),
]


def cells(store: Store) -> list[tuple[str, str, float, float, float]]:
    c = store.pair_cells()
    return sorted(
        (c.models[a], c.models[b], wa, wb, t)
        for a, b, wa, wb, t in zip(c.a, c.b, c.wins_a, c.wins_b, c.ties, strict=True)
    )


@pytest.mark.parametrize("fmt", ["json", "jsonl", "csv", "parquet"])
def test_importing_the_same_file_twice_adds_nothing(
    fmt: str, tmp_path: Path, store: Store, catalog: Catalog
) -> None:
    path = WRITERS[fmt](tmp_path / f"log.{fmt}", ROWS)
    first = import_file(path, catalog=catalog, store=store)
    before = (count_votes(store), count_battles(store), cells(store))
    second = import_file(path, catalog=catalog, store=store)
    assert (first.imported, second.imported) == (3, 0)
    assert second.skipped["already_imported"] == 3
    assert (count_votes(store), count_battles(store), cells(store)) == before == (3, 3, before[2])


def test_idempotent_on_sqlite_and_postgresql(db_url: str, tmp_path: Path, catalog: Catalog) -> None:
    store = Store.open(db_url)
    try:
        path = write_jsonl(tmp_path / "log.jsonl", ROWS)
        import_file(path, catalog=catalog, store=store)
        import_file(path, catalog=catalog, store=store)
        assert count_votes(store) == 3
        assert cells(store) == [
            ("gpt-4", "mystery-7b", 1.0, 0.0, 0.0),
            ("vicuna-13b", "mystery-7b", 0.0, 0.0, 1.0),
        ]
        # one more row in the file: only that one is added
        more = write_jsonl(tmp_path / "more.jsonl", [*ROWS, battle_33k(3, "a-1", "b-2", "tie")])
        assert import_file(more, catalog=catalog, store=store).imported == 1
        assert count_votes(store) == 4
    finally:
        store.close()


def test_model_pages_list_each_battle_once(tmp_path: Path, store: Store, catalog: Catalog) -> None:
    path = write_jsonl(tmp_path / "log.jsonl", ROWS)
    for _ in range(2):
        import_file(path, catalog=catalog, store=store)
    listed = [b.id for b in store.recent_battles(model="mystery-7b", limit=20)]
    assert len(listed) == len(set(listed)) == 2


def test_a_row_repeated_in_the_file_is_one_vote(
    tmp_path: Path, store: Store, catalog: Catalog
) -> None:
    path = write_jsonl(tmp_path / "log.jsonl", [ROWS[0], ROWS[1], ROWS[0]])
    report = import_file(path, catalog=catalog, store=store)
    assert (report.rows, report.imported, report.skipped["duplicate"]) == (3, 2, 1)
    assert count_votes(store) == 2


CONFLICTING = [ROWS[0], ROWS[1], ROWS[0] | {"winner": "model_b"}, ROWS[2]]


def test_an_id_with_two_verdicts_is_refused_with_its_lines(
    tmp_path: Path, store: Store, catalog: Catalog
) -> None:
    path = write_jsonl(tmp_path / "log.jsonl", CONFLICTING)
    with pytest.raises(VoteLogError) as info:
        import_file(path, catalog=catalog, store=store)
    message = str(info.value)
    assert message.startswith(f"{path}: 1 row repeat")
    assert "id 'q0': line 1 says model_a, line 3 says model_b" in message
    assert "--on-conflict skip" in message
    assert count_votes(store) == 0 and count_battles(store) == 0


def test_conflicting_rows_are_skipped_and_reported_when_asked(
    tmp_path: Path, store: Store, catalog: Catalog
) -> None:
    path = write_csv(tmp_path / "log.csv", CONFLICTING)
    report = import_file(path, catalog=catalog, store=store, on_conflict="skip")
    assert (report.imported, report.skipped["conflict"]) == (3, 1)
    assert report.conflicts == ["id 'q0': line 2 says model_a, line 4 says model_b"]
    assert cells(store)[0] == ("gpt-4", "mystery-7b", 1.0, 0.0, 0.0)  # the first verdict


def test_other_models_under_one_id_are_a_conflict(
    tmp_path: Path, store: Store, catalog: Catalog
) -> None:
    other = ROWS[0] | {"model_b": "vicuna-13b"}
    path = write_jsonl(tmp_path / "log.jsonl", [ROWS[0], other])
    with pytest.raises(VoteLogError, match="line 1 says gpt-4 vs mystery-7b, model_a, line 2"):
        import_file(path, catalog=catalog, store=store)


def test_a_verdict_changed_since_the_earlier_import_is_a_conflict(
    tmp_path: Path, store: Store, catalog: Catalog
) -> None:
    import_file(write_jsonl(tmp_path / "a.jsonl", ROWS), catalog=catalog, store=store)
    changed = write_jsonl(tmp_path / "b.jsonl", [ROWS[1] | {"winner": "model_a"}])
    with pytest.raises(VoteLogError, match="an earlier import stored tie"):
        import_file(changed, catalog=catalog, store=store)
    report = import_file(changed, catalog=catalog, store=store, on_conflict="skip")
    assert (report.imported, report.skipped["conflict"]) == (0, 1)
    assert count_votes(store) == 3


def test_unknown_conflict_policy(tmp_path: Path, store: Store, catalog: Catalog) -> None:
    path = write_jsonl(tmp_path / "log.jsonl", ROWS)
    with pytest.raises(VoteLogError, match="unknown conflict policy 'merge'"):
        import_file(path, catalog=catalog, store=store, on_conflict="merge")


def test_rows_without_an_id_get_a_stable_one(
    tmp_path: Path, store: Store, catalog: Catalog
) -> None:
    """Two identical rows are two votes, and stay two on the next import."""
    row = {"model_a": "gpt-4-0613", "model_b": "mystery-7b", "winner": "model_a"}
    path = write_csv(tmp_path / "votes.csv", [row, row, row | {"winner": "tie"}])
    assert import_file(path, catalog=catalog, store=store).imported == 3
    assert import_file(path, catalog=catalog, store=store).imported == 0
    assert cells(store) == [("gpt-4", "mystery-7b", 2.0, 0.0, 1.0)]
    with store.engine.connect() as conn:
        ids = conn.execute(select(battles.c.external_id)).scalars().all()
    assert len(set(ids)) == 3 and all(i.startswith("row-") for i in ids)


def test_an_export_with_judge_votes_imports_once(
    tmp_path: Path, store: Store, catalog: Catalog
) -> None:
    """Our own exports carry a human and a judge vote of one battle under one id."""
    rows = [
        {"id": "b1", "model_a": "x-1", "model_b": "y-2", "winner": "model_a", "source": "human"},
        {"id": "b1", "model_a": "x-1", "model_b": "y-2", "winner": "tie", "source": "judge:j"},
    ]
    path = write_jsonl(tmp_path / "export.jsonl", rows)
    assert import_file(path, catalog=catalog, store=store).imported == 2
    assert import_file(path, catalog=catalog, store=store).imported == 0
    assert (count_battles(store), count_votes(store)) == (1, 2)


def test_a_dry_run_reports_what_is_already_there(
    tmp_path: Path, store: Store, catalog: Catalog
) -> None:
    path = write_jsonl(tmp_path / "log.jsonl", ROWS)
    import_file(path, catalog=catalog, store=store)
    report = import_file(path, catalog=catalog, store=store, dry_run=True)
    assert (report.imported, report.skipped["already_imported"]) == (0, 3)


# ------------------------------------------------------------------ migration
def _legacy_import(store: Store, rows: list[ImportedBattle]) -> None:
    """What importing did before revision 0004: a new random battle for every row."""
    with store.engine.begin() as conn:
        for item in rows:
            battle_id = new_battle_id()
            created = item.created_at or datetime(2024, 1, 1)
            conn.execute(
                insert(battles).values(
                    id=battle_id, created_at=created, category=item.category,
                    model_a=item.model_a, model_b=item.model_b, status="complete",
                    anonymous=item.anonymous, source="import", external_id=item.external_id,
                )
            )  # fmt: skip
            conn.execute(
                insert(votes).values(
                    battle_id=battle_id, created_at=created, source=item.source,
                    verdict=item.verdict.value, counted=True, model_a=item.model_a,
                    model_b=item.model_b, category=item.category,
                )
            )  # fmt: skip


def test_upgrading_mends_a_database_that_imported_a_file_twice(
    db_url: str, catalog: Catalog, tmp_path: Path
) -> None:
    store = Store.open(db_url)
    try:
        migrate.downgrade(store.engine, "0003")
        assert "uq_battles_source_external_id" not in {
            i["name"] for i in inspect(store.engine).get_indexes("battles")
        }
        log = [
            ImportedBattle("gpt-4", "mystery-7b", Verdict.A, external_id="q0"),
            ImportedBattle("vicuna-13b", "mystery-7b", Verdict.TIE, external_id="q1"),
        ]
        judge = ImportedBattle("gpt-4", "mystery-7b", Verdict.B, external_id="q0")
        judge.source = "judge:j"
        _legacy_import(store, log)
        with store.engine.begin() as conn:  # an answer of the first copy of q0
            first = conn.execute(
                select(battles.c.id).where(battles.c.external_id == "q0")
            ).scalar_one()
            conn.execute(
                insert(answers).values(battle_id=first, turn=0, side="a", prompt="hi", content="yo")
            )
        _legacy_import(store, [*log, judge])  # the same file again, and a judge vote
        assert count_votes(store) == 5

        migrate.upgrade(store.engine)
        reopened = Store.open(db_url)
        assert cells(reopened) == [
            ("gpt-4", "mystery-7b", 1.0, 0.0, 0.0),
            ("vicuna-13b", "mystery-7b", 0.0, 0.0, 1.0),
        ]
        assert reopened.filtered_vote_summary() == {"counted": 3, "duplicate_import": 2}
        with store.engine.connect() as conn:
            q0 = conn.execute(
                select(votes.c.source, votes.c.counted)
                .join(battles, battles.c.id == votes.c.battle_id)
                .where(battles.c.external_id == "q0", battles.c.source == "import")
            ).all()
            copies = conn.execute(
                select(func.count()).where(battles.c.source == "import:duplicate:1")
            ).scalar_one()
        # the judge vote moved to the kept battle; both copies left the index's way
        assert sorted(q0) == [("human", True), ("judge:j", True)]
        assert copies == 2
        # 0011: every imported battle has the id derived from its source and external id
        # (these were random), with its votes and answers; each source is listed
        with store.engine.connect() as conn:
            imported = conn.execute(
                select(battles.c.id, battles.c.source, battles.c.external_id)
            ).all()
            orphans = conn.execute(
                select(func.count())
                .select_from(votes.outerjoin(battles, battles.c.id == votes.c.battle_id))
                .where(battles.c.id.is_(None))
            ).scalar_one()
            answered = conn.execute(select(answers.c.battle_id)).scalars().all()
            listed = dict(
                conn.execute(select(import_sources.c.source, import_sources.c.battles)).all()
            )
        assert len(imported) == 5  # q0, q1, and the three copies 0004 set apart
        assert all(bid == import_battle_id(src, ext) for bid, src, ext in imported)
        assert orphans == 0 and count_votes(store) == 5
        assert answered == [import_battle_id("import", "q0")]
        assert listed == {"import": 2, "import:duplicate:1": 2, "import:duplicate:2": 1}
        # and importing the file once more adds nothing
        rows = [
            {"question_id": "q0", "model_a": "gpt-4", "model_b": "mystery-7b", "winner": "model_a"},
            {
                "question_id": "q1",
                "model_a": "vicuna-13b",
                "model_b": "mystery-7b",
                "winner": "tie",
            },
        ]
        again = import_file(write_jsonl(tmp_path / "log.jsonl", rows), catalog=catalog, store=store)
        assert (again.imported, again.skipped["already_imported"]) == (0, 2)
        reopened.close()
    finally:
        store.close()


def test_the_primary_key_refuses_a_second_copy_of_an_imported_row(store: Store) -> None:
    """An imported battle's id is derived from its source and external id, so the primary
    key stores the pair once (there is no index on the pair, migration 0011)."""
    row = dict(
        id=import_battle_id("import", "q1"),
        created_at=datetime(2024, 1, 1),
        category="chat",
        model_a="a",
        model_b="b",
        status="complete",
        anonymous=True,
        source="import",
        external_id="q1",
    )
    with store.engine.begin() as conn:
        conn.execute(insert(battles).values(**row))
    with pytest.raises(Exception, match="(?i)unique"), store.engine.begin() as conn:
        conn.execute(insert(battles).values(**row))
    assert import_battle_id("import", "q1") != import_battle_id("other", "q1")
    assert import_battle_id("import", "q1") != import_battle_id("import", "q2")


# ------------------------------------------------------- a large import on SQLite
def _indexes(store: Store) -> set[str]:
    names: set[str] = set()
    for table in ("battles", "votes", "answers"):
        names |= {i["name"] for i in inspect(store.engine).get_indexes(table)}
    return names


def test_a_large_import_rebuilds_the_indexes_it_set_aside(
    tmp_path: Path, store: Store, catalog: Catalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Above BULK_INDEX_ROWS, SQLite drops the secondary indexes and builds them again in
    the same transaction: they are all there after an import, and after a failed one."""
    from modelarena.store import bulk

    monkeypatch.setattr(bulk, "BULK_INDEX_ROWS", 2)
    before = _indexes(store)
    assert {"ix_battles_created_at", "uq_votes_battle_source", "ix_votes_voter"} <= before
    bad = write_jsonl(tmp_path / "bad.jsonl", [*ROWS, ROWS[0] | {"winner": "left-ish"}])
    with pytest.raises(VoteLogError, match="line 4: unknown winner"):
        import_file(bad, catalog=catalog, store=store)
    assert _indexes(store) == before and count_votes(store) == 0
    path = write_jsonl(tmp_path / "log.jsonl", ROWS)
    assert import_file(path, catalog=catalog, store=store).imported == 3
    assert _indexes(store) == before
    # the second import looks rows up by their battle ids, and finds them
    assert import_file(path, catalog=catalog, store=store).skipped["already_imported"] == 3
    assert count_votes(store) == 3


def _journal(store: Store) -> str:
    with store.engine.connect() as conn:
        return str(conn.exec_driver_sql("PRAGMA journal_mode").scalar())


def test_a_large_import_alone_on_the_file_writes_its_pages_once(
    tmp_path: Path, store: Store, catalog: Catalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Above SQLITE_ROLLBACK_JOURNAL_ROWS, an import that has the file to itself keeps a
    rollback journal: its pages go to the database once, none to the WAL (a WAL import
    leaves a WAL file as large as what it wrote). WAL again after it, even after a failure;
    with another connection open the WAL stays, and its reader goes on."""
    import sqlite3

    from modelarena.store import bulk_sql

    monkeypatch.setattr(bulk_sql, "SQLITE_ROLLBACK_JOURNAL_ROWS", 2)
    rows = [battle_33k(i, "gpt-4-0613", "mystery-7b", "model_a") for i in range(2000)]
    db_file = Path(str(store.engine.url.database))
    wal = db_file.with_name(db_file.name + "-wal")
    store.engine.dispose()  # what opening the store left in the pool
    bad = write_jsonl(tmp_path / "bad.jsonl", [*rows, rows[0] | {"winner": "left-ish"}])
    with pytest.raises(VoteLogError, match="line 2001: unknown winner"):
        import_file(bad, catalog=catalog, store=store)
    assert count_votes(store) == 0 and _journal(store) == "wal"
    store.engine.dispose()
    assert (
        import_file(
            write_jsonl(tmp_path / "a.jsonl", rows[:1000]), catalog=catalog, store=store
        ).imported
        == 1000
    )
    assert not wal.exists() or wal.stat().st_size == 0  # nothing went through the WAL
    assert _journal(store) == "wal" and count_votes(store) == 1000
    store.engine.dispose()
    reader = sqlite3.connect(db_file)  # e.g. arena serve, reading
    try:
        assert reader.execute("SELECT count(*) FROM votes").fetchone() == (1000,)
        report = import_file(
            write_jsonl(tmp_path / "b.jsonl", rows[1000:]), catalog=catalog, store=store
        )
        assert report.imported == 1000
        assert wal.stat().st_size > 100_000  # the import went through the WAL
        assert reader.execute("SELECT count(*) FROM votes").fetchone() == (2000,)
    finally:
        reader.close()
    assert _journal(store) == "wal"


def test_two_imports_of_one_file_at_once_store_it_once(
    db_url: str, tmp_path: Path, catalog: Catalog
) -> None:
    """Imports take turns (SQLite's write lock, a PostgreSQL advisory lock), and each one
    looks up what the one before it committed."""
    import threading

    rows = [battle_33k(i, "gpt-4-0613", "mystery-7b", "model_a") for i in range(3000)]
    path = write_jsonl(tmp_path / "log.jsonl", rows)
    stores = [Store.open(db_url), Store.open(db_url)]
    reports: list[int] = []
    errors: list[BaseException] = []

    def run(store: Store) -> None:
        try:
            reports.append(import_file(path, catalog=catalog, store=store).imported)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(s,)) for s in stores]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    try:
        assert errors == []
        assert sorted(reports) == [0, 3000]
        assert count_votes(stores[0]) == 3000
    finally:
        for s in stores:
            s.close()
