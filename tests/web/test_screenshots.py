"""Screenshots of the product for docs/screenshots/, taken on a populated board.

The arena screenshots with the bundled model come from test_browser.py; here the designs
are scripted (the bundled 135M model cannot write a real page) and the board is seeded with
simulated votes so the leaderboard and model pages have something to show.
"""

from __future__ import annotations

from typing import Any

import pytest
from webdemo import CHAT_A, CHAT_B, DEMO_RATINGS, PRICING_A, PRICING_B, seed_demo_votes
from webtools import screenshot

pytestmark = pytest.mark.browser


def test_product_screenshots(scripted: Any, live_server: Any, page: Any, chromium: Any) -> None:
    # two contestants in the arena; the seeded votes rate eleven models
    arena = scripted(
        {"deepseek-v3.2": [PRICING_A, CHAT_A], "claude-sonnet-4.5": [PRICING_B, CHAT_B]}
    )
    assert seed_demo_votes(arena.store) == 2400
    server = live_server(arena)

    page.goto(server.url + "/")
    page.locator('.cat:has(input[value="ui-component"])').click()
    page.fill("#prompt", "A pricing card with three tiers and a monthly/yearly toggle.")
    page.click("#send-btn")
    page.wait_for_selector("#votebar:not([hidden])")
    page.wait_for_timeout(500)
    assert page.locator("iframe.design-frame").count() == 2
    screenshot(page, "arena-design.png")

    page.goto(server.url + "/leaderboard")
    page.wait_for_selector("#board-body tr")
    assert page.locator("#board-body tr").count() == len(DEMO_RATINGS)
    assert page.locator("#headline .stat").count() == 4
    screenshot(page, "leaderboard.png", full_page=True)
    page.goto(server.url + "/leaderboard?open=true&min_votes=100")
    rows = page.locator("#board-body tr").count()
    assert 0 < rows < len(DEMO_RATINGS)
    assert page.locator("input[name=open]").is_checked()

    page.goto(server.url + "/models/qwen3-235b-a22b-instruct-2507")
    assert page.locator(".chart svg circle").count() >= 10  # one point per day
    assert page.locator("table.board tbody tr").count() == len(DEMO_RATINGS) - 1
    screenshot(page, "model.png", full_page=True)

    dark = chromium.new_context(viewport={"width": 1360, "height": 900}, color_scheme="dark")
    dpage = dark.new_page()
    dpage.goto(server.url + "/leaderboard")
    assert dpage.evaluate("document.documentElement.dataset.theme") == "dark"
    screenshot(dpage, "leaderboard-dark.png")
    dark.close()

    mobile = chromium.new_context(
        viewport={"width": 390, "height": 844},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
    )
    mpage = mobile.new_page()
    mpage.goto(server.url + "/")
    mpage.fill("#prompt", "Explain the difference between a process and a thread.")
    mpage.click("#send-btn")
    mpage.wait_for_selector("#votebar:not([hidden])")
    width = mpage.evaluate("document.documentElement.scrollWidth")
    assert width <= 390  # no sideways scrolling on a phone
    mpage.wait_for_timeout(500)
    screenshot(mpage, "arena-mobile.png")
    mobile.close()
