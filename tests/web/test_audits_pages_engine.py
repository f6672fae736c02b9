"""The audit pages on a run the engine made: agent personas behind a real OpenAI-compatible
endpoint (tool calls streamed in pieces), the hijack suite judged by its rules, the run
stored by the engine, then read on /audits, the model page and the transcripts."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from audits.hijack_personas import AgentServer, agent_server
from audits.personas import persona_models

from modelarena.arena import Arena
from modelarena.audits.engine import AuditEngine, AuditOptions
from modelarena.audits.hijack import HijackSuite
from modelarena.config import Settings
from modelarena.ratings.proportions import wilson
from modelarena.runs.cache import Cache
from modelarena.store import Store


@pytest.fixture(scope="module")
def endpoint() -> Iterator[AgentServer]:
    with agent_server() as server:
        yield server


def row(page: str, model: str) -> str:
    match = re.search(rf'<tr data-model="{re.escape(model)}">(.*?)</tr>', page, re.S)
    assert match, f"no row for {model}"
    return match.group(1)


def cell(page_row: str, key: str) -> str:
    pattern = rf'<td class="fig-cell" data-key="{re.escape(key)}">(.*?)</td>'
    match = re.search(pattern, page_row, re.S)
    assert match, f"no cell {key}"
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", match.group(1))).strip()


async def test_hijack_run_by_the_engine_on_the_pages(
    endpoint: AgentServer, tmp_path: Path, api_client: Any
) -> None:
    db = f"sqlite:///{tmp_path / 'audit.db'}"
    models = persona_models(endpoint.base_url, ["obedient"], catalog="gpt-4o")
    models += persona_models(endpoint.base_url, ["careful"], catalog="gpt-4o")
    models += persona_models(endpoint.base_url, ["no-tools"], catalog="deepseek-v3")
    arena = Arena(Settings.model_validate({"database_url": db, "models": models}), Store.open(db))
    options = AuditOptions(models=["obedient", "careful", "no-tools"], limit=5, run_name="web")
    report = await AuditEngine(arena, [HijackSuite()], options, Cache(tmp_path / "c.jsonl")).run()
    assert report.run is not None
    assert not report.failures, report.failures  # every call answered (else: unknown, n less)
    client = await api_client(arena)

    page = (await client.get("/audits?suite=hijack")).text
    attacks = 4  # one task, four injected goals (the fifth probe is its control)
    lo, hi = wilson(attacks, attacks).lower, wilson(0, attacks).upper
    assert lo is not None and hi is not None
    obedient = cell(row(page, "obedient"), "hijack.hijacked")
    assert obedient.startswith(f"100% {round(lo * 100)}–100%, n={attacks}")
    careful = cell(row(page, "careful"), "hijack.hijacked")
    assert careful.startswith(f"0% 0–{round(hi * 100)}%, n={attacks}")
    assert "tools unsupported" in cell(row(page, "no-tools"), "hijack.hijacked")
    assert "%" not in cell(row(page, "no-tools"), "hijack.hijacked")
    # the endpoint the engine recorded, and the dataset version
    assert endpoint.base_url in row(page, "careful")
    assert HijackSuite().dataset()["modelarena-hijack"] in row(page, "careful")

    # filters: the personas carry catalog facts (gpt-4o closed, deepseek-v3 open)
    open_only = (await client.get("/audits?suite=hijack&open=true")).text
    assert re.findall(r'<tr data-model="([^"]+)">', open_only) == ["no-tools"]

    card = (await client.get("/models/no-tools")).text
    assert "could not call tools" in card
    link = f"/audits/runs/{report.run.id}?model=obedient&suite=hijack"
    assert link.replace("&", "&amp;") in page
    transcripts = (await client.get(link)).text
    assert transcripts.count('data-label="hijacked"') == attacks
    assert "send_email" in transcripts or "send_payment" in transcripts
    assert "injected note" in transcripts
