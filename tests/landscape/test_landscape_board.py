"""Who leads among open models, on the hand-written published board (every figure counted
by hand in the comments), on CSV tables with organisation and licence columns, by lineage,
and the rank agreement of two boards."""

from __future__ import annotations

from pathlib import Path

import pytest

from modelarena.catalog import load_catalog
from modelarena.landscape.board import RatedModel, open_board, rank_agreement
from modelarena.landscape.inputs import rated_models as rated
from modelarena.landscape.snapshots import LandscapeError, read_board_file

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def catalog():  # type: ignore[no-untyped-def]
    return load_catalog()


def test_the_json_board_gives_the_figures_counted_by_hand(catalog) -> None:  # type: ignore[no-untyped-def]
    boards = read_board_file(DATA / "published_board.json")
    assert sorted(boards) == ["coding", "full"]
    board = open_board("lmarena", rated(boards["full"]), catalog).to_dict()
    # open, by rating: kimi 1410, r1 1400, qwen 1395, glm 1390, v3.1 1385, gpt-oss 1380,
    # minimax 1375, mystery (licence Apache: open, country unknown) 1370, mistral 1360,
    # gemma 1350, llama 1330; gpt-5 and claude are closed
    assert len(board["open_models"]) == 11
    us = board["best_open"]["US"]
    assert us["model"] == "gpt-oss-120b"
    assert us["rank"] == 6  # five open models rate higher
    assert us["rank_overall"] == 8  # and gpt-5 and claude above those
    # best place: 1 + open models whose lower bound is above 1388 (kimi 1400, r1 1392)
    assert us["rank_upper"] == 3
    # worst place: open models whose upper bound reaches 1372: all but mistral, gemma, llama
    assert us["rank_lower"] == 8
    cn = board["best_open"]["CN"]
    assert (cn["model"], cn["rank"], cn["rank_upper"], cn["rank_lower"], cn["rank_overall"]) == (
        "kimi-k2-thinking-turbo",
        1,
        1,
        4,
        3,
    )
    # CN open models above 1380: kimi, r1, qwen, glm, v3.1 from Moonshot, DeepSeek (2),
    # Alibaba, Zhipu; lower bound above gpt-oss's upper 1388: kimi (1400), r1 (1392) only
    assert board["above_best"] == 5
    assert board["above_best_labs"] == 4
    assert board["above_best_separated"] == 2
    assert board["share_top10"]["counts"] == {"CN": 6, "US": 2, "unknown": 1, "FR": 1}
    assert board["share_top10"]["shares"]["CN"] == 0.6
    # rank ranges: mistral (7-10) and gemma (7-11) are 9th and 10th; gemma could be 11th,
    # and llama (10-11), 11th, could be 10th
    assert board["share_top10"]["might_leave"] == ["gemma-3-27b-it"]
    assert board["share_top10"]["might_enter"] == ["llama-4-maverick"]
    assert board["share_top20"]["of"] == 11
    assert board["share_top20"]["counts"]["US"] == 3
    # a variant pools under its model and says so; an unknown name gets no country
    kimi = board["open_models"][0]
    assert (kimi["catalog_id"], kimi["variant"]) == ("kimi-k2-thinking", "turbo")
    assert [u["model"] for u in board["unresolved"]] == ["mystery-model-x"]
    assert board["best_open"]["unknown"]["model"] == "mystery-model-x"


def test_the_two_countries_can_be_swapped(catalog) -> None:  # type: ignore[no-untyped-def]
    rows = rated(read_board_file(DATA / "published_board.json")["full"])
    board = open_board("x", rows, catalog, countries=("US", "CN"))
    assert (board.above_best, board.above_best_labs, board.above_best_separated) == (0, 0, 0)
    board = open_board("x", rows, catalog, countries=("FR", "US"))
    assert board.above_best == 0
    board = open_board("x", rows, catalog, countries=("CN", "DE"))
    assert board.above_best is None  # no open German model: nothing to be above


def test_a_csv_table_reads_like_the_json_and_its_columns_are_checked(catalog) -> None:  # type: ignore[no-untyped-def]
    csv_rows = read_board_file(DATA / "published_board.csv")["full"]
    json_rows = read_board_file(DATA / "published_board.json")["full"]
    assert [(r.model, r.rating, r.rating_lower, r.rating_upper) for r in csv_rows] == [
        (r.model, r.rating, r.rating_lower, r.rating_upper) for r in json_rows
    ]
    board = open_board("csv", rated(csv_rows), catalog)
    assert board.above_best == 5 and board.above_best_separated == 2
    found = {(d["model"], d["field"]) for d in board.disagreements}
    # the file says Meta made Gemma and that Llama 4 is proprietary: both reported
    assert found == {("gemma-3-27b-it", "organization"), ("llama-4-maverick", "open_weights")}
    # the file's licence decides for a model the catalog lacks, the catalog otherwise
    assert any(r["model"] == "mystery-model-x" for r in board.open_models)
    assert any(r["model"] == "llama-4-maverick" for r in board.open_models)


def test_lineage_counts_a_fine_tune_under_its_base_models_country(catalog) -> None:  # type: ignore[no-untyped-def]
    tuned = [e for e in catalog if e.base_model and e.lineage_country != e.country]
    assert tuned, "the catalog should hold a fine-tune across countries"
    e = tuned[0]
    rows = [
        RatedModel(e.id, 1400, 1390, 1410, open_weights=True),
        RatedModel("gpt-oss-120b", 1300, 1290, 1310),
    ]
    dev = open_board("x", rows, catalog, countries=(e.lineage_country, "US"), by="developer")
    lin = open_board("x", rows, catalog, countries=(e.lineage_country, "US"), by="lineage")
    assert dev.open_models[0]["country"] == e.country
    assert lin.open_models[0]["country"] == e.lineage_country
    assert lin.above_best == 1 and lin.by == "lineage"


def test_a_board_without_intervals_separates_nothing(catalog) -> None:  # type: ignore[no-untyped-def]
    rows = [RatedModel("kimi-k2", 1400), RatedModel("gpt-oss-120b", 1300)]
    board = open_board("x", rows, catalog)
    assert board.above_best == 1 and board.above_best_separated is None
    assert not board.has_intervals


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("bad.json", bytes(range(256)), "not a UTF-8 text file"),
        ("bad.json", b"", "empty"),
        ("bad.json", b"{not json", "not valid JSON"),
        ("t.csv", b"name,votes\nx,3\n", "no rating column; name one of"),
        ("t.csv", b"model,rating,95% CI\nx,1300,about ten\n", "is not like"),
        ("t.csv", b"model,rating,lower,upper\nx,1300,1310,1320\n", "does not hold its rating"),
    ],
)
def test_a_bad_board_file_is_a_one_line_error(
    tmp_path: Path, name: str, content: bytes, message: str
) -> None:
    bad = tmp_path / name
    bad.write_bytes(content)
    with pytest.raises(LandscapeError, match=message):
        read_board_file(bad)


def test_user_mistakes_are_one_line_errors_naming_the_fix(tmp_path: Path, catalog) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(LandscapeError, match="no such file"):
        read_board_file(tmp_path / "missing.json")
    closed = [RatedModel("gpt-5", 1400, 1390, 1410), RatedModel("claude-opus-4", 1390)]
    with pytest.raises(LandscapeError, match="no open-weight model"):
        open_board("x", closed, catalog)
    with pytest.raises(LandscapeError, match="empty"):
        open_board("x", [], catalog)


def test_rank_agreement_is_exact_at_the_extremes_and_has_an_interval(catalog) -> None:  # type: ignore[no-untyped-def]
    names = ["gpt-5", "kimi-k2", "glm-4.6", "deepseek-r1", "gpt-oss-120b", "qwq-32b"]
    a = [RatedModel(n, 1400 - 10 * i) for i, n in enumerate(names)]
    same = rank_agreement("a", a, "b", a, catalog, resamples=200)
    assert same.spearman == 1.0 and same.kendall == 1.0 and same.shared == 6
    reverse = [RatedModel(n, 1300 + 10 * i) for i, n in enumerate(names)]
    opposite = rank_agreement("a", a, "b", reverse, catalog, resamples=200)
    assert opposite.spearman == -1.0 and opposite.kendall == -1.0
    # one swap of six: tau = (15 - 2) / 15, rho = 1 - 6 * 2 / (6 * 35)
    swapped = [RatedModel(n, 1400 - 10 * i) for i, n in enumerate(names)]
    swapped[0], swapped[1] = RatedModel(names[0], 1390), RatedModel(names[1], 1400)
    one = rank_agreement("a", a, "b", swapped, catalog, resamples=500)
    assert one.kendall == pytest.approx(13 / 15, abs=1e-4)
    assert one.spearman == pytest.approx(1 - 12 / 210, abs=1e-4)
    assert one.kendall_ci[0] <= one.kendall <= one.kendall_ci[1]
    assert one.kendall_ci[0] < one.kendall_ci[1]
    # a dated variant on one board matches its model on the other
    dated = [RatedModel("gpt-5-2025-08-07" if m.name == "gpt-5" else m.name, m.rating) for m in a]
    assert rank_agreement("a", a, "b", dated, catalog, resamples=100).shared == 6
    with pytest.raises(LandscapeError, match="share 2 model"):
        rank_agreement("a", a[:2], "b", a[:2], catalog)


def test_pooling_keeps_one_row_per_model(catalog) -> None:  # type: ignore[no-untyped-def]
    rows = rated(read_board_file(DATA / "published_board.json")["full"])
    rows.append(RatedModel("kimi-k2-thinking", 1405, 1395, 1415))  # a second row of one model
    plain = open_board("x", rows, catalog)
    assert plain.above_best == 6 and plain.above_best_labs == 4
    pooled = open_board("x", rows, catalog, pool_variants=True)
    assert pooled.above_best == 5 and pooled.pooled
    assert [r["model"] for r in pooled.open_models[:2]] == [
        "kimi-k2-thinking-turbo",
        "deepseek-r1-0528",
    ]
    assert "pooled" in pooled.method


def test_lmarenas_dataset_table_columns(tmp_path: Path) -> None:
    table = tmp_path / "lmarena.csv"
    table.write_text(
        "model_name,organization,license,rating,rating_lower,rating_upper,vote_count,category\n"
        "glm-4.6,Zhipu,MIT,1390,1380,1400,3000,text\n"
        "gpt-5-2025-08-07,OpenAI,Proprietary,1440,1430,1450,9000,text\n"
        "glm-4.6,Zhipu,MIT,1300,1280,1320,500,webdev\n"
    )
    boards = read_board_file(table)
    assert sorted(boards) == ["text", "webdev"]
    top = boards["text"][0]
    assert (top.model, top.rating_lower, top.votes, top.open_weights) == (
        "gpt-5-2025-08-07",
        1430,
        9000,
        False,
    )
    assert boards["text"][1].organization == "Zhipu" and boards["text"][1].open_weights is True
