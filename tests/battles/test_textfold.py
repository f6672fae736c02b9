"""The one text normalisation (identity filter and prompt cap) and the prompt cap's key."""

from __future__ import annotations

import pytest

from modelarena.battles.textfold import fold, prompt_key


@pytest.mark.parametrize(
    ("raw", "folded"),
    [
        ("Ｃｌａｕｄｅ", "claude"),  # full-width
        ("Cl\u200baude\u2060", "claude"),  # zero-width space, word joiner
        ("Cl\u00adaude", "claude"),  # soft hyphen
        ("\u0421l\u0430ud\u0435", "claude"),  # Cyrillic look-alikes
        ("Μ\u03b9strαl", "mistral"),  # Greek look-alikes
        ("Ĉlaudé", "claude"),  # accents
        ("𝐂𝐥𝐚𝐮𝐝𝐞", "claude"),  # mathematical bold
        ("  Hello\u3000\u00a0 WORLD \n", "hello world"),  # ideographic and no-break spaces
        ("STRASSE Straße", "strasse strasse"),  # case folding, not lower()
        ("我是通义千问，由阿里云开发", "我是通义千问,由阿里云开发"),  # Han unchanged
    ],
)
def test_fold(raw: str, folded: str) -> None:
    assert fold(raw) == folded


@pytest.mark.parametrize(
    "variant",
    [
        "What is the capital of France?",
        "what is the capital of france",
        "What is the capital of France?!",
        "What is the capital of France.",
        "What, is the capital of France?",
        "What is the capital of Fr\u200bance?",
        "What is the\u00a0capital of France?",
        "  What   is the capital\tof France ?  ",
        "ＷＨＡＴ ｉｓ ｔｈｅ ｃａｐｉｔａｌ ｏｆ Ｆｒａｎｃｅ？",
        "Whаt is the cаpitаl of France?",  # Cyrillic а
        "What is the capital of France? 🙂",
    ],
)
def test_the_prompt_key_ignores_punctuation_invisibles_case_width_and_spacing(variant: str) -> None:
    assert prompt_key(variant) == prompt_key("What is the capital of France?")


def test_different_prompts_keep_different_keys() -> None:
    keys = {
        prompt_key(p)
        for p in (
            "What is the capital of France?",
            "What is the capital of Spain?",
            "What is the capital of France in 1800?",
            "???",
            "!!!",
            "法国的首都是哪里？",
            "德国的首都是哪里？",
        )
    }
    assert len(keys) == 7
