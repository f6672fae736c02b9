"""Every file format, every winner encoding, and format detection."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from vote_log_files import WRITERS, battle_33k, count_votes, write_csv, write_jsonl

from modelarena.battles.records import Verdict
from modelarena.catalog import Catalog
from modelarena.io import Format, VoteLogError, detect_format, import_file
from modelarena.store import Store

ROWS = [
    battle_33k(0, "vicuna-13b", "koala-13b", "model_a"),
    battle_33k(1, "vicuna-13b", "koala-13b", "model_b"),
    battle_33k(2, "koala-13b", "vicuna-13b", "tie"),
    battle_33k(3, "koala-13b", "vicuna-13b", "tie (bothbad)"),
]


@pytest.mark.parametrize("fmt", ["json", "jsonl", "csv", "parquet"])
def test_every_format_imports(fmt: str, tmp_path: Path, store: Store, catalog: Catalog) -> None:
    path = WRITERS[fmt](tmp_path / f"log.{fmt}", ROWS)
    report = import_file(path, catalog=catalog, store=store)
    assert report.format == Format(fmt)
    assert (report.rows, report.imported, report.counted) == (4, 4, 4)
    arrays = store.vote_arrays()
    assert arrays.outcome.tolist() == [0, 1, 2, 3]
    ids = [arrays.models[i] for i in arrays.model_a]
    assert ids[0] == (catalog.resolve("vicuna-13b") or "vicuna-13b")
    battle = store.recent_battles(limit=10)[-1]
    assert battle.conversation("a") == [("prompt 0", "answer A0")]


def test_json_object_with_data_key(tmp_path: Path, store: Store, catalog: Catalog) -> None:
    path = tmp_path / "log.json"
    path.write_text(json.dumps({"data": ROWS}))
    assert import_file(path, catalog=catalog, store=store).imported == 4
    assert count_votes(store) == 4


@pytest.mark.parametrize(
    ("winner", "verdict"),
    [
        ("model_a", Verdict.A),
        ("model_b", Verdict.B),
        ("tie", Verdict.TIE),
        ("tie (bothbad)", Verdict.BOTH_BAD),
        ("both_bad", Verdict.BOTH_BAD),
    ],
)
def test_winner_encodings(
    winner: str, verdict: Verdict, tmp_path: Path, store: Store, catalog: Catalog
) -> None:
    path = write_jsonl(tmp_path / "log.jsonl", [battle_33k(0, "vicuna-13b", "koala-13b", winner)])
    import_file(path, catalog=catalog, store=store)
    battle = store.recent_battles(limit=1)[0]
    assert [v.verdict for v in store.votes_for_battle(battle.id)] == [verdict]


@pytest.mark.parametrize(("one_hot", "outcome"), [((1, 0, 0), 0), ((0, 1, 0), 1), ((0, 0, 1), 2)])
def test_one_hot_winner_columns_55k_csv(
    one_hot: tuple[int, int, int],
    outcome: int,
    tmp_path: Path,
    store: Store,
    catalog: Catalog,
) -> None:
    row = {
        "id": 30192,
        "model_a": "gpt-4-1106-preview",
        "model_b": "gpt-4-0613",
        "prompt": json.dumps(["Is it morally right?", "And now?"]),
        "response_a": json.dumps(["# Yes\n- **one**\n- two", "second turn"]),
        "response_b": json.dumps([None, "only later"]),
        "winner_model_a": one_hot[0],
        "winner_model_b": one_hot[1],
        "winner_tie": one_hot[2],
    }
    path = write_csv(tmp_path / "train.csv", [row])
    import_file(path, catalog=catalog, store=store)
    arrays = store.vote_arrays()
    assert arrays.outcome.tolist() == [outcome]
    battle = store.recent_battles(limit=1)[0]
    assert battle.conversation("a") == [("Is it morally right?", "# Yes\n- **one**\n- two")]
    # style counts from every answer of the side: 1 header, 2 list items, 1 bold
    assert arrays.style_a[0, 1:].tolist() == [1, 2, 1]


def test_detection_by_content_and_extension(tmp_path: Path) -> None:
    jsonl_named_json = write_jsonl(tmp_path / "hf.json", ROWS)
    assert detect_format(jsonl_named_json) is Format.JSONL
    array = tmp_path / "array.json"
    array.write_text(json.dumps(ROWS, indent=2))
    assert detect_format(array) is Format.JSON
    one_line_data = tmp_path / "data.json"
    one_line_data.write_text(json.dumps({"data": ROWS}))
    assert detect_format(one_line_data) is Format.JSON
    assert detect_format(write_csv(tmp_path / "x.txt", ROWS)) is Format.CSV
    parquet = WRITERS["parquet"](tmp_path / "noext", ROWS)
    assert detect_format(parquet) is Format.PARQUET
    assert detect_format(array, "csv") is Format.CSV
    with pytest.raises(VoteLogError, match="unknown format 'xml'"):
        detect_format(array, "xml")
