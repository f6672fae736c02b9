"""Broken logs: one clear error naming file, row and reason, and nothing imported."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from vote_log_files import WRITERS, battle_33k, count_battles, count_votes, write_csv, write_jsonl

from modelarena.catalog import Catalog
from modelarena.io import VoteLogError, import_file
from modelarena.store import Store

GOOD = [battle_33k(i, "vicuna-13b", "koala-13b", "model_a") for i in range(3)]


def import_fails(path: Path, store: Store, catalog: Catalog, *, match: str) -> str:
    with pytest.raises(VoteLogError, match=match) as info:
        import_file(path, catalog=catalog, store=store)
    assert count_votes(store) == 0 and count_battles(store) == 0
    return str(info.value)


# where a bad third row (after two good ones) is reported, per format
WHERE = {"jsonl": "line 3", "csv": "line 4", "json": "index 2", "parquet": "row 2"}


@pytest.mark.parametrize("fmt", ["json", "jsonl", "csv", "parquet"])
def test_a_bad_row_names_file_line_and_reason_and_imports_nothing(
    fmt: str, tmp_path: Path, store: Store, catalog: Catalog
) -> None:
    rows = [*GOOD[:2], battle_33k(9, "vicuna-13b", "koala-13b", "left-ish"), GOOD[2]]
    path = WRITERS[fmt](tmp_path / f"log.{fmt}", rows)
    message = import_fails(path, store, catalog, match="unknown winner value 'left-ish'")
    assert message.startswith(f"{path}, {WHERE[fmt]}: ")


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"winner": 3.5}, r"winner must be text .* not 3\.5 \(float\)"),
        ({"model_a": None}, r"model_a is empty \(null\)"),
        ({"model_b": "  "}, "model_b is an empty model name"),
        ({"model_a": 7}, r"model_a must be a model name \(text\), not 7 \(int\)"),
        ({"model_b": "vicuna-13b"}, "model_a and model_b are the same model"),
        ({"anony": "perhaps"}, "anony must be true or false"),
        ({"tstamp": "yesterday"}, "tstamp 'yesterday' is neither a unix time"),
        ({"conversation_a": "just text"}, "conversation_a must be a list"),
        (
            {"conv_metadata": {"sum_assistant_a_tokens": "many"}},
            r"conv_metadata.sum_assistant_a_tokens must be a count",
        ),
    ],
)
def test_wrong_values(
    change: dict[str, Any], reason: str, tmp_path: Path, store: Store, catalog: Catalog
) -> None:
    rows = [GOOD[0], GOOD[1] | change]
    path = write_jsonl(tmp_path / "log.jsonl", rows)
    import_fails(path, store, catalog, match=f"^{path}, line 2: {reason}")


def test_one_hot_with_two_winners(tmp_path: Path, store: Store, catalog: Catalog) -> None:
    row = {
        "id": 1,
        "model_a": "a-model",
        "model_b": "b-model",
        "winner_model_a": 1,
        "winner_model_b": 1,
        "winner_tie": 0,
    }
    path = write_csv(tmp_path / "train.csv", [row])
    import_fails(
        path, store, catalog, match="line 2: the one-hot winner columns must hold exactly one 1"
    )


def test_missing_column_in_header(tmp_path: Path, store: Store, catalog: Catalog) -> None:
    rows = [{k: v for k, v in r.items() if k != "winner"} for r in GOOD]
    path = write_csv(tmp_path / "log.csv", rows)
    message = import_fails(path, store, catalog, match="missing column 'winner'")
    assert "columns found: question_id, model_a, model_b, judge" in message


def test_missing_column_in_a_jsonl_row(tmp_path: Path, store: Store, catalog: Catalog) -> None:
    bad = {k: v for k, v in GOOD[1].items() if k != "model_b"}
    path = write_jsonl(tmp_path / "log.jsonl", [GOOD[0], bad])
    import_fails(path, store, catalog, match=r"line 2: missing column 'model_b' \(columns found")


@pytest.mark.parametrize("fmt", ["json", "jsonl", "csv", "parquet"])
def test_empty_file(fmt: str, tmp_path: Path, store: Store, catalog: Catalog) -> None:
    path = tmp_path / f"empty.{fmt}"
    path.write_bytes(b"")
    import_fails(path, store, catalog, match=f"^{path}: the file is empty")


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("empty.json", "[]"),
        ("data.json", '{"data": []}'),
        ("blank.jsonl", "\n\n"),
        ("header.csv", "model_a,model_b,winner\n"),
    ],
)
def test_file_without_rows(
    name: str, content: str, tmp_path: Path, store: Store, catalog: Catalog
) -> None:
    path = tmp_path / name
    path.write_text(content)
    import_fails(path, store, catalog, match="no votes in the file")


def test_not_json(tmp_path: Path, store: Store, catalog: Catalog) -> None:
    path = tmp_path / "log.jsonl"
    path.write_text(json.dumps(GOOD[0]) + "\n{not json\n")
    import_fails(path, store, catalog, match="line 2: not valid JSON")


def test_json_of_the_wrong_shape(tmp_path: Path, store: Store, catalog: Catalog) -> None:
    path = tmp_path / "log.json"
    path.write_text(json.dumps([GOOD[0], ["a", "list"]]))
    import_fails(path, store, catalog, match="index 1: expected an object, found an array")


def test_missing_file(tmp_path: Path, store: Store, catalog: Catalog) -> None:
    import_fails(tmp_path / "nope.jsonl", store, catalog, match="nope.jsonl: no such file")


def test_not_parquet(tmp_path: Path, store: Store, catalog: Catalog) -> None:
    path = tmp_path / "log.parquet"
    path.write_text("model_a,model_b\n")
    import_fails(path, store, catalog, match="not a readable Parquet file")


def test_unknown_default_category(tmp_path: Path, store: Store, catalog: Catalog) -> None:
    path = write_jsonl(tmp_path / "log.jsonl", GOOD)
    with pytest.raises(VoteLogError, match="unknown category 'poetry'"):
        import_file(path, catalog=catalog, store=store, category_default="poetry")


def test_missing_pyarrow_is_explained(
    tmp_path: Path, store: Store, catalog: Catalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = WRITERS["parquet"](tmp_path / "log.parquet", GOOD)
    monkeypatch.setitem(__import__("sys").modules, "pyarrow.parquet", None)
    import_fails(path, store, catalog, match=r"pip install 'modelarena\[parquet\]'")


# ----------------------------------------------------------- text encodings
def test_invalid_utf8_in_a_csv_names_the_line(
    tmp_path: Path, store: Store, catalog: Catalog
) -> None:
    path = write_csv(tmp_path / "log.csv", GOOD)
    lines = path.read_bytes().splitlines(keepends=True)
    lines[2] = lines[2].replace(b"koala", b"ko\xe9la")  # Latin-1, not UTF-8
    path.write_bytes(b"".join(lines))
    message = import_fails(path, store, catalog, match=f"^{path}, line 3: not UTF-8 text")
    assert "save the file as UTF-8" in message


def test_invalid_utf8_deep_in_a_large_csv_names_the_line(
    tmp_path: Path, store: Store, catalog: Catalog
) -> None:
    rows = [battle_33k(i, "vicuna-13b", "koala-13b", "model_a") for i in range(400)]
    path = write_csv(tmp_path / "log.csv", rows)
    path.write_bytes(path.read_bytes() + b"x\xff,vicuna-13b,koala-13b,model_a\r\n")
    import_fails(path, store, catalog, match="line 402: not UTF-8 text")


@pytest.mark.parametrize("escape", ["\\ud800", "\\udfff", "x\\ud83d y"])
def test_a_lone_surrogate_in_jsonl_names_the_line(
    escape: str, tmp_path: Path, store: Store, catalog: Catalog
) -> None:
    bad = json.dumps(GOOD[1]).replace('"koala-13b"', f'"koala{escape}"', 1)
    path = tmp_path / "log.jsonl"
    path.write_text(f"{json.dumps(GOOD[0])}\n{bad}\n{json.dumps(GOOD[2])}\n")
    import_fails(path, store, catalog, match=f"^{path}, line 2: not valid JSON .*surrogate")


def test_a_surrogate_pair_is_text(tmp_path: Path, store: Store, catalog: Catalog) -> None:
    row = GOOD[0] | {"conversation_a": [{"role": "assistant", "content": "ok \U0001f600"}]}
    path = tmp_path / "log.jsonl"
    path.write_text(json.dumps(row) + "\n")  # ensure_ascii: the emoji as \ud83d\ude00
    assert "\\ud83d\\ude00" in path.read_text()
    assert import_file(path, catalog=catalog, store=store).imported == 1


def test_a_lone_surrogate_in_a_json_array_names_the_line(
    tmp_path: Path, store: Store, catalog: Catalog
) -> None:
    path = tmp_path / "log.json"
    text = json.dumps(GOOD, indent=1).replace('"arena_user_1"', '"arena_user_\\udc80"')
    path.write_text(text)
    line = text[: text.index("\\udc80")].count("\n") + 1
    import_fails(path, store, catalog, match=f"^{path}, line {line}: not valid JSON .*surrogate")


def test_invalid_utf8_in_jsonl_names_the_line(
    tmp_path: Path, store: Store, catalog: Catalog
) -> None:
    path = tmp_path / "log.jsonl"
    bad = json.dumps(GOOD[1]).encode().replace(b"koala", b"ko\xc0la")
    path.write_bytes(json.dumps(GOOD[0]).encode() + b"\n" + bad + b"\n")
    import_fails(path, store, catalog, match="line 2: not valid JSON .not UTF-8 text")


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"model_a": "m" * 129}, "model_a is longer than 128 characters"),
        ({"judge": "user\u0000x"}, "judge contains a NUL character"),
        ({"question_id": "q" * 200}, "question_id is longer than 128 characters"),
    ],
)
def test_values_no_database_can_store(
    change: dict[str, Any], reason: str, tmp_path: Path, store: Store, catalog: Catalog
) -> None:
    path = write_jsonl(tmp_path / "log.jsonl", [GOOD[0], GOOD[1] | change])
    import_fails(path, store, catalog, match=f"line 2: {reason}")


def test_without_orjson_the_standard_parser_reads_and_refuses_the_same(
    tmp_path: Path, store: Store, catalog: Catalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(__import__("sys").modules, "orjson", None)  # the base install
    bad = json.dumps(GOOD[1]).replace('"koala-13b"', '"koala\\ud800"', 1)
    path = tmp_path / "log.jsonl"
    path.write_text(f"{json.dumps(GOOD[0])}\n{bad}\n")
    import_fails(path, store, catalog, match=f"^{path}, line 2: not valid JSON .*surrogate")
    path.write_text(f"{json.dumps(GOOD[0])}\nNaN\n")
    import_fails(path, store, catalog, match="line 2: not valid JSON .NaN is not a JSON value")
    assert import_file(write_jsonl(path, GOOD), catalog=catalog, store=store).imported == 3
