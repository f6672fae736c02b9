"""A tournament on scripted models, through the real store and the arena's vote door."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from scripted import scripted_arena

from modelarena.arena import Arena
from modelarena.store.tournaments import DONE, FAILED, VOTING, TournamentNotFound
from modelarena.tournaments import TournamentError, TournamentRunner

MODELS = ("deepseek-v3", "gpt-4o", "qwen2.5-72b-instruct", "llama-3.1-8b-instruct")


def arena_of(
    tmp_path: Path, replies: dict[str, list[object]] | None = None, url: str | None = None
) -> Arena:
    replies = replies or {m: [f"An answer written by slot {i}."] for i, m in enumerate(MODELS)}
    url = url or f"sqlite:///{tmp_path / 't.db'}"
    return scripted_arena(url, replies)  # type: ignore[arg-type]


async def test_four_votes_rank_the_four_models(tmp_path: Path, db_url: str) -> None:
    arena = arena_of(tmp_path, url=db_url)
    runner = TournamentRunner(arena, random.Random(3))
    t = runner.start("chat", "Say something.", owner="s1")
    assert sorted(t.models) == sorted(MODELS)
    before = await runner.generate(t.id, "Say something.")
    assert before.status == VOTING
    state = runner.progress(t.id)
    assert state.answers_ready == 4 and state.current is not None
    assert state.current.position == 0
    verdicts = ["a", "tie", "b", "a"]
    for v in verdicts:
        assert state.current is not None
        state = await runner.choose(t.id, v, owner="s1", position=state.current.position)
    done = state.tournament
    assert done.status == DONE and done.ranking is not None
    assert sorted(done.ranking) == [1, 2, 3, 4]
    # the four matches are battles with a counted human vote each, in the leaderboard's counts
    assert [m.stage for m in done.matches[:2]] == ["round1", "round1"]
    assert {m.stage for m in done.matches[2:]} == {"winners", "losers"}
    for m, v in zip(done.matches, verdicts, strict=True):
        votes = arena.store.votes_for_battle(m.battle_id)
        assert [x.verdict.value for x in votes] == [v] and votes[0].counted
        assert votes[0].voter == "s1"
    assert sum(arena.store.vote_totals().values()) == 2 * 4
    # winners meet winners: the winners' match holds the two sides round 1 advanced
    r1 = done.matches[:2]
    up = {m.slot_a if m.advances == "a" else m.slot_b for m in r1}
    winners = next(m for m in done.matches if m.stage == "winners")
    assert {winners.slot_a, winners.slot_b} == up
    await arena.aclose()


async def test_ties_share_a_place_and_votes_wait_for_the_ranking(tmp_path: Path) -> None:
    arena = arena_of(tmp_path)
    runner = TournamentRunner(arena, random.Random(5))
    t = runner.start("chat", "Hello?", owner="s1")
    await runner.generate(t.id, "Hello?")
    for v in ["both_bad", "tie", "tie"]:
        await runner.choose(t.id, v, owner="s1")
        # no vote is cast (so no battle revealed) before the ranking is complete
        assert sum(arena.store.vote_totals().values()) == 0
    state = await runner.choose(t.id, "both_bad", owner="s1")
    assert state.tournament.ranking is not None
    assert sorted(state.tournament.ranking) == [1, 1, 3, 3]
    assert sum(arena.store.vote_totals().values()) == 8
    await arena.aclose()


async def test_refusals(tmp_path: Path) -> None:
    arena = arena_of(tmp_path)
    runner = TournamentRunner(arena, random.Random(1))
    t = runner.start("chat", "Hi", owner="s1")
    with pytest.raises(TournamentError) as exc:
        await runner.choose(t.id, "a", owner="s1")
    assert exc.value.code == "not_voting"
    await runner.generate(t.id, "Hi")
    with pytest.raises(TournamentError) as exc:
        await runner.choose(t.id, "a", owner="someone else")
    assert exc.value.code == "not_your_tournament"
    with pytest.raises(TournamentError) as exc:
        await runner.choose(t.id, "left", owner="s1")
    assert exc.value.code == "unknown_verdict"
    await runner.choose(t.id, "a", owner="s1", position=0)
    with pytest.raises(TournamentError) as exc:  # a second tab still showing match 0
        await runner.choose(t.id, "b", owner="s1", position=0)
    assert exc.value.code == "stale_match"
    with pytest.raises(TournamentNotFound):
        runner.progress("nope")
    await arena.aclose()


async def test_too_few_models_is_a_clear_error(tmp_path: Path) -> None:
    arena = scripted_arena(f"sqlite:///{tmp_path / 'two.db'}")
    with pytest.raises(TournamentError, match="needs four available models; 2 are"):
        TournamentRunner(arena).start("chat", "Hi", owner="s1")
    await arena.aclose()


async def test_a_failed_answer_fails_the_tournament(tmp_path: Path) -> None:
    from modelarena.backends.base import BackendError

    replies: dict[str, list[object]] = {m: ["fine"] for m in MODELS}
    replies[MODELS[2]] = [BackendError("boom", reason="server_error")]
    arena = arena_of(tmp_path, replies)
    runner = TournamentRunner(arena, random.Random(2))
    t = runner.start("chat", "Hi", owner="s1")
    done = await runner.generate(t.id, "Hi")
    assert done.status == FAILED
    with pytest.raises(TournamentError, match="failed to answer"):
        await runner.choose(t.id, "a", owner="s1")
    await arena.aclose()


async def test_a_campaign_casts_the_votes_as_its_own_source(tmp_path: Path) -> None:
    arena = arena_of(tmp_path)
    runner = TournamentRunner(arena, random.Random(8))
    t = runner.start("chat", "Hi", owner="s1", models=list(MODELS), source="campaign:c1")
    assert sorted(t.models) == sorted(MODELS)
    await runner.generate(t.id, "Hi")
    for v in ["a", "b", "a", "b"]:
        state = await runner.choose(t.id, v, owner="s1")
    assert state.tournament.vote_source == "campaign:c1"
    assert sum(arena.store.vote_totals().values()) == 0  # off the public board
    cells = arena.store.pair_cells(sources=["campaign:c1"])
    assert int((cells.wins_a + cells.wins_b + cells.ties).sum()) == 4
    with pytest.raises(TournamentError, match="four different configured models"):
        runner.start("chat", "Hi", owner="s1", models=list(MODELS[:3]) + [MODELS[0]])
    await arena.aclose()
