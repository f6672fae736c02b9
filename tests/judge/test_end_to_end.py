"""End to end against the real llama.cpp server with the bundled model.

SmolLM2-135M plays both contestant and judge: its verdicts are poor, but every step runs
for real (OpenAI-compatible streaming, the swap, parsing, storage, leaderboard, reports).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from modelarena.arena import Arena
from modelarena.backends.base import Backend, GenerationSettings, Message
from modelarena.battles.records import Verdict
from modelarena.cli import judge_cmd
from modelarena.config import load_settings
from modelarena.judge.prompts import load_prompts
from modelarena.judge.report import RunOptions
from modelarena.judge.runner import JudgeRun
from modelarena.leaderboard import LeaderboardFilters, compute_leaderboard
from modelarena.runs.cache import Cache
from modelarena.store import Store

pytestmark = [pytest.mark.llama, pytest.mark.slow]

# Short questions the tiny judge happens to give readable labels for (at temperature 0).
PROMPTS = [
    "What is the capital of France?",
    "What colour is the sky on a clear day?",
    "Write one sentence about cats.",
]


def write_config(
    tmp_path: Path, server: Any, *, max_tokens: int = 32, priced: bool = False
) -> Path:
    models = ""
    for name, extra in (("small-a", ""), ("small-b", 'system_prompt = "Answer like a pirate."')):
        models += f"""
[[models]]
id = "{name}"
catalog = "smollm2-135m-instruct"
backend = "openai"
base_url = "{server.base_url}"
model = "{server.model_name}"
max_tokens = {max_tokens}
temperature = 0.0
seed = 1
# llama_cpp.server answers one request at a time (it interrupts the one in flight)
max_concurrency = 1
{extra}
"""
    catalog = ""
    if priced:
        catalog = """
[[catalog]]
id = "smollm2-135m-instruct"
price_input_per_m = 1000.0
price_output_per_m = 1000.0
"""
    path = tmp_path / "arena.toml"
    path.write_text(f'database_url = "sqlite:///{tmp_path / "arena.db"}"\n{models}{catalog}')
    return path


def cli() -> typer.Typer:
    app = typer.Typer()
    judge_cmd.register(app)
    return app


def invoke(*args: str) -> Any:
    result = CliRunner().invoke(cli(), list(args))
    assert result.exit_code == 0, result.output
    return result


def test_judge_run_stores_votes_leaderboard_agreement_and_cost(
    tmp_path: Path, llama_server: Any
) -> None:
    config = write_config(tmp_path, llama_server)
    prompts = tmp_path / "prompts.txt"
    prompts.write_text("\n".join(PROMPTS) + "\n")
    work = tmp_path / "work"
    result = invoke(
        "judge",
        "run",
        "-c",
        str(config),
        "--prompts",
        str(prompts),
        "--work-dir",
        str(work),
        "--no-progress",
        "--json",
    )
    report = json.loads(result.output)
    assert report["source"] == "judge:small-a"
    assert report["battles_stored"] == 3
    assert report["answers_generated"] == 6
    assert 1 <= report["judgments_generated"] <= 6
    assert report["failures"] == []

    store = Store.open(load_settings(config).database_url)
    rows = [r for r in store.export_rows() if r["source"] == "judge:small-a"]
    assert len(rows) == 3
    counted = [r for r in rows if r["counted"]]
    assert counted, "the bundled judge gave no readable verdict on the chosen prompts"
    assert len(counted) == report["votes_counted"]
    for r in rows:
        detail = json.loads(r["detail"])
        assert [p["order"] for p in detail["passes"]] == ["ab", "ba"]
        assert all(p["text"] for p in detail["passes"])  # the judge's reasoning is kept
        if not r["counted"]:
            assert r["reason"] == "judge_unparseable"
        assert store.get_battle(r["battle_id"]).source == "judge"

    board = compute_leaderboard(store, lambda m: _Info(m), LeaderboardFilters(source="judge"))
    assert {row.model for row in board.rows} == {"small-a", "small-b"}
    assert board.total_votes == len(counted)
    assert compute_leaderboard(store, lambda m: _Info(m)).rows == []  # humans: none yet

    # a few human votes on the same battles
    for r in rows:
        store.record_vote(r["battle_id"], Verdict.A, voter="person")
    store.close()
    agreement = json.loads(
        invoke("judge", "agreement", "-c", str(config), "--json", "--rounds", "50").output
    )
    assert agreement["judge_source"] == "judge:small-a"
    assert agreement["battles_both"] == len(counted)
    assert agreement["agreement"]["n"] == len(counted)
    assert agreement["judge_votes"] == 3
    text = invoke("judge", "agreement", "-c", str(config), "--rounds", "50").output
    assert "Cohen's kappa" in text and "position bias" in text

    cost = json.loads(
        invoke("judge", "cost", "-c", str(config), "--work-dir", str(work), "--json").output
    )
    by = {(r["role"], r["model"]): r for r in cost}
    assert by[("model", "small-a")]["calls"] == 3
    assert by[("model", "small-b")]["calls"] == 3
    assert by[("judge", "small-a")]["calls"] == report["judgments_generated"]
    assert by[("model", "small-a")]["completion_tokens"] > 0
    assert "unpriced" in invoke("judge", "cost", "-c", str(config), "--work-dir", str(work)).output

    # the same command again reuses everything: no new answer, judgment, battle or vote
    again = json.loads(
        invoke(
            "judge",
            "run",
            "-c",
            str(config),
            "--prompts",
            str(prompts),
            "--work-dir",
            str(work),
            "--no-progress",
            "--json",
        ).output
    )
    assert (again["answers_generated"], again["judgments_generated"]) == (0, 0)
    assert (again["battles_stored"], again["battles_reused"]) == (0, 3)
    store = Store.open(load_settings(config).database_url)
    assert len([r for r in store.export_rows() if r["source"] == "judge:small-a"]) == 3
    store.close()


class _Info:
    def __init__(self, model: str) -> None:
        self.id = model
        self.display_name = model
        self.entry = None
        self.open_weights = self.country = self.license_class = self.lab = None
        self.license = None


class Counting:
    """Wraps a real backend and records every request it is sent."""

    def __init__(self, inner: Backend, name: str, calls: list[tuple[str, str]]) -> None:
        self.inner, self.name, self.calls = inner, name, calls

    def stream(self, messages: list[Message], settings: GenerationSettings) -> Any:
        self.calls.append((self.name, json.dumps([m.content for m in messages])))
        return self.inner.stream(messages, settings)

    async def aclose(self) -> None:
        await self.inner.aclose()


async def test_interrupted_run_resumes_without_generating_twice(
    tmp_path: Path, llama_server: Any
) -> None:
    config = write_config(tmp_path, llama_server, max_tokens=16, priced=True)
    settings = load_settings(config)
    prompts = [p for p in load_prompts("builtin") if p.category == "chat"][:2]
    calls: list[tuple[str, str]] = []
    cache_path = tmp_path / "resume.jsonl"

    async def run(budget: float | None) -> Any:
        arena = Arena(settings, Store.open(settings.database_url))
        wrapped: dict[str, Counting] = {}

        def backend_for(model: str) -> Backend:
            if model not in wrapped:
                wrapped[model] = Counting(arena.backend(model), model, calls)
            return wrapped[model]

        job = JudgeRun(
            arena,
            prompts,
            RunOptions(
                models=["small-a", "small-b"], judge="small-a", budget_usd=budget, concurrency=1
            ),
            Cache(cache_path),
            backend_for=backend_for,
        )
        try:
            return await job.run()
        finally:
            await arena.aclose()
            arena.store.close()

    # At these made-up prices an answer's worst case is ~$0.1 and a judgment's ~$0.45:
    # the budget runs out somewhere among the judgments.
    first = await run(0.9)
    assert first.stopped_by_budget
    n_first = len(calls)
    assert first.answers_generated + first.judgments_generated == n_first
    assert 0 < n_first < 8
    assert first.spent_usd <= 0.9
    second = await run(None)
    assert not second.stopped_by_budget
    assert second.battles == 2
    assert len(calls) == len(set(calls)), "a request was sent twice"
    assert second.answers_generated + second.judgments_generated == len(calls) - n_first
    assert second.answers_reused == first.answers_generated
    assert second.judgments_reused == first.judgments_generated


def test_main_app_has_the_judge_group() -> None:
    from modelarena.cli.main import app

    result = CliRunner().invoke(app, ["judge", "--help"])
    assert result.exit_code == 0
    for command in ("run", "agreement", "cost", "prompts", "battles"):
        assert command in result.output


def test_prompts_commands(tmp_path: Path) -> None:
    src = tmp_path / "log.jsonl"
    src.write_text(
        json.dumps(
            {
                "question_id": "q",
                "conversation_a": [
                    {"role": "user", "content": "Hi there"},
                    {"role": "assistant", "content": "Hello"},
                ],
            }
        )
        + "\n"
    )
    out = invoke("judge", "prompts", "import", str(src), "--out", str(tmp_path / "o.jsonl"))
    assert "Imported 1 prompts (chat 1)" in out.output
    assert json.loads((tmp_path / "o.jsonl").read_text())["prompt"] == "Hi there"
    shown = invoke("judge", "prompts", "show", "builtin", "-n", "2").output
    assert shown.startswith("100 prompts")
    bad = CliRunner().invoke(cli(), ["judge", "prompts", "show", str(tmp_path / "nope.txt")])
    assert bad.exit_code == 1
