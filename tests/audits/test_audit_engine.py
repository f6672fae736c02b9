"""The audit engine on a scripted OpenAI-compatible endpoint whose personas behave as known
in advance: the metric arithmetic, the intervals, the paired tests, resume, budget, the
recorded settings and the stored run."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from audits.audit_runs import arena_of, run_engine
from audits.personas import ALARMING, PersonaServer, persona_models
from modelarena.arena import Arena
from modelarena.audits.comparisons import compare_outcomes
from modelarena.audits.deployment import provider_of, quantisation_of
from modelarena.audits.engine import AuditEngine, AuditError, AuditOptions, AuditReport
from modelarena.audits.overrefusal import OverrefusalSuite
from modelarena.audits.probes import Probe, Suite, Transcript, Verdict
from modelarena.audits.registry import UnknownSuite, get_suite, suite_names
from modelarena.config import ModelConfig, Settings
from modelarena.ratings.proportions import cochran_q, mcnemar, paired_difference, wilson
from modelarena.runs.cache import Cache
from modelarena.store import Store


def make_arena(db: str, base_url: str, personas: Sequence[str], **settings: Any) -> Arena:
    return arena_of(db, persona_models(base_url, personas, **settings))


run = run_engine


def by_key(report: AuditReport) -> dict[tuple[str, str, str], Any]:
    return {(m.model, m.metric, m.group): m for m in report.metrics}


def test_overrefusal_arithmetic_on_personas(
    endpoint: PersonaServer, sqlite_url: str, tmp_path: Path
) -> None:
    personas = ["refuser", "complier", "overrefuser", "zh-refuser"]
    arena = make_arena(sqlite_url, endpoint.base_url, personas)
    suite = OverrefusalSuite()
    options = AuditOptions(models=personas, limit=20, run_name="over")
    report = run(arena, [suite], options, Cache(tmp_path / "c.jsonl"))
    probes = suite.probes(limit=20)
    safe = [p for p in probes if p.group == "safe"]
    unsafe = [p for p in probes if p.group == "unsafe"]
    assert len(safe) == len(unsafe) == 10
    assert len({p.meta["type"] for p in safe}) == 10  # one of each safe type
    got = by_key(report)
    for persona, refused in (("refuser", 1.0), ("zh-refuser", 1.0), ("complier", 0.0)):
        for arm in ("safe", "unsafe"):
            m = got[(persona, "full_refusal", arm)]
            fig = wilson(refused * 10, 10)
            assert (m.n, m.value, m.ci_lower, m.ci_upper) == (10, fig.value, fig.lower, fig.upper)
            assert got[(persona, "compliance", arm)].value == 1.0 - refused
    # the over-refuser refuses exactly the prompts with an alarming word
    for arm, members in (("safe", safe), ("unsafe", unsafe)):
        expected = sum(bool(ALARMING.search(p.messages[-1].content)) for p in members)
        assert got[("overrefuser", "full_refusal", arm)].value == expected / 10
    assert 0 < got[("overrefuser", "full_refusal", "safe")].value < 1  # it shows over-refusal
    # per-type rows exist for every type, with n = 1
    homonyms = got[("refuser", "full_refusal", "safe:homonyms")]
    assert homonyms.n == 1 and homonyms.value == 1.0
    # paired comparison: the refuser refuses all 10 safe prompts the complier answers
    comps = {(c.model_a, c.model_b, c.metric): c.detail for c in report.comparisons}
    d = comps[("refuser", "complier", "full_refusal_safe")]
    assert (d["n"], d["a_only"], d["b_only"], d["both"], d["neither"]) == (10, 10, 0, 0, 0)
    assert d["mcnemar_p_exact"] == mcnemar(10, 0).p_exact == pytest.approx(2 / 1024)
    fig = paired_difference(0, 10, 0, 0)
    assert (d["difference"], d["difference_lower"], d["difference_upper"]) == (
        fig.value,
        fig.lower,
        fig.upper,
    )
    assert d["ratio"] is None  # 10/10 against 0/10: a ratio is not defined, not reported
    # four models at once: Cochran's Q on the same 10 safe prompts
    many = next(
        c.detail for c in report.comparisons if c.model_a == "*" and c.metric == "full_refusal_safe"
    )
    table = [
        [1, 0, int(bool(ALARMING.search(p.messages[-1].content))), 1] for p in safe
    ]  # refuser, complier, overrefuser, zh-refuser
    q_test = cochran_q(table)
    assert (many["n"], many["df"], many["models"]) == (10, 3, personas)
    assert (many["q"], many["p"]) == (pytest.approx(q_test.q), pytest.approx(q_test.p))
    assert many["rates"]["zh-refuser"] == 1.0
    # stored whole
    stored = arena.store.audit_results
    (saved,) = stored.runs()
    assert saved.id == report.run.id if report.run else False
    assert len(stored.items(saved.id)) == 4 * 20
    assert len(stored.metrics(saved.id)) == len(report.metrics)
    assert stored.items(saved.id, model="zh-refuser")[0].answer.startswith("抱歉")


def test_unknown_share_and_never_safe(sqlite_url: str, tmp_path: Path) -> None:
    """A failed call or an unreadable verdict is unknown: out of n, and reported."""
    from modelarena.backends.base import BackendServerError
    from modelarena.backends.scripted import ScriptedBackend

    arena = Arena(
        Settings.model_validate(
            {
                "database_url": sqlite_url,
                "models": [ModelConfig(id="flaky", backend="scripted", options={"replies": ["x"]})],
            }
        ),
        Store.open(sqlite_url),
    )
    replies: list[Any] = [BackendServerError("down"), "I can't help with that.", ""]
    backend = ScriptedBackend(replies)
    options = AuditOptions(models=["flaky"], limit=6, retries=0)
    report = run(
        arena,
        [OverrefusalSuite()],
        options,
        Cache(tmp_path / "c.jsonl"),
        backend_for=lambda m: backend,
    )
    got = by_key(report)
    unknown = got[("flaky", "unknown", "")]
    assert unknown.n == 6 and unknown.value == pytest.approx(4 / 6)  # 2 errors + 2 empty answers
    assert (
        got[("flaky", "full_refusal", "safe")].n + got[("flaky", "full_refusal", "unsafe")].n == 2
    )
    assert len(report.failures) == 2


def test_resume_pays_nothing_twice(
    endpoint: PersonaServer, sqlite_url: str, tmp_path: Path
) -> None:
    personas = ["refuser", "complier"]
    cache_path = tmp_path / "resume.jsonl"
    options = AuditOptions(models=personas, limit=6, samples=2, run_name="resume")
    before = endpoint.calls()
    first = run(
        make_arena(sqlite_url, endpoint.base_url, personas),
        [OverrefusalSuite()],
        options,
        Cache(cache_path),
    )
    paid = endpoint.calls() - before
    assert paid == 2 * 6 * 2 == first.turns_generated
    second = run(
        make_arena(sqlite_url, endpoint.base_url, personas),
        [OverrefusalSuite()],
        options,
        Cache(cache_path),
    )
    assert endpoint.calls() - before == paid  # nothing asked again
    assert second.turns_reused == paid and second.turns_generated == 0
    assert [m.value for m in second.metrics] == [m.value for m in first.metrics]
    fresh = run(
        make_arena(sqlite_url, endpoint.base_url, personas),
        [OverrefusalSuite()],
        options,
        Cache(cache_path, resume=False),
    )
    assert fresh.turns_generated == paid  # --no-resume asks again
    assert len(Store.open(sqlite_url).audit_results.runs()) == 3


def test_budget_stops_cleanly_and_stores_nothing(
    endpoint: PersonaServer, sqlite_url: str, tmp_path: Path
) -> None:
    # a catalog-priced model whose answers (~70 tokens) nearly fill max_tokens, so each call
    # costs about its worst case and a cap of 3.5 calls lets 3 or 4 through
    arena = make_arena(sqlite_url, endpoint.base_url, ["complier"], catalog="gpt-4o", max_tokens=80)
    per_call = arena.model_info("complier").cost_usd(60, 80) or 0.0
    assert per_call > 0
    options = AuditOptions(models=["complier"], limit=10, budget_usd=per_call * 3.5, concurrency=1)
    before = endpoint.calls("complier")
    report = run(arena, [OverrefusalSuite()], options, Cache(tmp_path / "b.jsonl"))
    assert report.stopped_by_budget
    made = endpoint.calls("complier") - before
    assert 3 <= made < 10 and report.skipped_by_budget == 10 - made
    assert report.run is None and arena.store.audit_results.runs() == []
    assert report.spent_usd <= per_call * 3.5


def test_settings_are_recorded_and_sent(
    endpoint: PersonaServer, sqlite_url: str, tmp_path: Path
) -> None:
    arena = make_arena(
        sqlite_url,
        endpoint.base_url,
        ["refuser"],
        options={"quantisation": "Q4_K_M", "provider": "acme-cloud"},
    )
    options = AuditOptions(
        models=["refuser"],
        limit=2,
        samples=2,
        system_prompt="You are a bank's assistant.",
        temperature=0.3,
        max_tokens=77,
        keep_reasoning=True,
    )
    start = len(endpoint.bodies)
    report = run(arena, [OverrefusalSuite()], options, Cache(tmp_path / "s.jsonl"))
    body = endpoint.bodies[start]
    assert body["messages"][0] == {"role": "system", "content": "You are a bank's assistant."}
    assert body["temperature"] == 0.3
    assert 77 in (body.get("max_tokens"), body.get("max_completion_tokens"))
    assert report.run is not None
    s = report.run.settings
    dep = s["models"]["refuser"]
    assert dep["endpoint"] == endpoint.base_url and dep["provider"] == "acme-cloud"
    assert dep["quantisation"] == "Q4_K_M" and dep["served_model"] == "refuser"
    assert dep["system_prompt"] == "You are a bank's assistant."
    assert (dep["temperature"], dep["max_tokens"]) == (0.3, 77)
    assert s["samples"] == 2 and s["keep_reasoning"] is True and s["judge_ids"] == ["rules"]
    assert s["datasets"]["overrefusal"]["xstest_v2"].startswith("sha256:")
    assert s["date"][:4].isdigit()
    assert len(arena.store.audit_results.items(report.run.id)) == 2 * 2


def test_llm_judges_go_through_the_cache(
    endpoint: PersonaServer, sqlite_url: str, tmp_path: Path
) -> None:
    """``ask`` reaches the judge model through the run's calls and cache."""
    suite = OverrefusalSuite()
    seen: list[str] = []

    async def judge_verdict(
        suite_: Suite, probe: Probe, transcript: Transcript, judges: Sequence[str], ask: Any
    ) -> Verdict:
        texts = [await ask(j, suite_.rubric(probe, transcript)) for j in judges]
        seen.extend(texts)
        verdict = suite_.parse_rubric(texts[0])  # the complier never names a class: unknown
        return Verdict(verdict.label, judge="+".join(judges), agreement=1.0)

    cache = tmp_path / "j.jsonl"
    personas = ["refuser", "complier"]
    options = AuditOptions(models=["refuser"], judges=["complier"], limit=2)
    before = endpoint.calls("complier")

    def audit() -> AuditReport:
        arena = make_arena(sqlite_url, endpoint.base_url, personas)
        return run(arena, [suite], options, Cache(cache), judge_verdict=judge_verdict)

    report = audit()
    assert endpoint.calls("complier") - before == 2 and report.judgments_generated == 2
    assert by_key(report)[("refuser", "unknown", "")].value == 1.0  # unparseable: unknown
    assert report.run is not None and report.run.judges == ("complier",)
    # the run says what a reader should know about its judge, and the report shows it
    warnings = report.run.settings["warnings"]
    assert any("overrefusal, refuser: judge complier is not in the catalog" in w for w in warnings)
    assert any("one judge (complier)" in w for w in warnings)
    from modelarena.audits.report import gather, to_markdown

    view = gather(make_arena(sqlite_url, endpoint.base_url, personas).store.audit_results)
    assert "warning: overrefusal, refuser: judge complier" in to_markdown(view)
    again = audit()
    assert endpoint.calls("complier") - before == 2 and again.judgments_reused == 2


def test_unknown_models_and_suites_are_named(sqlite_url: str, tmp_path: Path) -> None:
    arena = make_arena(sqlite_url, "http://127.0.0.1:9/v1", ["refuser"])
    with pytest.raises(AuditError, match=r"not a configured model: nope \(known: refuser\)"):
        AuditEngine(
            arena, [OverrefusalSuite()], AuditOptions(models=["nope"]), Cache(tmp_path / "x")
        )
    with pytest.raises(AuditError, match="--judge gpt-x"):
        AuditEngine(
            arena,
            [OverrefusalSuite()],
            AuditOptions(models=["refuser"], judges=["gpt-x"]),
            Cache(tmp_path / "x"),
        )
    with pytest.raises(
        UnknownSuite, match=r"unknown suite .jailbrek. \(known: jailbreak, .*overrefusal"
    ):
        get_suite("jailbrek")
    assert {"jailbreak", "overrefusal"} <= set(suite_names())
    arena.store.close()


def test_quantisation_and_provider_are_read_from_the_configuration() -> None:
    gguf = ModelConfig(id="q", backend="gguf", path="/m/Qwen3-8B-Q4_K_M.gguf")
    assert quantisation_of(gguf) == "Q4_K_M"
    assert provider_of(gguf) == "local llama.cpp"
    served = ModelConfig(id="d", backend="openai", base_url="https://api.x.com/v1", model="ds-FP8")
    assert quantisation_of(served) == "FP8"
    assert provider_of(served) == "api.x.com"
    assert (
        quantisation_of(ModelConfig(id="p", backend="openai", base_url="u", model="gpt-4o")) is None
    )
    assert (
        quantisation_of(
            ModelConfig(id="b", backend="gguf", path="/m/smollm2-135m-instruct.bf16.gguf")
        )
        == "BF16"
    )


def test_compare_outcomes_pairs_only_common_units() -> None:
    a = {"p1": True, "p2": True, "p3": False, "p4": True}
    b = {"p1": False, "p2": True, "p3": False}
    d = compare_outcomes(a, b)
    assert d is not None
    assert (d["n"], d["both"], d["a_only"], d["b_only"], d["neither"]) == (3, 1, 1, 0, 1)
    assert d["ratio"] == pytest.approx(2.0)
    assert compare_outcomes({"x": True}, {"y": False}) is None
