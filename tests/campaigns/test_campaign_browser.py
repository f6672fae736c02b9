"""End to end in Chromium: an invited voter runs a campaign to its target."""

from __future__ import annotations

from typing import Any

import pytest

from modelarena.arena import Arena
from modelarena.campaigns import CampaignPrompt, CampaignService
from modelarena.web import create_app
from modelarena.web.security import resolve_secret_key

pytestmark = pytest.mark.browser


def test_an_invited_voter_runs_a_campaign_to_its_target(web_arena: Arena, chromium: Any) -> None:
    from web.webtools import LiveServer, screenshot

    secret, _ = resolve_secret_key(web_arena.settings.secret_key, web_arena.settings.database_url)
    service = CampaignService(web_arena, secret)
    prompts = [
        CampaignPrompt("Write a tagline for our bakery.", "en"),
        CampaignPrompt("为我们的面包店写一句广告语。", "zh"),
    ]
    campaign = service.create("bakery", prompts, models=["deepseek-v3", "gpt-4o"], target_votes=4)
    _, token = service.invite(campaign, votes_limit=10)
    with LiveServer(create_app(web_arena)) as server:
        context = chromium.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.set_default_timeout(20_000)
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.goto(f"{server.url}/c/{token}")
        seen = set()
        for i in range(4):
            page.locator("#c-votebar:not([hidden]) .vote-btn[data-verdict='a']").click()
            page.locator("#c-next:not([hidden])").wait_for()
            seen.add(page.locator("#c-prompt").inner_text())
            assert page.locator("#c-name-a").inner_text() in {"DeepSeek-V3", "GPT-4o"}
            if i < 3:
                page.locator("#c-next").click()
        page.wait_for_function(
            "document.getElementById('c-root').getAttribute('data-stop-now') === 'true'"
        )
        assert seen == {p.text for p in prompts}  # both prompts served, fewest votes first
        assert page.locator("#c-verdict").inner_text().startswith("Stop now")
        assert page.locator("#c-board tbody tr").count() == 2
        assert "4 votes" in page.locator("#c-votes").inner_text()
        assert "You have voted 4 times; 6 votes left" in page.locator("#c-progress").inner_text()
        shot = screenshot(page, "campaign-voter.png", full_page=True)
        assert shot.exists()
        assert errors == []
        context.close()
    status = service.status(service.get("bakery"))
    assert status.total_votes == 4 and status.target_met
