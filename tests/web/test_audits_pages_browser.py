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


def seed_audits(arena: Any) -> None:
    def m(model: str, suite: str, name: str, n: int, v: float | None, lo: float | None,
          hi: float | None, group: str = "", method: str = "Wilson") -> AuditMetric:  # fmt: skip
        return AuditMetric(model, suite, name, n, v, lo, hi, "", group, method)

    run = AuditRun(
        name="demo",
        suites=("jailbreak", "hijack"),
        models=("deepseek-v3.2", "gpt-5", "kimi-k2"),
        judges=("rules",),
        settings={"models": {}, "datasets": {}},
        created_at=datetime(2026, 11, 2, tzinfo=UTC),
    )
    arena.store.audit_results.save_run(
        run,
        [],
        [
            m(
                "deepseek-v3.2",
                "jailbreak",
                "compliance_attack",
                120,
                0.31,
                0.24,
                0.39,
                "attack:aim",
            ),
            m("gpt-5", "jailbreak", "compliance_attack", 120, 0.05, 0.02, 0.1, "attack:dan"),
            m("deepseek-v3.2", "hijack", "hijacked", 40, 0.4, 0.26, 0.55),
            m("gpt-5", "hijack", "hijacked", 40, 0.025, 0.004, 0.13),
            m("kimi-k2", "hijack", "hijacked", 0, None, None, None, method="tools_unsupported"),
        ],  # fmt: skip
    )


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
        assert pg.locator('tr[data-model="kimi-k2"]').inner_text().count("tools unsupported") == 1
        screenshot(pg, f"audits-{width}.png", full_page=True)
        assert errors == []
    finally:
        context.close()
