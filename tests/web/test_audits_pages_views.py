"""The pieces behind the audit pages: badges against the published bands, figures as
text (shares, differences, scores, n/a with its reason), and audit column names."""

from __future__ import annotations

from pathlib import Path

import pytest

from modelarena.store.audit_results import AuditMetric, AuditRun
from modelarena.web.audit_bands import BANDS_FILE, badge, load_bands, percent
from modelarena.web.audit_figures import figure, language_label
from modelarena.web.audit_views import (
    AuditColumn,
    AuditColumnError,
    deployment_of,
    parse_columns,
    pick,
    run_facts,
    version_key,
)


def attack(lo: float, hi: float, value: float | None = None, n: int = 100) -> AuditMetric:
    v = (lo + hi) / 2 if value is None else value
    return AuditMetric("m", "jailbreak", "compliance_attack", n, v, lo, hi, "", "attack:aim")


@pytest.mark.parametrize(
    ("lo", "hi", "label", "tone"),
    [
        (0.96, 0.99, "above DeepSeek R1-0528", "bad"),
        (0.90, 0.97, "like DeepSeek R1-0528", "bad"),
        (0.30, 0.50, "between US frontier models and DeepSeek R1-0528", "warn"),
        (0.05, 0.12, "like US frontier models", "ok"),
        (0.00, 0.05, "below US frontier models", "ok"),
        (0.05, 0.95, "too uncertain to place", "neutral"),
    ],
)
def test_badge_places_the_interval_against_the_published_figures(
    lo: float, hi: float, label: str, tone: str
) -> None:
    got = badge(attack(lo, hi))
    assert got is not None
    assert (got["label"], got["tone"]) == (label, tone)
    assert "DeepSeek R1-0528 94%" in got["title"] and "US frontier models 8%" in got["title"]
    assert "CAISI" in got["title"] and "not in value" in got["title"]


def test_badge_only_where_a_band_applies() -> None:
    # another metric, another language, no interval: no badge
    other = AuditMetric("m", "jailbreak", "compliance_plain", 10, 0.5, 0.2, 0.8, "", "plain")
    assert badge(other) is None
    fr = AuditMetric("m", "narratives", "narrative_echo", 10, 0.2, 0.1, 0.3, "fr", "china")
    assert badge(fr) is None
    none = AuditMetric("m", "jailbreak", "compliance_attack", 0, None, None, None, "", "attack:x")
    assert badge(none) is None
    # a band with one published figure (NewsGuard): like it, or below it (neutral)
    fail = AuditMetric("m", "falseclaims", "fail_rate", 60, 0.1, 0.05, 0.2, "en", "")
    got = badge(fail)
    assert got is not None and (got["label"], got["tone"]) == ("below five Chinese chatbots",
                                                               "neutral")  # fmt: skip
    fail = AuditMetric("m", "falseclaims", "fail_rate", 60, 0.6, 0.5, 0.7, "zh-Hans", "")
    got = badge(fail)
    assert got is not None and got["label"] == "like five Chinese chatbots"


def test_every_band_has_a_source_and_its_references() -> None:
    bands = load_bands()
    assert len(bands) >= 6
    for b in bands:
        assert b.url.startswith("https://") and b.source and b.what
        assert b.concern is not None
        assert 0 <= b.concern.low <= b.concern.high <= 1
    assert "nist.gov" in BANDS_FILE.read_text("utf-8")
    assert load_bands(Path(BANDS_FILE)) == bands
    texts = {b.key: b.concern.text for b in bands if b.concern}
    assert texts["narratives.narrative_echo/china@en"] == "DeepSeek R1-0528 15.9%"
    baseline = next(b.baseline for b in bands if b.key == "narratives.narrative_echo/china@en")
    assert baseline is not None and baseline.text == "US models 1-4%"


def test_figures_as_text() -> None:
    share = AuditMetric("m", "hijack", "hijacked", 120, 0.31, 0.24, 0.392, "", "")
    f = figure(share)
    assert (f["text"], f["sub"], f["full"]) == ("31%", "24–39%, n=120", "31% (24–39%, n=120)")
    assert f["sort"] == 0.31 and f["state"] == "value"
    small = figure(AuditMetric("m", "x", "refusal", 300, 0.045, 0.0000001, 0.071))
    assert small["full"] == "4.5% (0–7.1%, n=300)"
    diff = AuditMetric("m", "censorship", "selective_refusal_diff", 80, 0.125, -0.05, 0.3,
                       "en", "censored-control", "Newcombe")  # fmt: skip
    assert figure(diff)["full"] == "+12 pp (−5 to +30 pp, n=80)"
    score = AuditMetric("m", "jailbreak", "strongreject_score", 50, 0.4123, 0.35, 0.47, "",
                        "attack:aim", "bootstrap over answers")  # fmt: skip
    assert figure(score)["full"] == "0.412 (0.350–0.470, n=50)"
    tools = figure(AuditMetric("m", "hijack", "hijacked", 0, None, None, None,
                               method="tools_unsupported"))  # fmt: skip
    assert tools["state"] == "unsupported" and "not a safe result" in tools["why"]
    judge = figure(AuditMetric("m", "jailbreak", "strongreject_score", 9, None, None, None,
                               method="needs an LLM judge (--judge MODEL)"))  # fmt: skip
    assert judge["text"] == "n/a" and judge["why"] == "needs an LLM judge (--judge MODEL)"
    empty = AuditMetric("m", "narratives", "echo_any", 0, None, None, None, "en", "china")
    assert "n = 0" in figure(empty)["why"]
    assert "LLM judge" in figure(empty, unknown_share=1.0)["why"]
    assert figure(None)["state"] == "missing"
    assert percent(0.159) == "16" and percent(0.04) == "4" and percent(0.0451) == "4.5"


def test_columns_parse_and_pick() -> None:
    cols = parse_columns(
        "jailbreak.compliance_attack, hijack.hijacked/credentials,narratives.narrative_echo@zh-Hans"
    )
    assert cols == [
        AuditColumn("jailbreak", "compliance_attack"),
        AuditColumn("hijack", "hijacked", "credentials"),
        AuditColumn("narratives", "narrative_echo", None, "zh-Hans"),
    ]
    assert [c.key for c in cols] == [
        "jailbreak.compliance_attack",
        "hijack.hijacked/credentials",
        "narratives.narrative_echo@zh-Hans",
    ]
    assert parse_columns("") == [] and parse_columns(None) == []
    with pytest.raises(AuditColumnError, match="not suite.metric"):
        parse_columns("jailbreak")
    with pytest.raises(AuditColumnError, match="unknown suite 'jb'"):
        parse_columns("jb.compliance_attack")
    with pytest.raises(AuditColumnError, match=r"no stored hijack metric 'hijaked' \(stored: hi"):
        parse_columns("hijack.hijaked", {("hijack", "hijacked"), ("hijack", "utility")})
    rows = [
        AuditMetric("m", "jailbreak", "compliance_attack", 9, 0.1, 0, 0.4, "", "attack:dan"),
        AuditMetric("m", "jailbreak", "compliance_dev", 9, 0.5, 0.2, 0.8, "", "attack:aim"),
        AuditMetric("m", "overrefusal", "full_refusal", 9, 0.2, 0, 0.5, "", "safe"),
        AuditMetric("m", "overrefusal", "full_refusal", 9, 0.6, 0.3, 0.9, "", "unsafe"),
        AuditMetric("m", "overrefusal", "full_refusal", 1, 1.0, 0.2, 1.0, "", "safe:homonyms"),
    ]
    got = pick(rows, AuditColumn("jailbreak", "compliance_attack"), "")
    assert got is not None and got.group == "attack:dan"  # the template this model got
    got = pick(rows, AuditColumn("overrefusal", "full_refusal"), "")
    assert got is not None and got.group == "safe"  # the suite's first headline group
    got = pick(rows, AuditColumn("overrefusal", "full_refusal", "unsafe"), "")
    assert got is not None and got.value == 0.6
    assert pick(rows, AuditColumn("overrefusal", "full_refusal"), "en") is None
    assert language_label("zh-Hans-en") == "zh-Hans − en" and language_label("en") == "en"


def test_runs_with_little_recorded_still_show() -> None:
    run = AuditRun(name="old", suites=("hijack",), models=("m",), judges=("rules",),
                   settings={"models": {"m": "not a table"}, "datasets": ["x"]})  # fmt: skip
    dep = deployment_of(run, "m")
    assert dep["model"] == "m" and dep.get("endpoint") is None
    facts = run_facts(run, "hijack", "m")
    assert facts["datasets"] == [] and facts["judges"] == ["rules"]
    assert facts["transcripts"] == f"/audits/runs/{run.id}?model=m&suite=hijack"
    odd = {"endpoint": "http://x/v1", "temperature": [0.2]}  # unhashable: still a key
    assert version_key("m", odd) != version_key("m", {"endpoint": "http://x/v1"})
