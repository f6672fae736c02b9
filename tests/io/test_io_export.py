"""Export writes every stored vote; the file imports back into the same pair counts."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from vote_log_files import WRITERS, battle_33k

from modelarena.battles.records import Answer, Verdict
from modelarena.battles.style import style_counts
from modelarena.catalog import Catalog
from modelarena.io import VoteLogError, export_file, import_file
from modelarena.io.exporters import COLUMNS
from modelarena.store import PairCells, Store


def seeded(store: Store, catalog: Catalog, tmp_path: Path) -> None:
    """Imported votes of every verdict, one not counted, plus an arena vote and a judge vote."""
    winners = ["model_a", "model_b", "tie", "tie (bothbad)"]
    rows = [
        battle_33k(
            i,
            ["vicuna-13b", "koala-13b", "gpt-4-0613"][i % 3],
            ["house-model", "claude-v1"][i % 2],
            winners[i % 4],
            anony=i % 5 != 0,
        )
        for i in range(20)
    ]
    rows[1]["conversation_a"][1]["content"] = '# Title\n- **a**, "quoted",\n- b\n\nline'
    rows[2]["category_tag"] = "website"
    import_file(WRITERS["jsonl"](tmp_path / "seed.jsonl", rows), catalog=catalog, store=store)
    battle = store.create_battle(
        category="game", model_a="qwen-x", model_b="llama-y", prompt="make snake"
    )
    store.save_answers(
        battle.id,
        [
            Answer(
                side=s,
                turn=0,
                prompt="make snake",
                content=f"<html>{s}</html>",
                style=style_counts(f"<html>{s}</html>"),
            )
            for s in "ab"
        ],
    )
    store.record_vote(battle.id, Verdict.B, voter="v1")
    store.record_vote(battle.id, Verdict.A, voter=None, source="judge:some-model")


def cells(c: PairCells) -> list[tuple[str, str, float, float, float]]:
    rows = zip(c.a, c.b, c.wins_a, c.wins_b, c.ties, strict=True)
    return sorted(
        (c.models[a], c.models[b], float(x), float(y), float(t)) for a, b, x, y, t in rows
    )


@pytest.mark.parametrize("fmt", ["json", "jsonl", "csv", "parquet"])
def test_round_trip(fmt: str, tmp_path: Path, store: Store, catalog: Catalog) -> None:
    seeded(store, catalog, tmp_path)
    path = tmp_path / f"out.{fmt}"
    assert export_file(store, path) == 22
    fresh = Store.open("sqlite:///" + str(tmp_path / "fresh.db"))
    try:
        report = import_file(path, catalog=catalog, store=fresh)
        assert dict(report.skipped) == {}
        before, after = store.pair_cells(), fresh.pair_cells()
        assert cells(before) == cells(after)
        judge = ["judge:some-model"]
        assert cells(store.pair_cells(sources=judge)) == cells(fresh.pair_cells(sources=judge))
        # every vote comes back, counted or not, with its reason
        assert fresh.filtered_vote_summary() == store.filtered_vote_summary()
        a, b = store.vote_arrays(), fresh.vote_arrays()
        np.testing.assert_array_equal(a.style_a, b.style_a)
        np.testing.assert_array_equal(a.outcome, b.outcome)
        np.testing.assert_array_equal(a.day, b.day)
        battles = {x.category: x for x in fresh.recent_battles(limit=50)}
        assert set(battles) == {"chat", "website", "game"}
        assert battles["game"].conversation("a") == [("make snake", "<html>a</html>")]
        texts = [x.conversation("a")[0][1] for x in fresh.recent_battles(limit=50)]
        assert '# Title\n- **a**, "quoted",\n- b\n\nline' in texts
    finally:
        fresh.close()


def test_columns_and_values(tmp_path: Path, store: Store, catalog: Catalog) -> None:
    seeded(store, catalog, tmp_path)
    path = tmp_path / "out.jsonl"
    export_file(store, path)
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    assert list(rows[0]) == list(COLUMNS)
    assert [r["winner"] for r in rows[:4]] == ["model_a", "model_b", "tie", "tie (bothbad)"]
    assert (rows[0]["counted"], rows[0]["reason"]) == (False, "imported_non_anonymous")
    assert rows[0]["external_id"] == "q0" and rows[0]["tstamp"] == pytest.approx(1682351591.1322)
    assert rows[-1]["source"] == "judge:some-model"
    assert rows[1]["conv_metadata"]["header_count_a"] == 1


def test_counted_only(tmp_path: Path, store: Store, catalog: Catalog) -> None:
    seeded(store, catalog, tmp_path)
    assert export_file(store, tmp_path / "c.csv", counted_only=True) == 18  # 16 + arena + judge


def test_empty_store_exports_an_empty_file(tmp_path: Path, store: Store) -> None:
    assert export_file(store, tmp_path / "e.json") == 0
    assert json.loads((tmp_path / "e.json").read_text()) == []


def test_unknown_extension(tmp_path: Path, store: Store) -> None:
    with pytest.raises(VoteLogError, match="cannot tell the format"):
        export_file(store, tmp_path / "out.xlsx")
    assert export_file(store, tmp_path / "out.xlsx", fmt="csv") == 0
