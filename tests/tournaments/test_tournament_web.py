"""The tournament page and its API: the in-process app, and once in headless Chromium."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import pytest
from scripted import scripted_model
from web.webtools import ApiClient

from modelarena.arena import Arena
from modelarena.config import Settings
from modelarena.store import Store
from modelarena.web import create_app

MODELS = ("deepseek-v3", "gpt-4o", "qwen2.5-72b-instruct", "llama-3.1-8b-instruct")


def four_model_arena(path: Path, slow: str | None = None) -> Arena:
    url = f"sqlite:///{path / 'arena.db'}"
    models = [
        scripted_model(m, [f"Answer number {i}: water boils at 100 C."], 0.6 if m == slow else 0.0)
        for i, m in enumerate(MODELS)
    ]
    return Arena(Settings(database_url=url, models=models), Store.open(url))


async def test_api_tournament_four_votes_then_the_ranking(tmp_path: Path) -> None:
    arena = four_model_arena(tmp_path, slow=MODELS[1])
    app = create_app(arena)
    async with app.router.lifespan_context(app):
        me = await ApiClient(app).start()
        other = await ApiClient(app).start()
        r = await me.post("/api/tournaments", {"prompt": "When does water boil?"})
        assert r.status_code == 200, r.text
        tid = r.json()["id"]
        state = (await me.get(f"/api/tournaments/{tid}")).json()
        assert state["status"] == "generating" and state["match"] is None
        for _ in range(100):
            state = (await me.get(f"/api/tournaments/{tid}")).json()
            if state["status"] != "generating":
                break
            await asyncio.sleep(0.05)
        assert state["status"] == "voting" and state["answers_ready"] == 4
        # someone else sees no answers and cannot vote
        theirs = (await other.get(f"/api/tournaments/{tid}")).json()
        assert theirs["match"] is None
        refused = await other.post(f"/api/tournaments/{tid}/vote", {"verdict": "a"})
        assert refused.status_code == 403
        bad = await me.post(f"/api/tournaments/{tid}/vote", {"verdict": "left"})
        assert bad.status_code == 400
        for verdict in ("a", "b", "tie", "a"):
            match = state["match"]
            assert set(match) >= {"a", "b", "position"} and "time_s" not in json.dumps(match)
            r = await me.post(
                f"/api/tournaments/{tid}/vote", {"verdict": verdict, "position": match["position"]}
            )
            assert r.status_code == 200, r.text
            state = r.json()
        assert state["status"] == "done" and state["votes_given"] == 4
        places = [row["place"] for row in state["ranking"]]
        # round 2 comes in random order: the tie (third vote) shares first or third place
        tied_stage = state["matches"][2]["stage"]
        assert places == ([1, 1, 3, 4] if tied_stage == "winners" else [1, 2, 3, 3])
        assert {row["model"]["id"] for row in state["ranking"]} == set(MODELS)
        # anonymous until the ranking: no response before the last vote names a model
        before = me.bodies[:-1]
        names = [*MODELS, *(arena.model_info(m).display_name for m in MODELS)]
        assert not [n for n in names for body in before if n in body]
        assert sum(arena.store.vote_totals().values()) == 8
        await me.http.aclose()
        await other.http.aclose()
    (tmp_path / "x").mkdir()
    missing = create_app(four_model_arena(tmp_path / "x"))
    async with missing.router.lifespan_context(missing):
        c = await ApiClient(missing).start()
        assert (await c.get("/api/tournaments/nope")).status_code == 404
        assert (await c.post("/api/tournaments", {"prompt": " "})).status_code == 400
        await c.http.aclose()


@pytest.mark.browser
@pytest.mark.slow
def test_browser_tournament_gives_four_votes_and_a_ranking(tmp_path: Path) -> None:
    from web.webtools import LiveServer, launched_chromium

    arena = four_model_arena(tmp_path, slow=MODELS[0])
    with LiveServer(create_app(arena)) as server, launched_chromium() as browser:
        page = browser.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.set_default_timeout(20_000)
        page.goto(server.url + "/tournament")
        page.fill("#t-prompt", "When does water boil?")
        page.click("#t-start")
        for verdict in ("a", "b", "both_bad", "b"):
            page.wait_for_selector("#t-match:not([hidden])")
            label = page.text_content("#t-status")
            assert page.text_content("#t-answer-a") and page.text_content("#t-answer-b")
            page.click(f'#t-match .vote-btn[data-verdict="{verdict}"]')
            deadline = time.monotonic() + 20
            while page.text_content("#t-status") == label and time.monotonic() < deadline:
                time.sleep(0.05)
        page.wait_for_selector("#t-ranking:not([hidden])")
        places = page.eval_on_selector_all(
            "#t-ranking-list li", "els => els.map(e => e.dataset.place)"
        )
        shown = page.eval_on_selector_all("#t-matches li", "els => els.map(e => e.textContent)")
        assert len(shown) == 4
        # the third vote ("both bad") shares the place of whichever round-2 match it was
        winners_tied = shown[2].startswith("Winners")
        assert places == (["1", "1", "3", "4"] if winners_tied else ["1", "2", "3", "3"])
        assert errors == []
    assert sum(arena.store.vote_totals().values()) == 8
