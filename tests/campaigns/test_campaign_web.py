"""The campaign pages' API in-process: a voter through an invite, the owner's controls,
and privacy (no link, a revoked link, another voter, the public board and vote door)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from modelarena.arena import Arena
from modelarena.campaigns import CampaignPrompt, CampaignService

PROMPTS = [
    CampaignPrompt("Write a tagline for our bakery.", "en"),
    CampaignPrompt("为我们的面包店写一句广告语。", "zh"),
]


async def _answered(client: Any, base: str) -> dict[str, Any]:
    r = await client.post(f"{base}/next")
    assert r.status_code == 200, r.text
    battle: dict[str, Any] = r.json()
    for _ in range(100):
        if battle["status"] == "complete":
            return battle
        await asyncio.sleep(0.05)
        battle = (await client.get(f"{base}/battles/{battle['id']}")).json()
    raise AssertionError(f"the battle never completed: {battle}")


async def test_voter_owner_and_privacy(
    web_service: CampaignService, clients: Callable[[], Any]
) -> None:
    service = web_service
    c = service.create("bakery", PROMPTS, models=["deepseek-v3", "gpt-4o"], target_votes=2)
    owner_base = f"/api/c/{service.owner_token(c)}"
    _, token = service.invite(c, votes_limit=2)
    base = f"/api/c/{token}"
    voter, stranger, owner = await clients(), await clients(), await clients()

    # the page and the API open with the link
    page = await voter.get(f"/c/{token}")
    assert page.status_code == 200 and "bakery" in page.text
    battle = await _answered(voter, base)
    assert battle["prompt"] in {p.text for p in PROMPTS}
    assert "deepseek" not in str(battle).lower() and "gpt" not in str(battle).lower()

    # a stranger: no link, a forged link, the voter's battle id: nothing
    assert (await stranger.get("/c/not-a-token")).status_code == 404
    assert (await stranger.get("/api/c/not-a-token")).status_code == 404
    assert (await stranger.get("/api/campaigns/bakery")).status_code == 404  # private
    assert (await stranger.get(f"{base}/battles/{battle['id']}")).status_code == 404
    r = await stranger.post(f"/api/battles/{battle['id']}/vote", {"verdict": "a"})
    assert r.status_code == 403 and r.json()["error"]["code"] == "not_your_battle"
    # the voter cannot use the public vote door on it either: it is the campaign's
    r = await voter.post(f"/api/battles/{battle['id']}/vote", {"verdict": "a"})
    assert r.status_code == 403

    r = await voter.post(f"{base}/battles/{battle['id']}/vote", {"verdict": "a"})
    assert r.status_code == 200, r.text
    assert r.json()["counted"] and set(r.json()["reveal"].values()) <= {"DeepSeek-V3", "GPT-4o"}
    status = (await voter.get(base)).json()
    assert status["my_votes"] == 1 and status["votes_left"] == 1 and status["total_votes"] == 1
    assert "prompt_list" not in status and "invites" not in status  # the owner's only
    # the public board counts none of it
    public = (await stranger.get("/api/leaderboard")).json()
    assert public["total_votes"] == 0

    # the owner: prompts, invites, a prompt written in the page, publishing
    r = await voter.post(f"{base}/invites", {"votes_limit": 3})
    assert r.status_code == 403
    mine = (await owner.get(owner_base)).json()
    assert mine["owner"] and len(mine["prompt_list"]) == 2 and mine["invites"][0]["votes"] == 1
    r = await owner.post(
        f"{owner_base}/prompts", {"text": "Describe our croissant.\n\nWho are we?"}
    )
    assert r.json() == {"added": 2}
    r = await owner.post(f"{owner_base}/publish", {"value": True})
    published = (await stranger.get("/api/campaigns/bakery")).json()
    assert published["total_votes"] == 1 and "prompt_list" not in published
    assert (await stranger.get("/campaigns/bakery")).status_code == 200

    # the vote limit, then revocation
    battle = await _answered(voter, base)
    assert (await voter.post(f"{base}/battles/{battle['id']}/vote", {"verdict": "b"})).is_success
    r = await voter.post(f"{base}/next")
    assert r.status_code == 403 and r.json()["error"]["code"] == "vote_limit"
    invite_id = mine["invites"][0]["id"]
    r = await owner.post(f"{owner_base}/invites/{invite_id}/revoke")
    assert r.json()["revoked"]
    r = await voter.get(base)
    assert r.status_code == 403 and r.json()["error"]["code"] == "revoked"
    assert (await voter.get(f"/c/{token}")).status_code == 403


async def test_language_cut_and_bad_language(
    web_service: CampaignService, clients: Callable[[], Any]
) -> None:
    service = web_service
    c = service.create("langs", PROMPTS, models=["deepseek-v3", "gpt-4o"], target_votes=50)
    _, token = service.invite(c, votes_limit=None)
    base = f"/api/c/{token}"
    voter = await clients()
    for _ in range(4):  # each prompt twice (two prompts x one pair, fewest votes first)
        battle = await _answered(voter, base)
        await voter.post(f"{base}/battles/{battle['id']}/vote", {"verdict": "tie"})
    every = (await voter.get(base)).json()
    zh = (await voter.get(f"{base}?language=zh")).json()
    assert every["total_votes"] == 4 and zh["total_votes"] == 2 and zh["language"] == "zh"
    assert every["languages"] == {"en": 1, "zh": 1}
    r = await voter.get(f"{base}?language=chinese!")
    assert r.status_code == 400 and "ISO 639-1" in r.json()["error"]["message"]


async def test_a_tournament_on_a_campaign_prompt(
    web_service: CampaignService, clients: Callable[[], Any]
) -> None:
    service = web_service
    models = ["deepseek-v3", "gpt-4o", "qwen2.5-72b-instruct", "glm-4.5"]
    three = service.create("three", PROMPTS, models=models[:3], target_votes=5)
    _, token3 = service.invite(three, votes_limit=None)
    voter, stranger = await clients(), await clients()
    r = await voter.post(f"/api/c/{token3}/tournaments")
    assert r.status_code == 409 and r.json()["error"]["code"] == "not_enough_models"

    c = service.create("four", PROMPTS, models=models, target_votes=5)
    _, token = service.invite(c, votes_limit=6)
    base = f"/api/c/{token}"
    r = await voter.post(f"{base}/tournaments")
    assert r.status_code == 200, r.text
    tid = r.json()["id"]
    assert r.json()["prompt"] in {p.text for p in PROMPTS}
    # the public tournament API does not hand it to anyone: it is the campaign voter's
    assert (await stranger.get(f"{base}/tournaments/{tid}")).status_code == 404
    r = await stranger.post(f"/api/tournaments/{tid}/vote", {"verdict": "a"})
    assert r.status_code == 403
    view: dict[str, Any] = {}
    for _ in range(100):
        view = (await voter.get(f"{base}/tournaments/{tid}")).json()
        if view["status"] != "generating":
            break
        await asyncio.sleep(0.05)
    assert view["status"] == "voting", view
    while view["status"] == "voting":
        position = view["match"]["position"]
        r = await voter.post(
            f"{base}/tournaments/{tid}/vote", {"verdict": "a", "position": position}
        )
        assert r.status_code == 200, r.text
        view = r.json()
    assert view["status"] == "done" and len(view["ranking"]) == 4
    status = (await voter.get(base)).json()
    votes = view["votes_given"]
    assert status["total_votes"] == votes and status["my_votes"] == votes
    assert status["votes_left"] == 6 - votes
    assert (await stranger.get("/api/leaderboard")).json()["total_votes"] == 0
    # too few votes left on the link for another tournament; a pairwise battle still fits
    r = await voter.post(f"{base}/tournaments")
    assert r.status_code == 403 and r.json()["error"]["code"] == "vote_limit"
    battle = await _answered(voter, base)
    assert (await voter.post(f"{base}/battles/{battle['id']}/vote", {"verdict": "a"})).is_success


async def test_public_board_by_language(web_arena: Arena, clients: Callable[[], Any]) -> None:
    for prompt, n in (("用一句话介绍长城。", 3), ("Describe the sea.", 5)):
        for _ in range(n):
            # one pair: a board counts the votes of its largest connected part only
            pair = ["deepseek-v3", "gpt-4o"]
            b = web_arena.start_battle("chat", prompt, session_id="s", models=pair)
            b = await web_arena.run_turn(b.id, prompt)
            web_arena.vote(b.id, "a", voter="v", owner="s")
    client = await clients()
    every = (await client.get("/api/leaderboard")).json()
    zh = (await client.get("/api/leaderboard?language=zh")).json()
    en = (await client.get("/api/leaderboard?language=en")).json()
    got = (every["total_votes"], zh["total_votes"], en["total_votes"])
    assert got == (8, 3, 5), got
    assert zh["filters"]["languages"] == ["zh"]
    r = await client.get("/api/leaderboard?language=klingon!")
    assert r.status_code == 400
    assert (await client.get("/leaderboard?language=zh")).status_code == 200
