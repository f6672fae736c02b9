"""What a row becomes: names through the catalog, counting, style, time and category."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from vote_log_files import WRITERS, battle_33k, conversation, write_jsonl, write_parquet

from modelarena.catalog import Catalog
from modelarena.io import import_file
from modelarena.store import Store


def test_aliases_map_to_catalog_ids(tmp_path: Path, store: Store, catalog: Catalog) -> None:
    expected = catalog.resolve("gpt-4")
    assert expected is not None and catalog.resolve("gpt-4-0613") == expected
    path = write_jsonl(
        tmp_path / "log.jsonl", [battle_33k(0, "gpt-4-0613", "vicuna-13b", "model_a")]
    )
    report = import_file(path, catalog=catalog, store=store)
    arrays = store.vote_arrays()
    assert arrays.models[arrays.model_a[0]] == expected
    assert report.resolved_models[expected] == 1


def test_unknown_names_are_kept_and_reported(
    tmp_path: Path, store: Store, catalog: Catalog
) -> None:
    assert catalog.resolve("house-model-7") is None
    rows = [battle_33k(i, "house-model-7", "gpt-4", "model_a") for i in range(3)]
    rows.append(battle_33k(3, "other-lab-x", "house-model-7", "tie"))
    report = import_file(write_jsonl(tmp_path / "l.jsonl", rows), catalog=catalog, store=store)
    assert dict(report.unknown_models) == {"house-model-7": 4, "other-lab-x": 1}
    assert "house-model-7" in store.vote_arrays().models


def test_non_anonymous_votes_are_stored_but_not_counted(
    tmp_path: Path, store: Store, catalog: Catalog
) -> None:
    rows = [
        battle_33k(0, "vicuna-13b", "koala-13b", "model_a", anony=False),
        battle_33k(1, "vicuna-13b", "koala-13b", "model_b"),
    ]
    report = import_file(write_jsonl(tmp_path / "l.jsonl", rows), catalog=catalog, store=store)
    assert (report.counted, report.not_counted) == (1, 1)
    assert store.filtered_vote_summary() == {"counted": 1, "imported_non_anonymous": 1}
    assert store.vote_arrays().outcome.tolist() == [1]


def test_33k_multi_turn_conversation(tmp_path: Path, store: Store, catalog: Catalog) -> None:
    row = battle_33k(0, "vicuna-13b", "koala-13b", "model_a", turn=2)
    row["conversation_a"] = [*conversation("first", "## A1\n- x"), *conversation("second", "- y")]
    row["conversation_b"] = [*conversation("first", "B1"), *conversation("second", "B2")]
    import_file(write_jsonl(tmp_path / "l.jsonl", [row]), catalog=catalog, store=store)
    battle = store.recent_battles(limit=1)[0]
    assert battle.conversation("a") == [("first", "## A1\n- x")]
    assert battle.conversation("b") == [("first", "B1")]
    # style over every answer of the side: one header, two list items
    assert store.vote_arrays().style_a[0, 1:3].tolist() == [1, 2]


def row_140k(i: int, **extra: object) -> dict[str, object]:
    """A row shaped like arena-human-preference-140k: content as a list of parts."""

    def conv(text: str) -> list[dict[str, object]]:
        return [
            {"role": "user", "content": [{"type": "text", "text": "make a list", "image": None}]},
            {"role": "assistant", "content": [{"type": "text", "text": text, "image": None}]},
        ]

    return {
        "id": f"id-{i}",
        "model_a": "vicuna-13b",
        "model_b": "koala-13b",
        "winner": "both_bad",
        "conversation_a": conv("plain answer"),
        "conversation_b": conv("# H\n- a\n- b"),
        "conv_metadata": {
            "sum_user_tokens": 3,
            "sum_assistant_a_tokens": 321,
            "sum_assistant_b_tokens": 45,
            "header_count_a": {"h1": 2, "h2": 1, "h3": 0, "h4": 0, "h5": 0, "h6": 0},
            "list_count_a": {"ordered": 4, "unordered": 5},
            "bold_count_a": {"**": 6, "__": 1},
            "header_count_b": {"h1": 0, "h2": 0, "h3": 0, "h4": 0, "h5": 0, "h6": 0},
            "list_count_b": {"ordered": 0, "unordered": 0},
            "bold_count_b": {"**": 0, "__": 0},
        },
        "category_tag": {"criteria_v0.1": {"complexity": False}},
        "language": "en",
        "timestamp": datetime(2025, 3, 1, 12, 30, tzinfo=UTC),
    } | extra


def test_140k_conv_metadata_becomes_style_counts(
    tmp_path: Path, store: Store, catalog: Catalog
) -> None:
    report = import_file(
        write_parquet(tmp_path / "train.parquet", [row_140k(0)]), catalog=catalog, store=store
    )
    assert report.imported == 1
    arrays = store.vote_arrays()
    assert arrays.outcome.tolist() == [3]
    assert arrays.style_a[0].tolist() == [321, 3, 9, 7]  # tokens, headers, lists, bold
    assert arrays.style_b[0].tolist() == [45, 0, 0, 0]  # from metadata, not from the text
    assert (
        arrays.day[0] == (datetime(2025, 3, 1, tzinfo=UTC) - datetime(1970, 1, 1, tzinfo=UTC)).days
    )
    battle = store.recent_battles(limit=1)[0]
    assert battle.conversation("b") == [("make a list", "# H\n- a\n- b")]
    assert battle.created_at == datetime(2025, 3, 1, 12, 30, tzinfo=UTC)
    assert battle.category == "chat"


def test_style_falls_back_to_the_text(tmp_path: Path, store: Store, catalog: Catalog) -> None:
    row = row_140k(0, conv_metadata=None, timestamp="2025-03-01T12:30:00Z")
    import_file(write_jsonl(tmp_path / "l.jsonl", [row]), catalog=catalog, store=store)
    arrays = store.vote_arrays()
    assert arrays.style_b[0, 1:].tolist() == [1, 2, 0]
    assert arrays.style_b[0, 0] > 0


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1682351591.5, datetime(2023, 4, 24, 15, 53, 11, 500000, tzinfo=UTC)),
        ("2024-05-01T10:00:00Z", datetime(2024, 5, 1, 10, tzinfo=UTC)),
        ("2024-05-01T12:00:00+02:00", datetime(2024, 5, 1, 10, tzinfo=UTC)),
        ("2024-05-01 10:00:00", datetime(2024, 5, 1, 10, tzinfo=UTC)),
    ],
)
def test_timestamps_become_utc(
    value: object, expected: datetime, tmp_path: Path, store: Store, catalog: Catalog
) -> None:
    row = battle_33k(0, "vicuna-13b", "koala-13b", "model_a")
    del row["tstamp"]
    row["timestamp"] = value
    import_file(write_jsonl(tmp_path / "l.jsonl", [row]), catalog=catalog, store=store)
    assert store.recent_battles(limit=1)[0].created_at == expected


@pytest.mark.parametrize(
    ("tag", "default", "expected"),
    [
        ("website", "chat", "website"),
        ("Game", "chat", "game"),
        ("coding", "chat", "chat"),
        (None, "svg", "svg"),
    ],
)
def test_category(
    tag: str | None,
    default: str,
    expected: str,
    tmp_path: Path,
    store: Store,
    catalog: Catalog,
) -> None:
    row = battle_33k(0, "vicuna-13b", "koala-13b", "model_a", category_tag=tag)
    import_file(
        write_jsonl(tmp_path / "l.jsonl", [row]),
        catalog=catalog,
        store=store,
        category_default=default,
    )
    assert store.recent_battles(limit=1)[0].category == expected


def test_same_catalog_model_on_both_sides_is_skipped(
    tmp_path: Path, store: Store, catalog: Catalog
) -> None:
    # gpt-4-0314 and gpt-4-0613 are both the catalog's gpt-4: not a battle between two models
    assert catalog.resolve("gpt-4-0314") == catalog.resolve("gpt-4-0613")
    rows = [
        battle_33k(0, "gpt-4-0314", "gpt-4-0613", "model_a"),
        battle_33k(1, "gpt-4-0314", "vicuna-13b", "model_a"),
    ]
    report = import_file(WRITERS["json"](tmp_path / "l.json", rows), catalog=catalog, store=store)
    assert (report.rows, report.imported, dict(report.skipped)) == (2, 1, {"same_catalog_model": 1})
    assert len(store.vote_arrays().outcome) == 1


def test_dry_run_writes_nothing(tmp_path: Path, store: Store, catalog: Catalog) -> None:
    rows = [battle_33k(i, "vicuna-13b", "koala-13b", "model_a") for i in range(5)]
    report = import_file(
        write_jsonl(tmp_path / "l.jsonl", rows), catalog=catalog, store=store, dry_run=True
    )
    assert (report.imported, report.dry_run) == (5, True)
    assert store.filtered_vote_summary() == {}


def test_parquet_nanosecond_timestamps(tmp_path: Path, store: Store, catalog: Catalog) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pylist([row_140k(0, timestamp=None)]).set_column(
        pa.Table.from_pylist([row_140k(0, timestamp=None)]).schema.get_field_index("timestamp"),
        "timestamp",
        pa.array([1740832200_123456789], type=pa.timestamp("ns")),
    )
    pq.write_table(table, tmp_path / "ns.parquet")
    import_file(tmp_path / "ns.parquet", catalog=catalog, store=store)
    created = store.recent_battles(limit=1)[0].created_at
    assert created == datetime(2025, 3, 1, 12, 30, 0, 123456, tzinfo=UTC)
