"""Language as a slice: detection, the leaderboard's ``language`` filter, and imports that
keep a published log's ``language`` column (the fast path and the row-by-row path)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from scripted import scripted_arena
from sqlalchemy import select

from modelarena.battles import language as lang
from modelarena.battles.language import detect_language, normalise_language
from modelarena.catalog import load_catalog
from modelarena.io import import_file
from modelarena.leaderboard.board import compute_leaderboard
from modelarena.leaderboard.filters import FilterError, LeaderboardFilters
from modelarena.store import Store
from modelarena.store.schema import battles

CASES = {
    "用三句话解释什么是机器学习。": "zh",
    "機械学習とは何ですか？簡単に説明してください。": "ja",
    "기계 학습이 무엇인지 설명해 주세요.": "ko",
    "Объясни, что такое машинное обучение.": "ru",
    "اشرح ما هو التعلم الآلي.": "ar",
    "Explain what machine learning is in three sentences.": "en",
    "Explique ce qu'est l'apprentissage automatique en trois phrases.": "fr",
    "Erkläre in drei Sätzen, was maschinelles Lernen ist.": "de",
    "Explica qué es el aprendizaje automático en tres frases.": "es",
}


@pytest.mark.parametrize(("text", "expected"), list(CASES.items()))
def test_detects_languages(text: str, expected: str) -> None:
    assert detect_language(text) == expected


def test_detects_without_the_model(monkeypatch: pytest.MonkeyPatch) -> None:
    # the base install (no py3langid): scripts decide, a word count takes the Latin ones
    monkeypatch.setattr(lang, "_langid", lambda: None)
    assert detect_language("Explain what machine learning is, please.") == "en"
    assert detect_language("Explique pourquoi le ciel est bleu, et comment.") == "fr"
    assert detect_language("用三句话解释什么是机器学习。") == "zh"
    assert detect_language("42 + 17 = ?") == "und"


def test_normalises_log_labels() -> None:
    assert normalise_language("English") == "en"
    assert normalise_language("Chinese") == "zh"
    assert normalise_language("zh-CN") == "zh-cn"
    assert normalise_language("not a language") is None
    assert normalise_language(None) is None


def test_filter_parses_language() -> None:
    f = LeaderboardFilters.parse({"language": "ZH, en"})
    assert f.languages == ("zh", "en")
    assert "language=zh,en" in f.describe()
    with pytest.raises(FilterError, match="ISO 639-1 code"):
        LeaderboardFilters.parse({"language": "chinese!"})
    with pytest.raises(FilterError, match="cannot be combined with style"):
        LeaderboardFilters.parse({"language": "zh", "style": "true"})


async def test_board_cut_by_language(db_url: str) -> None:
    arena = scripted_arena(
        db_url,
        {"deepseek-v3": ["Answer one."] * 30, "gpt-4o": ["Answer two."] * 30},
    )
    # Chinese prompts: deepseek wins every vote; English ones: gpt-4o does
    for prompt, winner in (("用一句话介绍长城。", "deepseek-v3"), ("Describe the sea.", "gpt-4o")):
        for _ in range(12):
            b = arena.start_battle("chat", prompt, session_id="s")
            b = await arena.run_turn(b.id, prompt)
            arena.vote(b.id, "a" if b.model_a == winner else "b", voter="v", owner="s")
    store = arena.store
    with store.engine.connect() as conn:
        found = sorted({r[0] for r in conn.execute(select(battles.c.language))})
    assert found == ["en", "zh"]
    every = compute_leaderboard(store, arena.model_info, LeaderboardFilters())
    zh = compute_leaderboard(store, arena.model_info, LeaderboardFilters.parse({"language": "zh"}))
    en = compute_leaderboard(store, arena.model_info, LeaderboardFilters.parse({"language": "en"}))
    assert every.total_votes == 24 and zh.total_votes == 12 and en.total_votes == 12
    assert zh.rows[0].model == "deepseek-v3" and en.rows[0].model == "gpt-4o"
    await arena.aclose()


ROWS = [
    {"question_id": "q1", "model_a": "gpt-4-0613", "model_b": "claude-2.1", "winner": "model_a",
     "judge": "u1", "anony": True, "language": "English", "tstamp": 1_682_351_591.0},
    {"question_id": "q2", "model_a": "claude-2.1", "model_b": "vicuna-13b", "winner": "tie",
     "judge": "u2", "anony": True, "language": "Chinese", "tstamp": 1_682_351_600.0},
    {"question_id": "q3", "model_a": "vicuna-13b", "model_b": "gpt-4-0613", "winner": "model_b",
     "judge": "u3", "anony": True, "language": None, "tstamp": 1_682_351_700.0},
]  # fmt: skip


def _languages(store: Store) -> dict[str, str | None]:
    with store.engine.connect() as conn:
        rows = conn.execute(select(battles.c.external_id, battles.c.language)).all()
    return {r[0]: r[1] for r in rows}


def test_fast_import_keeps_language(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("pyarrow")
    from modelarena.io import columnar

    taken = []
    real = columnar.import_columns
    monkeypatch.setattr(
        columnar, "import_columns", lambda *a, **k: taken.append(1) or real(*a, **k)
    )
    path = tmp_path / "log.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in ROWS) + "\n", "utf-8")
    store = Store.open(f"sqlite:///{tmp_path / 'i.db'}")
    import_file(path, catalog=load_catalog(), store=store)
    assert taken  # the columnar fast path took the file
    assert _languages(store) == {"q1": "en", "q2": "zh", "q3": None}


def test_row_import_keeps_language(tmp_path: Path) -> None:
    path = tmp_path / "log.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(ROWS[0]))
        writer.writeheader()
        for r in ROWS:
            writer.writerow({k: ("" if v is None else v) for k, v in r.items()})
    store = Store.open(f"sqlite:///{tmp_path / 'r.db'}")
    import_file(path, catalog=load_catalog(), store=store)
    assert _languages(store) == {"q1": "en", "q2": "zh", "q3": None}
