"""The leaderboard fits the screen: on a phone and on a laptop, no column a reader needs is
pushed off the card, whatever the length of the names on it."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from webdemo import seed_demo_votes

from modelarena.battles.records import Verdict
from modelarena.store import ImportedBattle

pytestmark = pytest.mark.browser

# A name as long as the longest on published boards, and not in the catalog (shown as is).
LONG_NAME = "qwen3-coder-480b-a35b-instruct-fp8-thinking-32k-preview-2025-07-22-turbo"

# columns each width must show in full, by header text
NEEDED = {
    390: ["Rank", "Model", "Rating (95% CI)", "Votes"],
    1360: ["Rating (95% CI)", "$ / M in · out"],
}


def _seed_long_names(arena: Any) -> None:
    seed_demo_votes(arena.store)
    template = ImportedBattle(model_a=LONG_NAME, model_b="gpt-5", verdict=Verdict.A)
    rows = [
        replace(template, verdict=Verdict.A if k % 2 else Verdict.B, external_id=f"long-{k}")
        for k in range(30)
    ]
    arena.store.import_battles(rows, source_label="demo-long")


@pytest.mark.parametrize("width", [390, 1360])
def test_leaderboard_columns_stay_on_the_card(
    width: int, scripted: Any, live_server: Any, chromium: Any
) -> None:
    arena = scripted()
    _seed_long_names(arena)
    server = live_server(arena)
    context = chromium.new_context(viewport={"width": width, "height": 900})
    try:
        page = context.new_page()
        page.goto(server.url + "/leaderboard")
        page.wait_for_selector("#board-body tr")
        overflow = page.evaluate(
            """() => {
              const wrap = document.querySelector('#board').closest('.table-wrap');
              const box = wrap.getBoundingClientRect();
              const shown = [...document.querySelectorAll('#board thead th')]
                .filter(th => getComputedStyle(th).display !== 'none')
                .map(th => ({text: th.textContent.trim(),
                              right: th.getBoundingClientRect().right}));
              return {scroll: wrap.scrollWidth - wrap.clientWidth, right: box.right,
                      page: document.documentElement.scrollWidth, shown};
            }"""
        )
        shown = {c["text"]: c["right"] for c in overflow["shown"]}
        for header in NEEDED[width]:
            assert header in shown, f"{header!r} hidden at {width}px"
            assert shown[header] <= overflow["right"] + 0.5, f"{header!r} clipped at {width}px"
        assert overflow["scroll"] <= 0, f"the board scrolls sideways at {width}px"
        assert overflow["page"] <= width, f"the page scrolls sideways at {width}px"
    finally:
        context.close()
