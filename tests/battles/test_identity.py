"""The identity filter: self-identification, plain or disguised, in English and Chinese, is
a leak; names the prompt asked for and names in the third person are not."""

from __future__ import annotations

import json
import tomllib
from importlib import resources
from pathlib import Path

import pytest
from scripted import scripted_arena

from modelarena.battles.identity import catalog_names, find_identity_leak
from modelarena.battles.textfold import fold
from modelarena.catalog import CatalogEntry, load_catalog

CASES = Path(__file__).with_name("identity_cases.jsonl")
PRECISION_AT_LEAST = 0.97
RECALL_AT_LEAST = 0.90  # the "holdout4" split is kept as first measured: see docs/security.md


# Issue 11: each was counted before (the leak was missed).
@pytest.mark.parametrize(
    "answer",
    [
        "我是通义千问，由阿里云开发",
        "I am Ｃｌａｕｄｅ, an AI assistant.",  # full-width
        "I am Cl\u200baude, an AI assistant.",  # zero-width space
        "I am \u0421l\u0430ud\u0435, an AI assistant.",  # Cyrillic С, а, е
        "I'm an AI assistant made by Meta.",
        "I am GPT4.",
    ],
)
def test_self_identification_the_review_saw_counted_is_flagged(answer: str) -> None:
    assert find_identity_leak(answer) is not None


# Issue 11: each was thrown away before (a name the prompt asked about, or a third party).
@pytest.mark.parametrize(
    ("prompt", "answer"),
    [
        (
            "compare the licences of Llama 3 and Qwen 2.5",
            "Llama 3 ships under the Meta Llama 3 Community License, which limits very large "
            "services; Qwen 2.5 is mostly Apache-2.0.",
        ),
        (
            "Explain DNS",
            "DNS turns names into addresses: your computer asks a resolver, such as Google's "
            "public resolver at 8.8.8.8, which walks down from the root servers.",
        ),
    ],
)
def test_names_asked_about_or_in_the_third_person_are_no_leak(prompt: str, answer: str) -> None:
    assert find_identity_leak(answer, prompt=prompt) is None


@pytest.mark.parametrize(
    ("prompt", "answer", "leak"),
    [
        ("Who are you?", "I am ChatGPT, made by OpenAI.", "chatgpt"),
        ("2+2?", "As Claude, I", "claude"),
        ("你是谁", "我是通义千问 Qwen", "通义千问 qwen"),  # the model word after the name joins it
        ("2+2?", "The answer is 42.", None),
        ("What is a PDA?", "a palmtop computer", None),
        ("How do I find it?", "Google it", None),  # a name, but not the answerer's
        ("Pretend you are Claude and greet me.", "Hello! I'm Claude, made by Anthropic.", None),
        ("请扮演通义千问，跟我打个招呼。", "你好！我是通义千问。", None),
        ("Are you ChatGPT?", "Yes, I am ChatGPT.", "chatgpt"),  # asked who, not to play
        ("Compare Claude and GPT-4.", "As Claude myself, I may be biased.", "claude"),
        ("Write a cover letter", "I am a software engineer with five years at Google.", None),
        ("写一份求职信", "我是一名在谷歌工作过五年的软件工程师。", None),
        ("hi", "Hi, Claude here!", "claude"),
        ("hi", "Happy to help.\n\nBest regards,\nGemini", "gemini"),
        ("hi", "I'm C h a t G P T.", "chatgpt"),
        ("你是谁", "作为千问，我很乐意帮忙。", "千问"),
    ],
)
def test_who_the_sentence_is_about_decides(prompt: str, answer: str, leak: str | None) -> None:
    assert find_identity_leak(answer, prompt=prompt) == leak


def test_configured_names_beyond_the_catalog_are_known() -> None:
    assert find_identity_leak("I'm Zephyrine-7B.", ["Zephyrine"]) == "zephyrine-7b"
    assert find_identity_leak("I'm Zephyrine-7B.") is None


def test_every_catalog_lab_has_an_entry_in_the_names_file() -> None:
    raw = resources.files("modelarena.catalog").joinpath("identity_names.toml").read_text("utf-8")
    listed = set(tomllib.loads(raw)["labs"])
    assert {entry.lab for entry in load_catalog()} - listed == set()


def test_the_names_file_lists_nothing_the_catalog_already_gives() -> None:
    from_catalog = {name.text for name in catalog_names(load_catalog())}
    raw = resources.files("modelarena.catalog").joinpath("identity_names.toml").read_text("utf-8")
    listed = {fold(n) for lab in tomllib.loads(raw)["labs"].values() for n in lab["names"]}
    assert listed & from_catalog == set()


@pytest.mark.parametrize("entry", list(load_catalog()), ids=lambda e: e.id)
def test_every_catalog_model_and_lab_is_recognised_in_both_languages(entry: CatalogEntry) -> None:
    assert find_identity_leak(f"I am {entry.display_name}, an AI assistant.") is not None
    assert find_identity_leak(f"I was made by {entry.lab}.") is not None
    assert find_identity_leak(f"我是{entry.display_name}。") is not None
    assert find_identity_leak(f"我是由{entry.lab}开发的模型。") is not None


def test_precision_and_recall_on_the_labelled_set() -> None:
    """Thresholds on the hand-written set; benchmarks/identity_filter.py prints the figures
    with their intervals (docs/security.md)."""
    cases = [json.loads(line) for line in CASES.read_text("utf-8").splitlines() if line]
    assert len(cases) >= 300
    assert {(c["lang"], c["leak"]) for c in cases} == {
        ("en", True),
        ("en", False),
        ("zh", True),
        ("zh", False),
    }
    tp = fp = fn = 0
    for case in cases:
        hit = find_identity_leak(case["answer"], prompt=case["prompt"]) is not None
        tp += hit and case["leak"]
        fp += hit and not case["leak"]
        fn += case["leak"] and not hit
    assert tp / (tp + fp) >= PRECISION_AT_LEAST
    assert tp / (tp + fn) >= RECALL_AT_LEAST


# ------------------------------------------------------------ through the arena
async def test_a_chinese_self_identification_costs_the_vote(sqlite_url: str) -> None:
    arena = scripted_arena(
        sqlite_url, {"deepseek-v3": ["我是通义千问，由阿里云开发。"], "gpt-4o": ["你好！"]}
    )
    battle = arena.start_battle("chat", "你是谁？", models=["deepseek-v3", "gpt-4o"])
    stored = await arena.run_turn(battle.id, "你是谁？")
    assert stored.identity_leak == "通义千问"
    vote = arena.vote(battle.id, "a", voter="x")
    assert (vote.counted, vote.reason) == (False, "identity_leak")


@pytest.mark.parametrize(
    ("prompt", "answer"),
    [
        (
            "compare the licences of Llama 3 and Qwen 2.5",
            "Llama 3: community licence. Qwen: Apache.",
        ),
        ("Explain DNS", "A resolver such as Google's 8.8.8.8 looks the name up for you."),
    ],
)
async def test_a_vote_on_names_the_prompt_asked_about_counts(
    sqlite_url: str, prompt: str, answer: str
) -> None:
    arena = scripted_arena(sqlite_url, {"deepseek-v3": [answer], "gpt-4o": ["No idea."]})
    battle = arena.start_battle("chat", prompt, models=["deepseek-v3", "gpt-4o"])
    stored = await arena.run_turn(battle.id, prompt)
    assert stored.identity_leak is None
    assert arena.vote(battle.id, "a", voter="x").counted


async def test_an_earlier_turn_can_ask_for_the_voice(sqlite_url: str) -> None:
    replies = ["Sure.", "Hello! I'm Claude, made by Anthropic."]
    arena = scripted_arena(sqlite_url, {"deepseek-v3": replies, "gpt-4o": replies})
    battle = arena.start_battle("chat", "Pretend you are Claude.", models=["deepseek-v3", "gpt-4o"])
    await arena.run_turn(battle.id, "Pretend you are Claude.")
    stored = await arena.run_turn(battle.id, "Now greet me.")
    assert stored.identity_leak is None
