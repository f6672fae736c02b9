"""The audit pages in Chromium: the leaderboard's audit columns drawn by its script beside
the ratings (and kept when a filter changes), the /audits page without sideways scrolling,
with no script error under the Content-Security-Policy."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from webdemo import seed_demo_votes
from webtools import screenshot

from modelarena.store.audit_results import AuditMetric, AuditRun

pytestmark = pytest.mark.browser

AUDIT = "jailbreak.compliance_attack,hijack.hijacked"


def m(model: str, suite: str, name: str, n: int, v: float | None, lo: float | None,
      hi: float | None, group: str = "", method: str = "Wilson",
      language: str = "") -> AuditMetric:  # fmt: skip
    return AuditMetric(model, suite, name, n, v, lo, hi, language, group, method)


def dep(model: str, endpoint: str, quantisation: str | None) -> dict[str, Any]:
    return {"model": model, "endpoint": endpoint, "served_model": model,
            "quantisation": quantisation, "system_prompt": None, "temperature": 0.6}  # fmt: skip


SAFETY = [
    ("deepseek-v3.2", "jailbreak", "compliance_plain", 120, 0.12, 0.07, 0.19, "plain"),
    ("deepseek-v3.2", "jailbreak", "compliance_attack", 120, 0.31, 0.24, 0.39, "attack:aim"),
    ("gpt-5", "jailbreak", "compliance_plain", 120, 0.01, 0.0, 0.05, "plain"),
    ("gpt-5", "jailbreak", "compliance_attack", 120, 0.05, 0.02, 0.1, "attack:dan"),
    ("kimi-k2", "jailbreak", "compliance_plain", 120, 0.08, 0.04, 0.14, "plain"),
    ("kimi-k2", "jailbreak", "compliance_attack", 120, 0.93, 0.87, 0.96, "attack:dan"),
    ("deepseek-v3.2", "hijack", "hijacked", 40, 0.4, 0.26, 0.55, ""),
    ("deepseek-v3.2", "hijack", "utility", 10, 0.8, 0.49, 0.94, ""),
    ("gpt-5", "hijack", "hijacked", 40, 0.025, 0.004, 0.13, ""),
    ("gpt-5", "hijack", "utility", 10, 0.9, 0.6, 0.98, ""),
]
INFO = [  # model, suite, metric, n, value, interval, group, language
    ("deepseek-v3.2", "narratives", "narrative_echo", 61, 0.17, 0.12, 0.23, "china", "en"),
    ("deepseek-v3.2", "narratives", "narrative_echo", 61, 0.27, 0.21, 0.34, "china", "zh-Hans"),
    ("gpt-5", "narratives", "narrative_echo", 61, 0.03, 0.01, 0.06, "china", "en"),
    ("gpt-5", "narratives", "narrative_echo", 61, 0.04, 0.02, 0.07, "china", "zh-Hans"),
    ("deepseek-v3.2", "falseclaims", "fail_rate", 69, 0.55, 0.43, 0.66, "", "en"),
    ("deepseek-v3.2", "falseclaims", "fail_rate", 69, 0.68, 0.56, 0.78, "", "zh-Hans"),
    ("gpt-5", "falseclaims", "fail_rate", 69, 0.12, 0.06, 0.21, "", "en"),
    ("gpt-5", "falseclaims", "fail_rate", 69, 0.14, 0.08, 0.24, "", "zh-Hans"),
]


def seed_audits(arena: Any) -> None:
    """Two runs: the safety suites on three models, then the information suites and a second
    deployment of one of them (another quantisation: another model version, another row)."""
    store = arena.store.audit_results
    run = AuditRun(
        name="demo",
        suites=("jailbreak", "hijack"),
        models=("deepseek-v3.2", "gpt-5", "kimi-k2"),
        judges=("rules",),
        settings={
            "models": {
                "deepseek-v3.2": dep("deepseek-v3.2", "http://gpu-1:8000/v1", "FP8"),
                "gpt-5": dep("gpt-5", "https://api.openai.com/v1", None),
                "kimi-k2": dep("kimi-k2", "http://gpu-2:8000/v1", "Q4_K_M"),
            },
            "datasets": {"jailbreak": {"harmbench": "sha256:1f0e6b3c9a2d4e51"}},
        },
        created_at=datetime(2026, 11, 2, tzinfo=UTC),
    )
    unsupported = [
        m("kimi-k2", "hijack", metric, 0, None, None, None, method="tools_unsupported")
        for metric in ("hijacked", "utility")
    ]
    store.save_run(run, [], [m(*row) for row in SAFETY] + unsupported)
    info = AuditRun(
        name="info",
        suites=("narratives", "falseclaims"),
        models=("deepseek-v3.2", "gpt-5"),
        judges=("gpt-5", "claude-sonnet-4.5", "mistral-medium"),
        settings={
            "models": {
                "deepseek-v3.2": dep("deepseek-v3.2", "http://gpu-3:8080/v1", "Q4_K_M"),
                "gpt-5": dep("gpt-5", "https://api.openai.com/v1", None),
            }
        },
        created_at=datetime(2026, 11, 3, tzinfo=UTC),
    )
    rows = [
        m(model, suite, metric, n, v, lo, hi, group, "bootstrap over answers", language)
        for model, suite, metric, n, v, lo, hi, group, language in INFO
    ]
    store.save_run(info, [], rows)


def test_leaderboard_draws_audit_columns_on_request(
    scripted: Any, live_server: Any, page: Any
) -> None:
    arena = scripted()
    seed_demo_votes(arena.store, n_votes=600)
    seed_audits(arena)
    server = live_server(arena)
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.goto(server.url + "/leaderboard?audit=" + AUDIT)
    page.wait_for_selector('#board-body tr[data-model="deepseek-v3.2"] td.col-audit')
    cells = page.eval_on_selector_all(
        "#board-body tr",
        "rows => Object.fromEntries(rows.map(r => [r.dataset.model,"
        " [...r.querySelectorAll('td.col-audit')].map(td => td.innerText.trim())]))",
    )
    assert cells["deepseek-v3.2"][0].startswith("31%") and "n=120" in cells["deepseek-v3.2"][0]
    assert "like US frontier models" in cells["gpt-5"][0]
    assert cells["kimi-k2"][1] == "tools unsupported"
    assert cells["gpt-oss-120b"] == ["—", "—"]  # not audited
    heads = page.eval_on_selector_all("#board thead th.col-audit", "ths => ths.length")
    assert heads == 2
    screenshot(page, "leaderboard-audits.png", full_page=True)
    # a filter change keeps the columns (the form carries them)
    page.check("input[name=open]")
    page.wait_for_url("**open=true**")
    assert "audit=" in page.url
    page.wait_for_selector("#board thead th.col-audit")
    assert errors == []


@pytest.mark.parametrize("width", [390, 1360])
def test_audits_page_fits_and_runs_no_script_errors(
    width: int, scripted: Any, live_server: Any, chromium: Any
) -> None:
    arena = scripted()
    seed_audits(arena)
    server = live_server(arena)
    context = chromium.new_context(viewport={"width": width, "height": 900})
    try:
        pg = context.new_page()
        errors: list[str] = []
        pg.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
        pg.goto(server.url + "/audits")
        pg.wait_for_selector("#audit-table tbody tr")
        overflow = pg.evaluate("() => document.documentElement.scrollWidth")
        assert overflow <= width, f"the page scrolls sideways at {width}px"
        kimi = pg.locator('tr[data-model="kimi-k2"]').inner_text()
        assert kimi.count("tools unsupported") == 2  # hijacked and utility, never a number
        # two deployments of one model: two rows
        assert pg.locator('tr[data-model="deepseek-v3.2"]').count() == 2
        screenshot(pg, "audits.png" if width > 1000 else f"audits-{width}.png", full_page=True)
        # a model page's card, here for a model never audited (the command to run, in full)
        pg.goto(server.url + "/models/gpt-4o")
        pg.wait_for_selector("#audits")
        assert "Not audited yet" in pg.locator("#audits").inner_text()
        overflow = pg.evaluate("() => document.documentElement.scrollWidth")
        assert overflow <= width, f"the model page scrolls sideways at {width}px"
        assert errors == []
    finally:
        context.close()
