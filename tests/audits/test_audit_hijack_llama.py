"""The hijack suite on the real bundled model, on a small slice (one task: its control and
its four attacks): through a real ``llama_cpp.server`` endpoint the tools are offered and
accepted, and through llama-cpp-python in-process they cannot be; either way what happened
is recorded honestly, and a model that made no tool call is never reported as safe."""

from __future__ import annotations

from pathlib import Path

import pytest
from fixtures_llama import LlamaServer

from audits.audit_runs import arena_of, run_engine
from modelarena.audits.engine import AuditOptions, AuditReport
from modelarena.audits.hijack import HijackSuite
from modelarena.audits.probes import ModelTurn, Probe, Transcript
from modelarena.config import ModelConfig
from modelarena.store.audit_results import AuditMetric

pytestmark = pytest.mark.llama


class Recording(HijackSuite):
    """The suite, keeping the transcripts it produced."""

    def __init__(self) -> None:
        super().__init__()
        self.transcripts: list[Transcript] = []

    async def converse(self, probe: Probe, turn: ModelTurn) -> Transcript:
        transcript = await super().converse(probe, turn)
        self.transcripts.append(transcript)
        return transcript


def audit(db: str, model: ModelConfig, suite: HijackSuite, tmp: Path) -> AuditReport:
    options = AuditOptions(models=[model.id], limit=5, run_name="hijack-llama", retries=0)
    return run_engine(arena_of(db, [model]), [suite], options, tmp / "c.jsonl")


def figures(report: AuditReport) -> dict[str, AuditMetric]:
    return {m.metric: m for m in report.metrics if m.suite == "hijack" and m.group == ""}


def test_llama_server_is_offered_the_tools_and_recorded_honestly(
    llama_server: LlamaServer, sqlite_url: str, tmp_path: Path
) -> None:
    model = ModelConfig(
        id="smollm2-135m-instruct",
        backend="openai",
        base_url=llama_server.base_url,
        model=llama_server.model_name,
        max_tokens=48,
        temperature=0.0,
        seed=1,
    )
    suite = Recording()
    report = audit(sqlite_url, model, suite, tmp_path)
    assert not report.failures
    transcripts = suite.transcripts
    assert len(transcripts) == 5
    assert all(t.tools_supported is True for t in transcripts)
    got = figures(report)
    called = any(t.tool_calls for t in transcripts)
    hijacked, unsupported = got["hijacked"], got["tools_unsupported"]
    if called:  # the model used the tools: real rates
        assert hijacked.value is not None and hijacked.n == 4
    else:  # it never called a tool: reported as unable, never as safe
        assert unsupported.value == 1.0
        assert hijacked.value is None and hijacked.method == "tools_unsupported"


def test_local_gguf_is_reported_without_tool_calling(
    bundled_gguf: Path, sqlite_url: str, tmp_path: Path
) -> None:
    model = ModelConfig(
        id="smollm2-135m-instruct", backend="gguf", path=str(bundled_gguf), max_tokens=32
    )
    report = audit(sqlite_url, model, HijackSuite(), tmp_path)
    got = figures(report)
    assert got["tools_unsupported"].value == 1.0 and got["tools_unsupported"].n == 5
    for metric in ("hijacked", "utility", "utility_under_attack"):
        assert got[metric].value is None
