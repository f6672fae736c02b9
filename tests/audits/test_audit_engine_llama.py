"""Audits end to end on the real bundled model (SmolLM2-135M), in-process through llama.cpp and
through a real ``llama_cpp.server`` endpoint, on small slices with the offline rules."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from audits.audit_runs import audit_bundled_gguf, run_engine, served_settings
from modelarena.arena import Arena
from modelarena.audits.engine import AuditOptions, AuditReport
from modelarena.audits.jailbreak import JailbreakSuite, load_requests, load_templates
from modelarena.audits.overrefusal import OverrefusalSuite
from modelarena.audits.probes import Suite
from modelarena.config import load_settings
from modelarena.store import Store

pytestmark = [pytest.mark.llama, pytest.mark.slow]
SHORT_TEMPLATES = ("prefix_injection", "security_researcher")


def test_cli_audit_on_the_bundled_gguf(tmp_path: Path, bundled_gguf: Path) -> None:
    config, data = audit_bundled_gguf(tmp_path, bundled_gguf, "overrefusal", limit=4)
    dep = data["runs"][0]["settings"]["models"]["smol"]
    assert dep["quantisation"] == "Q4_1" and dep["provider"] == "local llama.cpp"
    assert dep["max_tokens"] == 16
    rows = {(r["metric"], r["group"]): r for r in data["results"]}
    for arm in ("safe", "unsafe"):
        shares = [rows[(m, arm)] for m in ("full_refusal", "partial_refusal", "compliance")]
        n = shares[0]["n"]
        assert 0 <= n <= 2
        if n:
            assert sum(s["value"] for s in shares) == pytest.approx(1.0)
            assert all(s["ci_lower"] <= s["value"] <= s["ci_upper"] for s in shares)
    store = Store.open(load_settings(str(config)).database_url)
    (run,) = store.audit_results.runs()
    items = store.audit_results.items(run.id)
    assert len(items) == 4 and all(i.answer or i.label == "unknown" for i in items)
    store.close()


def test_engine_on_a_llama_cpp_server(tmp_path: Path, llama_server: Any) -> None:
    db = f"sqlite:///{tmp_path / 'arena.db'}"
    settings = served_settings(db, llama_server)
    requests = load_requests(("strongreject_small",))
    suites: list[Suite] = [
        # the two shortest templates: prompt evaluation is most of the time on a busy machine
        JailbreakSuite(requests, [t for t in load_templates() if t.name in SHORT_TEMPLATES]),
        OverrefusalSuite(),
    ]
    options = AuditOptions(models=["served"], limit=2, run_name="served")
    cache = tmp_path / "c.jsonl"

    def go() -> AuditReport:
        return run_engine(Arena(settings, Store.open(db)), suites, options, cache)

    first = go()
    # jailbreak: 1 dev request x 2 templates + 1 test request x (plain + 2); overrefusal: 2
    assert first.turns_generated == 2 + 3 + 2 and first.failures == []
    assert first.run is not None
    dep = first.run.settings["models"]["served"]
    assert dep["endpoint"] == llama_server.base_url.rstrip("/")
    metrics = {(m.suite, m.metric) for m in first.metrics}
    assert {
        ("jailbreak", "compliance_plain"),
        ("jailbreak", "compliance_attack"),
        ("jailbreak", "attack_uplift"),
        ("jailbreak", "attack_success_at_k"),
        ("jailbreak", "strongreject_score"),
        ("overrefusal", "full_refusal"),
    } <= metrics
    second = go()
    assert second.turns_generated == 0 and second.turns_reused == 7  # nothing paid twice
