"""Campaigns on a scripted arena: creating, serving prompts that fill the gaps, voting
through invites (limits, revocation), privacy from the public board, and the status."""

from __future__ import annotations

import random

import pytest
from scripted import scripted_arena

from modelarena.arena import Arena
from modelarena.campaigns import CampaignError, CampaignPrompt, CampaignService
from modelarena.leaderboard.board import compute_leaderboard
from modelarena.leaderboard.filters import LeaderboardFilters
from modelarena.store import HUMAN

MODELS = ("deepseek-v3", "gpt-4o", "qwen2.5-72b-instruct")
PROMPTS = [
    CampaignPrompt("Summarise this support ticket: the printer is offline.", "en"),
    CampaignPrompt("用一句话介绍你们的退货政策。", "zh"),
    CampaignPrompt("Write a subject line for a launch email.", "en"),
]


@pytest.fixture
def arena(db_url: str) -> Arena:
    """On SQLite and on PostgreSQL."""
    replies = {m: [f"An answer from a model, number {i}." for i in range(3)] for m in MODELS}
    return scripted_arena(db_url, replies)


@pytest.fixture
def service(arena: Arena) -> CampaignService:
    return CampaignService(arena, "test-secret", rng=random.Random(7))


async def _vote_once(service: CampaignService, token: str, voter: str, verdict: str = "a") -> str:
    access = service.access(token)
    battle, prompt = service.next_battle(access, voter)
    await service.generate(battle.id, prompt.prompt)
    await service.vote(access, voter, battle.id, verdict)
    return battle.id


def test_create_refuses_mistakes(service: CampaignService) -> None:
    with pytest.raises(CampaignError, match="unknown model 'nope'"):
        service.create("x", PROMPTS, models=["nope", "gpt-4o"], target_votes=5)
    with pytest.raises(CampaignError, match="one target"):
        service.create("x", PROMPTS, models=MODELS)
    with pytest.raises(CampaignError, match="at least two"):
        service.create("x", PROMPTS, models=["gpt-4o"], target_votes=5)
    service.create("x", PROMPTS, models=MODELS, target_votes=5)
    with pytest.raises(CampaignError, match="exists already"):
        service.create("x", PROMPTS, models=MODELS, target_votes=5)


async def test_serving_fills_the_gaps(service: CampaignService, arena: Arena) -> None:
    c = service.create("fill", PROMPTS, models=MODELS, target_votes=100)
    _, token = service.invite(c, votes_limit=None)
    for _ in range(9):
        await _vote_once(service, token, "v1")
    counts = arena.store.campaign_votes.prompt_pair_votes(c.id)
    # 3 prompts x 3 pairs = 9 cells, 9 votes from one voter: each cell exactly once
    assert len(counts) == 9
    assert set(counts.values()) == {1}


async def test_reload_serves_the_same_battle(service: CampaignService) -> None:
    c = service.create("reload", PROMPTS, models=MODELS, target_votes=10)
    _, token = service.invite(c, votes_limit=None)
    access = service.access(token)
    first, _ = service.next_battle(access, "v1")
    again, _ = service.next_battle(access, "v1")
    assert first.id == again.id


async def test_vote_limit_and_revocation(service: CampaignService) -> None:
    c = service.create("limits", PROMPTS, models=MODELS, target_votes=10)
    invite, token = service.invite(c, votes_limit=2)
    await _vote_once(service, token, "v1")
    await _vote_once(service, token, "v2")  # the limit is per link, not per voter
    with pytest.raises(CampaignError, match="used all its votes") as exc:
        service.next_battle(service.access(token), "v3")
    assert exc.value.code == "vote_limit"
    _, other = service.invite(c, votes_limit=None)
    await _vote_once(service, other, "v3")
    service.revoke(other)
    with pytest.raises(CampaignError, match="revoked"):
        service.access(other)
    assert service.revoke(invite.id).revoked_at is not None  # by id too


async def test_votes_that_race_past_a_links_limit_stop_counting(
    service: CampaignService, arena: Arena
) -> None:
    """Three voters of a two-vote link, each served a battle while the link had votes
    left, vote at once: all pass the check before any vote is stored. The third vote is
    refused after its commit, stays stored, and does not count; the campaign's board and
    pair counts hold two votes."""
    c = service.create("race", PROMPTS, models=MODELS, target_votes=10)
    invite, token = service.invite(c, votes_limit=2)
    access = service.access(token)
    battles = []
    for voter in ("v1", "v2", "v3"):
        battle, prompt = service.next_battle(access, voter)
        await service.generate(battle.id, prompt.prompt)
        battles.append((voter, battle.id))
    for voter, battle_id in battles[:2]:
        await service.vote(access, voter, battle_id, "a")
    late_voter, late_battle = battles[2]
    # what a vote checked before the other two were stored does (the check passed then)
    service._check_open = lambda _access: None  # type: ignore[method-assign]
    with pytest.raises(CampaignError, match="used all its votes") as exc:
        await service.vote(access, late_voter, late_battle, "b")
    assert exc.value.code == "vote_limit"
    stored = {b: v for _, b in battles for v in arena.store.votes_for_battle(b)}
    assert len(stored) == 3  # stored, as every vote is
    assert not stored[late_battle].counted and stored[late_battle].reason == "invite_limit"
    assert sum(v.counted for v in stored.values()) == 2
    cells = arena.store.pair_cells(sources=(c.source,))
    assert int((cells.wins_a + cells.wins_b + cells.ties).sum()) == 2
    assert service.uncount_past_limit(access, [late_battle]) == 0  # once


def test_forged_or_foreign_tokens(service: CampaignService, arena: Arena) -> None:
    c = service.create("forged", PROMPTS, models=MODELS, target_votes=10)
    _, token = service.invite(c, votes_limit=None)
    with pytest.raises(CampaignError, match="not valid"):
        service.access(token[:-2] + "xx")
    other = CampaignService(arena, "another-secret")
    with pytest.raises(CampaignError, match="not valid"):
        other.access(token)


async def test_campaign_votes_stay_off_the_public_board(
    service: CampaignService, arena: Arena
) -> None:
    c = service.create("private", PROMPTS, models=MODELS, target_votes=10)
    _, token = service.invite(c, votes_limit=None)
    battle_id = await _vote_once(service, token, "v1")
    public = compute_leaderboard(arena.store, arena.model_info, LeaderboardFilters())
    assert public.total_votes == 0 and public.rows == []
    assert arena.store.pair_cells(sources=[HUMAN]).models == []
    # the public vote door refuses the battle: it belongs to the campaign's voter tag
    from modelarena.store import VoteRejected

    with pytest.raises(VoteRejected):
        arena.vote(battle_id, "b", voter="someone", owner="someone-else-session")
    # the battle stays anonymous in the store, so public pages never list it as revealed
    assert arena.store.get_battle(battle_id).anonymous
    status = service.status(c)
    assert status.total_votes == 1


async def test_status_reaches_the_target(arena: Arena) -> None:
    # one model always wins, and a small target
    service = CampaignService(arena, "s", rng=random.Random(1))
    c = service.create("target", PROMPTS, models=MODELS[:2], target_votes=12)
    _, token = service.invite(c, votes_limit=None)
    status = service.status(c)
    assert not status.stop_now and status.separation is None
    for i in range(12):
        access = service.access(token)
        battle, prompt = service.next_battle(access, f"voter{i % 3}")
        await service.generate(battle.id, prompt.prompt)
        winner = "a" if battle.model_a == MODELS[0] else "b"
        await service.vote(access, f"voter{i % 3}", battle.id, winner)
    status = service.status(c)
    assert status.target_met and status.stop_now
    assert [p.votes for p in status.models] == [12, 12]
    assert status.board.rows[0].model == MODELS[0]
    zh = service.status(c, language="zh")
    assert 0 < zh.total_votes < 12
    with pytest.raises(CampaignError, match="stopped"):
        arena.store.campaigns.set_stopped(c.id, True)
        service.next_battle(service.access(token), "late")


async def test_the_chosen_confidence_decides(arena: Arena) -> None:
    service = CampaignService(arena, "s", rng=random.Random(3))
    strict = service.create("strict", PROMPTS, models=MODELS[:2], target_votes=999, confidence=0.99)
    loose = service.create("loose", PROMPTS, models=MODELS[:2], target_votes=999, confidence=0.6)
    with pytest.raises(CampaignError, match="--confidence"):
        service.create("bad", PROMPTS, models=MODELS[:2], target_votes=5, confidence=1.0)
    for c in (strict, loose):
        _, token = service.invite(c, votes_limit=None)
        for i in range(20):  # the first model wins 13 of 20
            access = service.access(token)
            battle, prompt = service.next_battle(access, f"v{i}")
            await service.generate(battle.id, prompt.prompt)
            first_wins = i % 20 < 13
            winner = MODELS[0] if first_wins else MODELS[1]
            await service.vote(access, f"v{i}", battle.id, "a" if battle.model_a == winner else "b")
    s99, s60 = service.status(service.get("strict")), service.status(service.get("loose"))
    assert s99.separation is not None and s60.separation is not None
    assert s99.separation.difference == pytest.approx(s60.separation.difference)
    assert s99.separation.confidence == 0.99 and s60.separation.confidence == 0.6
    assert (s99.separation.votes_needed or 0) > (s60.separation.votes_needed or 0)
