"""Quality against price: the Pareto frontier, prices from the vendored price table then
the catalog, the measured cost of 1,000 answers from logged tokens, self-hosting by the
GPU-hour, and the win probability against an anchor per dollar."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import sqlalchemy as sa

from landscape.landscape_cli import db_url, duel, import_board, invoke_json, runner
from modelarena.catalog import load_catalog
from modelarena.cli.main import app
from modelarena.landscape.board import RatedModel
from modelarena.landscape.cost import (
    PriceTable,
    SelfHosting,
    cost_report,
    entry_price,
    pareto_frontier,
    win_probability,
)
from modelarena.landscape.snapshots import LandscapeError
from modelarena.store import Store
from modelarena.store.landscape_snapshots import TokenUsage
from modelarena.store.schema import answers, battles


def usage(model: str, n: int, prompt: float, completion: float, seconds: float = 0.0) -> TokenUsage:
    """Every answer alike: second moments are the squares of the means."""
    return TokenUsage(
        model,
        n,
        n,
        prompt,
        completion,
        0.0,
        seconds or None,
        prompt**2,
        completion**2,
        prompt * completion,
    )


def test_the_pareto_frontier_keeps_what_nothing_cheaper_beats() -> None:
    points = [
        ("a", 1.0, 1300),
        ("b", 2.0, 1290),
        ("c", 3.0, 1350),
        ("d", 0.5, 1200),
        ("e", 3.0, 1340),
        ("f", 10.0, 1350),
    ]
    # b costs more than a and rates lower; e ties c's price and rates lower; f ties c's
    # rating at a higher price
    assert pareto_frontier(points) == ["d", "a", "c"]


def test_prices_prefer_the_labs_own_api_then_the_median_then_the_catalog() -> None:
    table = PriceTable("t", "2026-01-01")
    table.by_name["kimi-k2"] = [
        ("together_ai", 1.0, 3.0),
        ("moonshot", 0.6, 2.5),
        ("fireworks_ai", 0.5, 2.0),
    ]
    table.by_name["glm-4-6"] = [("a", 1.0, 1.0), ("b", 2.0, 5.0), ("c", 4.0, 6.0), ("d", 0, 0)]
    catalog = load_catalog()
    kimi = entry_price(catalog.get("kimi-k2"), "kimi-k2", table)
    assert kimi is not None and (kimi.input_per_m, kimi.output_per_m) == (0.6, 2.5)
    assert kimi.source == "t (2026-01-01), moonshot"
    glm = entry_price(catalog.get("glm-4.6"), "glm-4.6", table)  # free tier left out
    assert glm is not None and (glm.input_per_m, glm.output_per_m) == (2.0, 5.0)
    assert "median of 3 providers" in glm.source
    gpt5 = catalog.get("gpt-5")
    assert gpt5 is not None
    fallback = entry_price(gpt5, "gpt-5", table)  # not in this table: the catalog's price
    assert fallback is not None and fallback.source == "catalog"
    assert fallback.blended_per_m == (3 * gpt5.price_input_per_m + gpt5.price_output_per_m) / 4  # type: ignore[operator]
    assert entry_price(None, "unknown-model", table) is None


def test_the_vendored_table_has_first_party_prices() -> None:
    table = PriceTable.vendored()
    catalog = load_catalog()
    price = entry_price(catalog.get("claude-sonnet-4.5"), "claude-sonnet-4.5", table)
    assert price is not None and price.source.endswith("anthropic")
    assert price.source.startswith("litellm 1.110.2 (2026-11-30)")
    assert (Path(__file__).parents[2] / "src/modelarena/landscape/data/litellm_LICENSE").is_file()


def test_cost_of_1000_answers_and_win_probability_per_dollar() -> None:
    catalog = load_catalog()
    table = PriceTable("t", "d")
    table.by_name["kimi-k2"] = [("moonshot", 1.0, 2.0)]
    table.by_name["gpt-5"] = [("openai", 2.0, 8.0)]
    models = [RatedModel("gpt-5", 1400, 1390, 1410), RatedModel("kimi-k2", 1400 - 400, 990, 1010)]
    logged = {"kimi-k2": usage("kimi-k2", 50, 100, 300), "gpt-5": usage("gpt-5", 40, 100, 1000)}
    report = cost_report(models, catalog, logged, table=table)
    assert report.anchor == "gpt-5"  # the best-rated priced model by default
    kimi = next(r for r in report.rows if r.model == "kimi-k2")
    # 1,000 x (100 x 1 + 300 x 2) / 1e6 USD
    assert kimi.cost_1k == pytest.approx(0.7)
    assert (kimi.cost_1k_lower, kimi.cost_1k_upper) == (pytest.approx(0.7), pytest.approx(0.7))
    assert kimi.blended_per_m == (3 * 1 + 2) / 4
    # 400 points below the anchor: 1 / (1 + 10)
    assert kimi.win_prob == round(1 / 11, 4)
    assert kimi.win_prob_per_usd_1k == round(round(1 / 11, 4) / 0.7, 4)
    assert kimi.win_prob_lower == round(win_probability(990, 1400), 4)
    gpt = next(r for r in report.rows if r.model == "gpt-5")
    assert gpt.win_prob == 0.5 and gpt.cost_1k == pytest.approx(1000 * (200 + 8000) / 1e6)
    assert report.frontier == ["kimi-k2", "gpt-5"]
    # a spread of tokens widens the interval: the normal interval over answers
    spread = TokenUsage("kimi-k2", 100, 100, 100, 300, 0, None, 100**2, 300**2 + 100**2, 100 * 300)
    wide = cost_report(models, catalog, {"kimi-k2": spread}, table=table, anchor="gpt-5")
    row = next(r for r in wide.rows if r.model == "kimi-k2")
    half = 1000 * 1.96 * (2e-6 * 100) / math.sqrt(100)
    assert row.cost_1k_upper == pytest.approx(0.7 + half, abs=1e-4)


def test_a_self_hosted_model_is_priced_by_the_gpu_hour() -> None:
    catalog = load_catalog()
    models = [RatedModel("smollm2-135m-instruct", 1000, 990, 1010), RatedModel("gpt-5", 1400)]
    logged = {"smollm2-135m-instruct": usage("smollm2-135m-instruct", 10, 50, 300, seconds=6)}
    # measured: 300 tokens in 6 s = 50 tokens/s; 2 USD/h -> 2 / (50 x 3600) x 1e6 per M
    report = cost_report(models, catalog, logged, table=None, hosting=SelfHosting(2.0))
    row = next(r for r in report.rows if r.model == "smollm2-135m-instruct")
    assert row.output_per_m == pytest.approx(2 / (50 * 3600) * 1e6, abs=1e-3)
    assert row.price_source is not None and "measured" in row.price_source
    assert row.cost_1k == pytest.approx(1000 * 6 * 2 / 3600, abs=1e-3)  # GPU time per answer
    given = cost_report(models, catalog, logged, hosting=SelfHosting(2.0, tokens_per_s=100))
    row = next(r for r in given.rows if r.model == "smollm2-135m-instruct")
    assert row.output_per_m == pytest.approx(2 / (100 * 3600) * 1e6, abs=1e-3)
    unpriced = cost_report(models, catalog, logged, table=None)
    assert unpriced.unpriced == ["smollm2-135m-instruct"]


def test_mistakes() -> None:
    catalog = load_catalog()
    with pytest.raises(LandscapeError, match="no rated models"):
        cost_report([], catalog, {})
    with pytest.raises(LandscapeError, match="anchor 'nope' is not on the board"):
        cost_report([RatedModel("gpt-5", 1400)], catalog, {}, anchor="nope")


def test_tokens_logged_by_the_arena_and_the_command(tmp_path: Path) -> None:
    db = db_url(tmp_path)
    store = Store.open(db)
    answered = {"prompt": "p", "answer_a": "x", "answer_b": "y"}
    store.import_battles(
        duel("kimi-k2", "gpt-oss-120b", 40, 60, "a", **answered)
        + duel("gpt-5", "kimi-k2", 45, 60, "b", **answered)
    )
    side_model = sa.case((answers.c.side == "a", battles.c.model_a), else_=battles.c.model_b)
    with store.engine.begin() as conn:
        ids = conn.execute(
            sa.select(answers.c.id, side_model).join(battles, battles.c.id == answers.c.battle_id)
        ).all()
        for n, (answer_id, model) in enumerate(ids):
            completion = {"kimi-k2": 2000 + (n % 2) * 1000, "gpt-5": 500}.get(model)
            conn.execute(
                sa.update(answers)
                .where(answers.c.id == answer_id)
                .values(prompt_tokens=100, completion_tokens=completion, total_time_s=2.0)
            )
    got = {u.model: u for u in store.landscape.token_usage()}
    assert got["kimi-k2"].answers == 120 and got["kimi-k2"].with_tokens == 120
    assert got["kimi-k2"].completion_tokens == pytest.approx(2500, abs=1e-6)
    assert got["kimi-k2"].completion_sq == pytest.approx((2000**2 + 3000**2) / 2, rel=1e-3)
    assert got["gpt-oss-120b"].with_tokens == 0  # the server reported no counts
    data = invoke_json("landscape", "cost", "--db", db, "--anchor", "gpt-5")
    kimi = next(row for row in data["rows"] if row["model"] == "kimi-k2")
    assert kimi["completion_tokens"] == 2500.0 and kimi["price_source"].startswith("litellm")
    assert kimi["cost_1k"] > 0 and kimi["cost_1k_lower"] < kimi["cost_1k"] < kimi["cost_1k_upper"]
    expected = 1000 * (100 * kimi["input_per_m"] + 2500 * kimi["output_per_m"]) / 1e6
    assert kimi["cost_1k"] == pytest.approx(expected, abs=1e-3)
    assert data["anchor"] == "gpt-5"
    # a published board's ratings with the arena's tokens, matched through the catalog
    import_board(db, "lm", "2025-11-20")
    data = invoke_json("landscape", "cost", "--db", db, "--snapshot", "lm")
    gpt = next(row for row in data["rows"] if row["model"] == "gpt-5-2025-08-07")
    assert gpt["completion_tokens"] == 500.0 and gpt["answers"] == 60
    assert data["anchor"] == "gpt-5-2025-08-07"
    r = runner.invoke(app, ["landscape", "cost", "--db", db, "--tokens-per-s", "5"])
    assert r.exit_code == 1 and "need --gpu-hour" in r.output
    r = runner.invoke(app, ["landscape", "cost", "--db", db, "--anchor", "nope"])
    assert r.exit_code == 1 and "is not on the board" in r.output
    r = runner.invoke(app, ["landscape", "cost", "--db", db])
    assert r.exit_code == 0 and "Pareto" in r.output
