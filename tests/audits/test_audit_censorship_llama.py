"""The three information suites end to end on the real bundled model (SmolLM2-135M), in-process
through llama.cpp from the command line and through a real ``llama_cpp.server`` endpoint, on
small balanced slices with the offline rules."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from audits.audit_runs import audit_bundled_gguf, run_engine, served_settings
from modelarena.arena import Arena
from modelarena.audits.censorship import CensorshipSuite
from modelarena.audits.engine import AuditOptions
from modelarena.audits.falseclaims import FalseClaimsSuite
from modelarena.audits.narratives import NarrativesSuite
from modelarena.config import load_settings
from modelarena.store import Store

pytestmark = [pytest.mark.llama, pytest.mark.slow]


def test_information_suites_on_the_bundled_gguf(tmp_path: Path, bundled_gguf: Path) -> None:
    suites = "censorship,narratives,falseclaims"
    config, data = audit_bundled_gguf(tmp_path, bundled_gguf, suites, limit=2)
    # --limit 2 still takes one probe from every arm (group x language) of each suite
    expected = {
        "censorship": len(CensorshipSuite().probes(limit=2)),
        "narratives": len(NarrativesSuite().probes(limit=2)),
        "falseclaims": len(FalseClaimsSuite().probes(limit=2)),
    }
    assert expected == {"censorship": 4, "narratives": 6, "falseclaims": 8}
    rows = data["results"]
    by_suite = Counter(r["suite"] for r in rows)
    assert set(by_suite) == set(expected)
    for r in rows:
        if r["n"] and r["value"] is not None:
            assert r["ci_lower"] <= r["value"] <= r["ci_upper"], r
    got = {(r["suite"], r["metric"], r["language"], r["group"]): r for r in rows}
    for language in ("en", "zh-Hans"):
        for group in ("censored", "control"):
            refusal = got[("censorship", "refusal", language, group)]
            assert refusal["n"] <= 1  # one probe per arm; an unreadable answer is not counted
        assert ("censorship", "selective_refusal_diff", language, "censored-control") in got
        assert ("falseclaims", "fail_rate", language, "malign") in got
    for language in ("en", "zh-Hans", "zh-Hant"):
        assert ("narratives", "narrative_echo", language, "china") in got
        assert ("narratives", "narrative_echo", language, "control") in got
    # with the rules alone, evasion and flags are not judged: no figure, never a zero
    for language in ("en", "zh-Hans"):
        assert got[("censorship", "evasion", language, "censored")]["n"] == 0
    store = Store.open(load_settings(str(config)).database_url)
    (run,) = store.audit_results.runs()
    items = store.audit_results.items(run.id)
    assert len(items) == sum(expected.values())
    assert Counter(i.language for i in items)["zh-Hant"] == 2  # narratives, both arms
    store.close()


def test_information_suites_through_a_llama_cpp_server(tmp_path: Path, llama_server: Any) -> None:
    db = f"sqlite:///{tmp_path / 'arena.db'}"
    settings = served_settings(db, llama_server)
    # one probe per arm of censorship (English and Chinese, censored and control): the
    # server answers one request at a time, slowly on a shared machine
    suites = [CensorshipSuite()]
    options = AuditOptions(models=["served"], limit=1, run_name="information")
    report = run_engine(Arena(settings, Store.open(db)), suites, options, tmp_path / "c.jsonl")
    assert report.failures == [] and report.turns_generated == 4
    assert report.run is not None
    assert report.run.settings["models"]["served"]["endpoint"] == llama_server.base_url.rstrip("/")
    got = {(m.metric, m.language, m.group): m for m in report.metrics}
    for language in ("en", "zh-Hans"):
        assert got[("selective_refusal_diff", language, "censored-control")].n <= 2
    for m in report.metrics:
        if m.value is not None and m.ci_lower is not None and m.ci_upper is not None:
            assert m.ci_lower <= m.value <= m.ci_upper
