"""``arena landscape names FILE``: the resolution rate of a leaderboard file with its interval,
each name's entry, and the unresolved names with candidates, from JSON, CSV or a name list."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from modelarena.cli import landscape_names_cmd

runner = CliRunner()


def arena_app() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def _root() -> None:
        """Only the names command."""

    landscape_names_cmd.register(app)
    return app


@pytest.fixture(autouse=True)
def _no_user_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ARENA_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)


def run(*args: str) -> tuple[int, str]:
    result = runner.invoke(arena_app(), ["names", *args])
    return result.exit_code, result.output


BOARD = {
    "full": {
        "gpt-5-high": {"rating": 1440, "rating_q025": 1435, "rating_q975": 1445},
        "intellect-3": {"rating": 1350, "rating_q025": 1340, "rating_q975": 1360},
        "claude-opus-9-20300101-thinking": {
            "rating": 1500,
            "rating_q025": 1490,
            "rating_q975": 1510,
        },
        "kimi-k2-thinking-turbo": {"rating": 1420, "rating_q025": 1410, "rating_q975": 1430},
    },
    "coding": {"o3-2025-04-16": {"rating": 1400, "rating_q025": 1390, "rating_q975": 1410}},
}


def test_lmarena_json_rate_entries_and_unresolved(tmp_path):
    path = tmp_path / "board.json"
    path.write_text(json.dumps(BOARD))
    code, out = run(str(path), "--format", "json", "--top", "2")
    assert code == 0, out
    report = json.loads(out)
    assert report["n"] == 4 and report["ranked"] is True
    assert report["rate"]["resolved"] == 3 and report["rate"]["value"] == pytest.approx(0.75)
    assert report["rate"]["lower"] < 0.75 < report["rate"]["upper"]
    # rating order: the unknown model is first, so one of the top 2 resolves
    assert report["top2"]["resolved"] == 1 and report["top2"]["n"] == 2
    rows = {r["name"]: r for r in report["names"]}
    assert rows["gpt-5-high"]["model"] == "gpt-5" and rows["gpt-5-high"]["variant"] == "high"
    assert rows["intellect-3"]["country"] == "US"
    assert rows["intellect-3"]["lineage_country"] == "CN"
    unknown = rows["claude-opus-9-20300101-thinking"]
    assert unknown["model"] is None and unknown["country"] is None
    [miss] = report["unresolved"]
    assert miss["name"] == "claude-opus-9-20300101-thinking" and miss["rank"] == 1
    assert miss["nearest"] and miss["nearest"][0]["id"].startswith("claude-opus")
    code, out = run(str(path), "--format", "json", "--category", "coding")
    assert code == 0 and json.loads(out)["rate"]["resolved"] == 1


def test_table_says_the_rate_with_its_interval(tmp_path):
    path = tmp_path / "board.json"
    path.write_text(json.dumps(BOARD))
    code, out = run(str(path))
    assert code == 0, out
    assert "resolved: 75.0% (3/4; 95% CI" in out
    assert "claude-opus-9-20300101-thinking:" in out and "no country is guessed" in out


def test_a_name_list_and_a_csv_without_ratings(tmp_path):
    listing = tmp_path / "names.txt"
    listing.write_text("# names\nGPT-5 (High)\n\nClaude Opus 4.5\nmystery-model-x\n")
    code, out = run(str(listing), "--format", "json")
    assert code == 0, out
    report = json.loads(out)
    assert report["ranked"] is False and "top50" not in report
    assert [r["model"] for r in report["names"]] == ["gpt-5", "claude-opus-4.5", None]
    table = tmp_path / "models.csv"
    table.write_text("Model,Organization\nglm-4.6,Z.ai\nmistral-medium-2508,Mistral\n")
    code, out = run(str(table), "--format", "json")
    assert code == 0, out
    assert [r["model"] for r in json.loads(out)["names"]] == ["glm-4.6", "mistral-medium-3.1"]
    one_column = tmp_path / "one.csv"
    one_column.write_text("model\ngrok-4.1-thinking\n")
    code, out = run(str(one_column), "--format", "json")
    assert [r["model"] for r in json.loads(out)["names"]] == ["grok-4.1"]


def test_a_rated_csv_is_read_in_rating_order(tmp_path):
    table = tmp_path / "board.csv"
    table.write_text("model,rating\ngpt-4o-2024-05-13,1300\ngemini-3-pro,1490\n")
    code, out = run(str(table), "--format", "json")
    assert code == 0, out
    assert [r["model"] for r in json.loads(out)["names"]] == ["gemini-3-pro", "gpt-4o"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["missing.json"], "no such file: missing.json"),
        (["board.json", "--category", "vision"], "no category 'vision'"),
        (["board.json", "--format", "xml"], "unknown format 'xml'"),
        (["empty.txt"], "holds no model names"),
        (["bad.json"], "not valid JSON"),
    ],
)
def test_mistakes_are_one_line(tmp_path, args, message):
    (tmp_path / "board.json").write_text(json.dumps(BOARD))
    (tmp_path / "empty.txt").write_text("# nothing\n")
    (tmp_path / "bad.json").write_text("{not json")
    code, out = run(*args)
    assert code == 1
    assert message in out and "Traceback" not in out


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (bytes(range(256)) * 4, "is not UTF-8 text"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "is not UTF-8 text"),
        (b'{"model_a": "x", "winner": "model_a"}\n{"model_a": "y"}\n', "not valid JSON"),
    ],
)
def test_files_that_are_no_leaderboard_are_one_line(tmp_path, content, message):
    path = tmp_path / "board.json"
    path.write_bytes(content)
    code, out = run(str(path))
    assert code == 1 and message in out and "Traceback" not in out
