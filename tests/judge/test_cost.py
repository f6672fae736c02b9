"""Cost report: tokens and dollars per model and per judge, each paid item once."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from modelarena.judge.cost import cost_report, total_usd


def entry(kind: str, key: str, model: str, p: int, c: int, **extra: object) -> str:
    return json.dumps(
        {
            "kind": kind,
            "key": key,
            "model": model,
            "prompt_tokens": p,
            "completion_tokens": c,
            **extra,
        }
    )


def test_costs_by_model_and_judge(tmp_path: Path) -> None:
    run1 = tmp_path / "one.jsonl"
    run1.write_text(
        "\n".join(
            [
                entry("answer", "k1", "cheap", 1000, 2000),
                entry("answer", "k2", "free", 500, 500, tokens_estimated=True),
                entry("judgment", "j1", "cheap", 3000, 100),
                json.dumps({"kind": "battle", "key": "b1", "battle_id": "x"}),
                '{"kind": "answer", "key": "cut by a cra',  # an interrupted line is skipped
            ]
        )
        + "\n"
    )
    run2 = tmp_path / "two.jsonl"
    run2.write_text(entry("answer", "k1", "cheap", 1000, 2000) + "\n")  # reused, paid once

    prices = {"cheap": (1.0, 2.0)}  # USD per million in, out

    def price(model: str, p: int, c: int) -> float | None:
        if model not in prices:
            return None
        i, o = prices[model]
        return (p * i + c * o) / 1e6

    rows = cost_report([run1, run2], price)
    table = {(r.role, r.model): r for r in rows}
    assert set(table) == {("model", "cheap"), ("model", "free"), ("judge", "cheap")}
    cheap = table[("model", "cheap")]
    assert (cheap.calls, cheap.prompt_tokens, cheap.completion_tokens) == (1, 1000, 2000)
    assert cheap.cost_usd == pytest.approx(0.005)
    assert table[("judge", "cheap")].cost_usd == pytest.approx(0.0032)
    assert table[("model", "free")].cost_usd is None
    assert table[("model", "free")].estimated_tokens
    total, unpriced = total_usd(rows)
    assert total == pytest.approx(0.0082)
    assert unpriced
