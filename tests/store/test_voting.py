"""Casting votes: the rules the vote path applies, on SQLite and on a real PostgreSQL server
(where the vote is written in one statement after an unlocked read)."""

from __future__ import annotations

import asyncio
import threading
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import update

from modelarena.battles.records import Answer, Verdict
from modelarena.battles.style import style_counts
from modelarena.store import Ballot, Store, VoteRejected, vote_queue, voting_postgres
from modelarena.store.schema import battles


def _battle(store: Store, prompt: str = "hi", *, session: str | None = None) -> str:
    battle = store.create_battle(
        category="chat", model_a="m1", model_b="m2", prompt=prompt, session_id=session
    )
    store.save_answers(battle.id, [Answer("a", 0, prompt, "one"), Answer("b", 0, prompt, "two")])
    return battle.id


def test_the_prompt_cap_counts_only_votes_on_the_same_prompt(db_url: str) -> None:
    store = Store.open(db_url)
    for k in range(3):  # votes on other prompts do not use up this prompt's cap
        store.record_vote(_battle(store, f"other {k}"), Verdict.A, voter="v", prompt_cap=2)
    reasons = [
        store.record_vote(_battle(store, "Same  PROMPT"), Verdict.A, voter="v", prompt_cap=2).reason
        for _ in range(4)
    ]
    assert reasons == [None, None, "prompt_cap", "prompt_cap"]  # case and spacing folded
    assert store.filtered_vote_summary() == {"counted": 5, "prompt_cap": 2}


def test_one_punctuation_mark_or_invisible_character_does_not_make_a_new_prompt(
    db_url: str,
) -> None:
    store = Store.open(db_url)
    variants = ["Rate my poem", "Rate my poem!", "Rate my po\u200bem", "ＲＡＴＥ my poem."]
    reasons = [
        store.record_vote(_battle(store, p), Verdict.A, voter="v", prompt_cap=2).reason
        for p in variants
    ]
    assert reasons == [None, None, "prompt_cap", "prompt_cap"]


def test_cast_vote_returns_the_revealed_battle_with_its_answers(db_url: str) -> None:
    store = Store.open(db_url)
    bid = _battle(store, session="s1")
    battle, vote = store.cast_vote(Ballot(bid, Verdict.B, "s1", owner="s1"))
    assert vote.counted and vote.verdict is Verdict.B and vote.battle_id == bid
    assert battle.anonymous is False and battle.revealed_at == vote.created_at
    assert [(a.turn, a.side, a.content) for a in battle.answers] == [
        (0, "a", "one"),
        (0, "b", "two"),
    ]
    assert store.get_battle(bid).anonymous is False


def test_cast_vote_refuses_other_sessions_and_failed_battles(db_url: str) -> None:
    store = Store.open(db_url)
    bid = _battle(store, session="s1")
    with pytest.raises(VoteRejected) as info:
        store.cast_vote(Ballot(bid, Verdict.A, "s2", owner="s2"))
    assert info.value.code == "not_your_battle"
    failed = store.create_battle(category="chat", model_a="m1", model_b="m2", session_id="s1")
    store.save_answers(failed.id, [Answer("a", 0, "p", "", error="timeout"), Answer("b", 0, "p")])
    with pytest.raises(VoteRejected) as info:
        store.cast_vote(Ballot(failed.id, Verdict.A, "s1", owner="s1", refuse_failed=True))
    assert info.value.code == "battle_failed"
    assert store.votes_for_battle(bid) == [] and store.votes_for_battle(failed.id) == []


def test_the_vote_takes_its_style_from_the_last_turn(db_url: str) -> None:
    store = Store.open(db_url)
    bid = _battle(store)
    store.claim_turn(bid)
    second = "# Head\n- a\n- b\n**bold**"
    store.save_answers(
        bid,
        [
            Answer("a", 1, "more", second, style=style_counts(second)),
            Answer("b", 1, "more", "plain", style=style_counts("plain")),
        ],
    )
    store.record_vote(bid, Verdict.A, voter="v")
    arrays = store.vote_arrays()
    st = style_counts(second)
    assert arrays.style_a[0].tolist() == [st.tokens, st.headers, st.lists, st.bold]
    assert arrays.style_b[0].tolist() == [style_counts("plain").tokens, 0, 0, 0]


def test_a_battle_changed_between_read_and_write_is_decided_again(
    pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PostgreSQL reads without a lock: if the battle is revealed after the read, the guarded
    write stores nothing, and the second read decides the vote does not count."""
    store = Store.open(pg_url)
    bid = _battle(store)
    real_read = voting_postgres._read
    reads: list[bool] = []

    def read_then_reveal(conn: Any, ballots: Any, cap: int) -> Any:
        found = real_read(conn, ballots, cap)
        reads.append(bool(found[0][0].anonymous))
        if len(reads) == 1:  # someone reveals the battle between this read and the write
            with store.engine.begin() as other:
                other.execute(update(battles).where(battles.c.id == bid).values(anonymous=False))
        return found

    monkeypatch.setattr(voting_postgres, "_read", read_then_reveal)
    vote = store.record_vote(bid, Verdict.A, voter="v")
    assert reads == [True, False]
    assert (vote.counted, vote.reason) == (False, "not_anonymous")
    assert store.pair_cells().models == []  # nothing reached the pair counts
    assert len(store.votes_for_battle(bid)) == 1


def test_one_batch_decides_each_vote_on_its_own(pg_url: str) -> None:
    store = Store.open(pg_url)
    mine = [_battle(store, f"q{k}", session="s1") for k in range(3)]
    capped = [_battle(store, "same", session="s1") for _ in range(3)]
    now = datetime.now(UTC)
    ballots = [
        Ballot(mine[0], Verdict.A, "s1", owner="s1"),
        Ballot(mine[0], Verdict.B, "s1", owner="s1"),  # the same battle twice in one batch
        Ballot(mine[1], Verdict.TIE, "s2", owner="s2"),  # someone else's battle
        Ballot("0" * 24, Verdict.A, "s1"),  # no such battle
        Ballot(mine[2], Verdict.B, "s1", source="judge:x", reveal=False),
        *[Ballot(b, Verdict.A, "s1", prompt_cap=2) for b in capped],
    ]
    with store.engine.connect() as conn:
        conn = conn.execution_options(isolation_level="AUTOCOMMIT")
        outcomes = voting_postgres.cast_many(conn, [(b, now) for b in ballots])
    kinds = [
        o.reason if isinstance(o, voting_postgres.Cast) else getattr(o, "code", "not_found")
        for o in outcomes
    ]
    assert kinds == [
        None,
        "duplicate",
        "not_your_battle",
        "not_found",
        None,
        None,
        None,
        "prompt_cap",
    ]
    cells = store.pair_cells()
    assert (cells.wins_a.sum(), cells.wins_b.sum(), cells.ties.sum()) == (3, 0, 0)  # human only
    assert store.get_battle(mine[0]).anonymous is False
    assert store.get_battle(mine[2]).anonymous is True  # a judge verdict reveals nothing
    assert store.filtered_vote_summary() == {"counted": 4, "prompt_cap": 1}


def test_concurrent_votes_are_written_in_batches_and_all_kept(pg_url: str) -> None:
    store = Store.open(pg_url)
    ids = [_battle(store, f"p{k}", session=f"s{k}") for k in range(40)]
    outcomes: list[str] = []

    def vote(k: int) -> None:
        try:
            store.cast_vote(Ballot(ids[k % 40], Verdict.A, f"s{k % 40}", owner=f"s{k % 40}"))
            outcomes.append("ok")
        except VoteRejected as exc:
            outcomes.append(exc.code)

    threads = [threading.Thread(target=vote, args=(k,)) for k in range(80)]  # each twice
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["duplicate"] * 40 + ["ok"] * 40
    assert store.pair_cells().wins_a.sum() == 40
    assert store.filtered_vote_summary() == {"counted": 40}


def test_a_failed_batch_fails_its_votes_and_the_writer_goes_on(
    pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = Store.open(pg_url)
    first, second = _battle(store, "one"), _battle(store, "two")

    def broken(conn: Any, ballots: Any) -> Any:
        raise RuntimeError("the database went away")

    with monkeypatch.context() as patch:
        patch.setattr(vote_queue, "cast_many", broken)
        with pytest.raises(RuntimeError):
            store.record_vote(first, Verdict.A, voter="v")
    assert store.votes_for_battle(first) == []
    assert store.record_vote(second, Verdict.A, voter="v").counted


def test_votes_awaited_on_an_event_loop_are_batched_and_failures_stay_local(
    pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = Store.open(pg_url)
    assert store.batches_votes
    ids = [_battle(store, f"loop {k}", session=f"s{k}") for k in range(12)]
    sizes: list[int] = []
    real_cast_many = vote_queue.cast_many

    def counting(conn: Any, items: Any) -> Any:
        sizes.append(len(items))
        return real_cast_many(conn, items)

    async def cast_all() -> list[bool]:
        monkeypatch.setattr(vote_queue, "cast_many", counting)
        votes = await asyncio.gather(
            *[
                store.cast_vote_async(Ballot(b, Verdict.A, f"s{k}", owner=f"s{k}"))
                for k, b in enumerate(ids)
            ]
        )
        monkeypatch.setattr(vote_queue, "cast_many", broken)
        with pytest.raises(RuntimeError):
            await store.cast_vote_async(Ballot(spare, Verdict.B, "x"))
        monkeypatch.setattr(vote_queue, "cast_many", real_cast_many)
        again = await store.cast_vote_async(Ballot(spare, Verdict.B, "x"))
        await store.aclose()
        return [record.counted for _, record in votes] + [again[1].counted]

    def broken(conn: Any, items: Any) -> Any:
        raise RuntimeError("the database went away")

    spare = _battle(store, "spare")
    assert asyncio.run(cast_all()) == [True] * 13
    assert sum(sizes) == 12 and len(sizes) < 12  # twelve votes, fewer batches
    assert store.filtered_vote_summary() == {"counted": 13}


def test_vote_connections_plan_each_batch_for_its_own_values(pg_url: str) -> None:
    """Prepared statements, but no generic plan: one made while the vote table was nearly
    empty scanned the whole table for the prompt cap as the table grew."""
    from sqlalchemy import create_engine, text

    engine = create_engine(pg_url, connect_args=vote_queue._vote_connections(pg_url))
    try:
        with engine.connect() as conn:
            assert conn.execute(text("SHOW plan_cache_mode")).scalar() == "force_custom_plan"
    finally:
        engine.dispose()
