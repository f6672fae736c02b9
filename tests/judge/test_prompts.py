"""Prompt sets: files of every kind, published arena logs, and the shipped set."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from modelarena.battles.categories import CATEGORY_IDS
from modelarena.judge.prompts import (
    PromptSetError,
    by_category,
    load_prompts,
    round_robin,
    write_prompts,
)


def test_builtin_set_covers_every_category() -> None:
    items = load_prompts("builtin")
    assert 95 <= len(items) <= 110
    counts = by_category(items)
    assert set(counts) == set(CATEGORY_IDS)
    assert all(n >= 10 for n in counts.values())
    assert len({i.id for i in items}) == len(items)
    assert all(5 < len(i.prompt) < 400 for i in items)


def test_jsonl_with_categories_and_dedupe(tmp_path: Path) -> None:
    path = tmp_path / "p.jsonl"
    rows = [
        {"prompt": "Hello there", "category": "chat", "id": "x1"},
        {"question": "Draw a cat", "category": "svg"},
        {"prompt": "  hello   THERE "},  # same prompt folded: dropped
        {"text": "A third"},
    ]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n\n")
    items = load_prompts(path)
    assert [(i.prompt, i.category, i.id) for i in items] == [
        ("Hello there", "chat", "x1"),
        ("Draw a cat", "svg", ""),
        ("A third", "chat", ""),
    ]


def test_arena_log_rows_give_the_first_user_turn(tmp_path: Path) -> None:
    path = tmp_path / "chatbot_arena.jsonl"
    row = {
        "question_id": "q1",
        "model_a": "x",
        "model_b": "y",
        "winner": "model_a",
        "conversation_a": [
            {"role": "user", "content": "What is 2+2?"},
            {"role": "assistant", "content": "4"},
            {"role": "user", "content": "And 3+3?"},
        ],
    }
    path.write_text(json.dumps(row) + "\n")
    [item] = load_prompts(path)
    assert (item.prompt, item.id, item.category) == ("What is 2+2?", "q1", "chat")


def test_csv_with_json_encoded_prompt_column(tmp_path: Path) -> None:
    # arena-human-preference-55k stores the turns as a JSON list in the prompt column
    path = tmp_path / "55k.csv"
    with path.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["id", "model_a", "model_b", "prompt", "response_a"])
        writer.writerow(["7", "a", "b", json.dumps(["Explain TCP.", "More?"]), "[]"])
        writer.writerow(["8", "a", "b", "Plain prompt", "[]"])
    items = load_prompts(path)
    assert [(i.prompt, i.id) for i in items] == [("Explain TCP.", "7"), ("Plain prompt", "8")]


def test_plain_text_one_per_line(tmp_path: Path) -> None:
    path = tmp_path / "p.txt"
    path.write_text("# my prompts\nFirst prompt\n\nSecond prompt\n")
    items = load_prompts(path, category="website")
    assert [(i.prompt, i.category) for i in items] == [
        ("First prompt", "website"),
        ("Second prompt", "website"),
    ]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("bad.jsonl", '{"prompt": "x", "category": "poetry"}\n', "bad.jsonl:1: unknown category"),
        ("bad2.jsonl", '{"prompt": "x"}\n{oops\n', "bad2.jsonl:2: not valid JSON"),
        ("bad.csv", "question_text,foo\nx,y\n", "needs a 'prompt' column"),
        ("empty.txt", "# nothing\n\n", "no prompts found"),
    ],
)
def test_bad_files_name_the_problem(tmp_path: Path, name: str, content: str, message: str) -> None:
    path = tmp_path / name
    path.write_text(content)
    with pytest.raises(PromptSetError, match=message):
        load_prompts(path)


def test_missing_file() -> None:
    with pytest.raises(PromptSetError, match="does not exist"):
        load_prompts("/nonexistent/prompts.jsonl")


def test_round_robin_takes_every_category_in_turn() -> None:
    items = load_prompts("builtin")
    picked = round_robin(items, 12)
    assert len(picked) == 12
    assert by_category(picked) == {c: 2 for c in CATEGORY_IDS}
    assert round_robin(items, None) == items


def test_write_and_read_back(tmp_path: Path) -> None:
    items = load_prompts("builtin")[:5]
    out = tmp_path / "deep" / "set.jsonl"
    assert write_prompts(items, out) == 5
    assert load_prompts(out) == items
