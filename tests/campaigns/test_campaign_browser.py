"""End to end in Chromium: an invited voter runs a campaign to its target."""

from __future__ import annotations

import re
from typing import Any

import pytest

from modelarena.arena import Arena
from modelarena.campaigns import CampaignPrompt, CampaignService
from modelarena.web import create_app

pytestmark = pytest.mark.browser


def test_an_invited_voter_runs_a_campaign_to_its_target(
    web_arena: Arena, web_service: CampaignService, browser_page: tuple[Any, list[str]]
) -> None:
    from web.webtools import LiveServer, screenshot

    service = web_service
    prompts = [
        CampaignPrompt("Write a tagline for our bakery.", "en"),
        CampaignPrompt("为我们的面包店写一句广告语。", "zh"),
    ]
    campaign = service.create("bakery", prompts, models=["deepseek-v3", "gpt-4o"], target_votes=4)
    _, token = service.invite(campaign, votes_limit=10)
    page, errors = browser_page
    with LiveServer(create_app(web_arena)) as server:
        page.goto(f"{server.url}/c/{token}")
        seen = set()
        for i in range(4):
            page.locator("#c-votebar:not([hidden]) .vote-btn[data-verdict='a']").click()
            page.locator("#c-next:not([hidden])").wait_for()
            seen.add(page.locator("#c-prompt").inner_text())
            assert page.locator("#c-name-a").inner_text() in {"DeepSeek-V3", "GPT-4o"}
            if i < 3:
                page.locator("#c-next").click()
        page.locator("#c-root[data-stop-now='true']").wait_for()  # (CSP: no eval to poll)
        assert seen == {p.text for p in prompts}  # both prompts served, fewest votes first
        assert page.locator("#c-verdict").inner_text().startswith("Stop now")
        assert page.locator("#c-board tbody tr").count() == 2
        assert "4 votes" in page.locator("#c-votes").inner_text()
        assert "You have voted 4 times; 6 votes left" in page.locator("#c-progress").inner_text()
        shot = screenshot(page, "campaign-voter.png", full_page=True)
        assert shot.exists()
        assert errors == []
    status = service.status(service.get("bakery"))
    assert status.total_votes == 4 and status.target_met


def test_a_voter_ranks_four_models_on_a_campaign_prompt(
    web_arena: Arena, web_service: CampaignService, browser_page: tuple[Any, list[str]]
) -> None:
    from web.webtools import LiveServer

    service = web_service
    models = ["deepseek-v3", "gpt-4o", "qwen2.5-72b-instruct", "glm-4.5"]
    prompts = [CampaignPrompt("Name our new bakery.", "en")]
    campaign = service.create("names", prompts, models=models, target_votes=50)
    _, token = service.invite(campaign, votes_limit=None)
    page, errors = browser_page
    with LiveServer(create_app(web_arena)) as server:
        page.goto(f"{server.url}/c/{token}")
        page.locator("#c-votebar:not([hidden])").wait_for()  # a pairwise battle first
        page.locator("#c-tournament:not([hidden])").click()
        status_line = page.locator("#c-status")
        for _ in range(4):
            status_line.filter(has_text=re.compile(r"vote \d of|ranking")).wait_for()
            label = status_line.inner_text()
            if "ranking" in label:
                break
            page.locator("#c-votebar:not([hidden]) .vote-btn[data-verdict='a']").click()
            status_line.filter(has_not_text=label).wait_for()
        status_line.filter(has_text="The ranking").wait_for()
        ranking = status_line.inner_text()
        assert all(f"{place}. " in ranking for place in (1, 2)), ranking
        page.locator("#c-votes", has_text="votes").wait_for()
        assert errors == []
    status = service.status(service.get("names"))
    assert status.total_votes >= 3
