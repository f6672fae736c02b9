"""Casting votes: the rules the vote path applies, on SQLite and on a real PostgreSQL server
(where the vote is written in one statement after an unlocked read)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import update

from modelarena.battles.records import Answer, Verdict
from modelarena.battles.style import style_counts
from modelarena.store import Ballot, Store, VoteRejected, voting_postgres
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
    store.mark_pending(bid)
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
    real_read = voting_postgres.read_battle
    reads: list[bool] = []

    def read_then_reveal(conn: Any, ballot: Ballot, **kw: Any) -> Any:
        row, found = real_read(conn, ballot, **kw)
        reads.append(bool(row.anonymous))
        if len(reads) == 1:  # someone reveals the battle between this read and the write
            with store.engine.begin() as other:
                other.execute(update(battles).where(battles.c.id == bid).values(anonymous=False))
        return row, found

    monkeypatch.setattr(voting_postgres, "read_battle", read_then_reveal)
    vote = store.record_vote(bid, Verdict.A, voter="v")
    assert reads == [True, False]
    assert (vote.counted, vote.reason) == (False, "not_anonymous")
    assert store.pair_cells().models == []  # nothing reached the pair counts
    assert len(store.votes_for_battle(bid)) == 1
