"""The store on SQLite and on a real PostgreSQL server."""

from __future__ import annotations

import threading

import pytest

from modelarena.battles.records import Answer, BattleStatus, Verdict
from modelarena.battles.style import style_counts
from modelarena.store import BattleNotFound, ImportedBattle, Store, VoteRejected, migrate


def _complete_battle(store: Store, a: str = "m1", b: str = "m2", prompt: str = "hi") -> str:
    battle = store.create_battle(
        category="chat", model_a=a, model_b=b, pair_probability=0.25, prompt=prompt
    )
    store.save_answers(
        battle.id,
        [
            Answer("a", 0, prompt, "# Title\n- x\n- y", style=style_counts("# Title\n- x\n- y")),
            Answer("b", 0, prompt, "plain answer", style=style_counts("plain answer")),
        ],
    )
    return battle.id


def test_migrations_reach_head_and_are_idempotent(db_url: str) -> None:
    store = Store.open(db_url)
    assert migrate.current_revision(store.engine) == migrate.head_revision(store.engine)
    Store.open(db_url)  # a second upgrade is a no-op
    migrate.downgrade(store.engine, "base")
    assert migrate.current_revision(store.engine) is None
    migrate.upgrade(store.engine)
    assert migrate.current_revision(store.engine) == migrate.head_revision(store.engine)


def test_migration_0003_rekeys_prompts_from_their_stored_text_and_keeps_every_row(
    db_url: str,
) -> None:
    import hashlib

    from sqlalchemy import func, select, update

    from modelarena.battles.textfold import prompt_key
    from modelarena.store.schema import battles, votes

    def legacy(prompt: str) -> str:  # the key before revision 0003
        return hashlib.sha256(" ".join(prompt.lower().split()).encode()).hexdigest()[:32]

    store = Store.open(db_url)
    migrate.downgrade(store.engine, "0002")
    prompts = {_complete_battle(store, prompt=p): p for p in ("Same prompt", "Same prompt!")}
    pending = store.create_battle(category="chat", model_a="m1", model_b="m2", prompt="Odd one")
    prompts[pending.id] = "Odd one"  # no answer stored: its text is unknown to the migration
    store.record_vote(next(iter(prompts)), Verdict.A, voter="v")
    with store.engine.begin() as conn:
        for bid, p in prompts.items():
            conn.execute(update(battles).where(battles.c.id == bid).values(prompt_hash=legacy(p)))

    def keys() -> dict[str, str]:
        with store.engine.connect() as conn:
            return dict(conn.execute(select(battles.c.id, battles.c.prompt_hash)).all())

    migrate.upgrade(store.engine)
    assert keys() == {
        **{bid: prompt_key(p) for bid, p in prompts.items()},
        pending.id: legacy("Odd one"),
    }
    with store.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(votes)).scalar() == 1
    migrate.downgrade(store.engine, "0002")
    assert keys() == {bid: legacy(p) for bid, p in prompts.items()}


def test_migration_0007_keeps_one_vote_per_battle_and_source_by_an_index(db_url: str) -> None:
    from sqlalchemy import func, inspect, select

    from modelarena.store.schema import votes

    def shape() -> tuple[set[str], set[str]]:
        inspector = inspect(store.engine)
        unique = {c["name"] for c in inspector.get_unique_constraints("votes")}
        indexes = {i["name"] for i in inspector.get_indexes("votes") if i["unique"]}
        return unique, indexes

    store = Store.open(db_url)
    migrate.downgrade(store.engine, "0006")
    assert "uq_votes_battle_source" in shape()[0]  # the table constraint of before
    bid = _complete_battle(store)
    store.record_vote(bid, Verdict.A, voter="v")
    migrate.upgrade(store.engine)
    unique, indexes = shape()
    assert "uq_votes_battle_source" not in unique and "uq_votes_battle_source" in indexes
    with store.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(votes)).scalar() == 1
    with pytest.raises(VoteRejected):  # the rule holds: a second human vote is refused
        store.record_vote(bid, Verdict.B, voter="w")


def test_migration_0011_keys_imports_by_battle_id(db_url: str) -> None:
    """0011: no index on (source, external id), a table of import sources filled from the
    battles imported, and the prompt index only over battles with a prompt; and back."""
    from datetime import datetime

    from sqlalchemy import insert, inspect, text

    from modelarena.store.bulk import import_battle_id
    from modelarena.store.schema import battles

    def shape() -> tuple[set[str], set[str], str]:
        inspector = inspect(store.engine)
        indexes = {i["name"] for i in inspector.get_indexes("battles")}
        with store.engine.connect() as conn:
            if store.engine.dialect.name == "sqlite":
                sql = "SELECT sql FROM sqlite_master WHERE name = 'ix_battles_prompt_hash'"
            else:
                sql = "SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_battles_prompt_hash'"
            prompt_index = str(conn.execute(text(sql)).scalar())
        return indexes, set(inspector.get_table_names()), prompt_index.upper()

    store = Store.open(db_url)
    indexes, tables, prompt_index = shape()
    assert "uq_battles_source_external_id" not in indexes and "import_sources" in tables
    assert "WHERE" in prompt_index and "NOT NULL" in prompt_index
    migrate.downgrade(store.engine, "0010")
    indexes, tables, prompt_index = shape()
    assert "uq_battles_source_external_id" in indexes and "import_sources" not in tables
    assert "WHERE" not in prompt_index
    with store.engine.begin() as conn:  # a battle an import stored at 0010
        conn.execute(
            insert(battles).values(
                id=import_battle_id("lmarena", "q1"), created_at=datetime(2024, 1, 1),
                category="chat", model_a="m1", model_b="m2", status="complete",
                anonymous=True, source="lmarena", external_id="q1",
            )
        )  # fmt: skip
    migrate.upgrade(store.engine)
    indexes, tables, prompt_index = shape()
    assert "uq_battles_source_external_id" not in indexes and "WHERE" in prompt_index
    with store.engine.connect() as conn:
        listed = conn.execute(text("SELECT source, battles FROM import_sources")).all()
    assert [tuple(r) for r in listed] == [("lmarena", 1)]


def test_vote_is_stored_counted_and_cached(db_url: str) -> None:
    store = Store.open(db_url)
    bid = _complete_battle(store)
    vote = store.record_vote(bid, Verdict.A, voter="alice")
    assert vote.counted and vote.reason is None
    cells = store.pair_cells()
    assert cells.models == ["m1", "m2"]
    assert (cells.wins_a.tolist(), cells.wins_b.tolist(), cells.ties.tolist()) == ([1], [0], [0])
    arrays = store.vote_arrays()
    assert arrays.outcome.tolist() == [0]
    assert arrays.pair_probability.tolist() == [0.25]
    assert arrays.style_a[0].tolist() == [style_counts("# Title\n- x\n- y").tokens, 1, 2, 0]
    assert store.get_battle(bid).anonymous is False  # the vote revealed it


def test_one_vote_per_battle(db_url: str) -> None:
    store = Store.open(db_url)
    bid = _complete_battle(store)
    store.record_vote(bid, Verdict.B, voter="alice")
    with pytest.raises(VoteRejected) as info:
        store.record_vote(bid, Verdict.A, voter="bob")
    assert info.value.code == "duplicate"
    assert len(store.votes_for_battle(bid)) == 1
    # a judge verdict is a different source and may coexist with the human vote
    store.record_vote(bid, Verdict.A, voter=None, source="judge:x", reveal=False)
    assert len(store.votes_for_battle(bid)) == 2


def test_concurrent_votes_on_one_battle_store_exactly_one(db_url: str) -> None:
    store = Store.open(db_url)
    bid = _complete_battle(store)
    outcomes: list[str] = []

    def vote(i: int) -> None:
        try:
            store.record_vote(bid, Verdict.A, voter=f"v{i}")
            outcomes.append("ok")
        except VoteRejected:
            outcomes.append("rejected")

    threads = [threading.Thread(target=vote, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes.count("ok") == 1
    assert store.pair_cells().wins_a.tolist() == [1]


def test_vote_rules_keep_uncounted_votes_with_reason(db_url: str) -> None:
    store = Store.open(db_url)
    pending = store.create_battle(category="chat", model_a="m1", model_b="m2")
    with pytest.raises(VoteRejected) as info:
        store.record_vote(pending.id, Verdict.A, voter="x")
    assert info.value.code == "incomplete"
    assert store.votes_for_battle(pending.id) == []

    revealed = _complete_battle(store)
    store.reveal(revealed)
    vote = store.record_vote(revealed, Verdict.A, voter="x")
    assert (vote.counted, vote.reason) == (False, "not_anonymous")

    leaked = store.create_battle(category="chat", model_a="m1", model_b="m2")
    store.save_answers(
        leaked.id,
        [Answer("a", 0, "p", "I am Claude"), Answer("b", 0, "p", "hi")],
        identity_leak="claude",
    )
    vote = store.record_vote(leaked.id, Verdict.A, voter="x")
    assert (vote.counted, vote.reason) == (False, "identity_leak")

    failed = store.create_battle(category="chat", model_a="m1", model_b="m2")
    battle = store.save_answers(
        failed.id, [Answer("a", 0, "p", "", error="timeout"), Answer("b", 0, "p", "ok")]
    )
    assert battle.status is BattleStatus.FAILED and battle.failure_reason == "timeout"
    vote = store.record_vote(failed.id, Verdict.B, voter="x")
    assert (vote.counted, vote.reason) == (False, "battle_failed")

    store.set_voter_status("mallory", banned=True, actor="test")
    vote = store.record_vote(_complete_battle(store), Verdict.A, voter="mallory")
    assert (vote.counted, vote.reason) == (False, "banned_voter")
    assert store.pair_cells().models == []  # nothing counted so far
    summary = store.filtered_vote_summary()
    assert summary == {
        "not_anonymous": 1,
        "identity_leak": 1,
        "battle_failed": 1,
        "banned_voter": 1,
    }


def test_unknown_battle(db_url: str) -> None:
    store = Store.open(db_url)
    with pytest.raises(BattleNotFound):
        store.get_battle("nope")
    with pytest.raises(BattleNotFound):
        store.record_vote("nope", Verdict.A, voter="x")


def test_pair_count_cache_rebuilds_from_the_vote_log(db_url: str) -> None:
    store = Store.open(db_url)
    for verdict in (Verdict.A, Verdict.A, Verdict.B, Verdict.TIE, Verdict.BOTH_BAD):
        store.record_vote(_complete_battle(store), verdict, voter="v")
    store.record_vote(_complete_battle(store, "m2", "m3"), Verdict.A, voter="v")
    before = store.pair_cells()
    assert store.rebuild_pair_counts() == 6
    after = store.pair_cells()
    assert before.models == after.models
    for field in ("a", "b", "wins_a", "wins_b", "ties"):
        assert getattr(before, field).tolist() == getattr(after, field).tolist()
    assert store.vote_totals() == {"m1": 5, "m2": 6, "m3": 1}


def test_import_is_all_or_nothing(db_url: str) -> None:
    store = Store.open(db_url)
    good = [ImportedBattle("m1", "m2", Verdict.A, prompt="p", answer_a="x", answer_b="y")] * 3

    def rows():  # type: ignore[no-untyped-def]
        yield from good
        raise RuntimeError("the file broke half-way")

    with pytest.raises(RuntimeError):
        store.import_battles(rows())
    assert store.pair_cells().models == []
    assert store.vote_arrays(counted_only=False).outcome.size == 0
    assert (
        store.import_battles(good + [ImportedBattle("m1", "m2", Verdict.B, anonymous=False)]) == 4
    )
    assert store.pair_cells().wins_a.tolist() == [3]
    assert store.filtered_vote_summary() == {"counted": 3, "imported_non_anonymous": 1}


def test_voter_uncount_and_recount(db_url: str) -> None:
    store = Store.open(db_url)
    for _ in range(3):
        store.record_vote(_complete_battle(store), Verdict.A, voter="bot")
    store.record_vote(_complete_battle(store), Verdict.B, voter="human")
    assert store.set_votes_counted(voter="bot", counted=False, reason="flagged_voter") == 3
    cells = store.pair_cells()
    assert (cells.wins_a.tolist(), cells.wins_b.tolist()) == ([0], [1])
    assert store.set_votes_counted(voter="bot", counted=True, reason="flagged_voter") == 3
    assert store.pair_cells().wins_a.tolist() == [3]


def _cells(store: Store) -> list[tuple[str, str, float, float, float]]:
    c = store.pair_cells()
    return sorted(
        (c.models[a], c.models[b], wa, wb, t)
        for a, b, wa, wb, t in zip(c.a, c.b, c.wins_a, c.wins_b, c.ties, strict=True)
    )


def test_the_in_process_cell_copy_follows_other_writers(sqlite_url: str) -> None:
    """Two stores on one file (two workers): each sees the other's votes, bans and rebuilds."""
    mine, theirs = Store.open(sqlite_url), Store.open(sqlite_url)
    mine.record_vote(_complete_battle(mine), Verdict.A, voter="v1")
    assert _cells(mine) == [("m1", "m2", 1.0, 0.0, 0.0)]
    theirs.record_vote(_complete_battle(theirs, "m3", "m1"), Verdict.TIE, voter="v2")
    theirs.record_vote(_complete_battle(theirs), Verdict.BOTH_BAD, voter="v2")
    assert _cells(mine) == [("m1", "m2", 1.0, 0.0, 1.0), ("m3", "m1", 0.0, 0.0, 1.0)]
    theirs.set_votes_counted(voter="v2", counted=False, reason="flagged_voter")
    assert _cells(mine) == [("m1", "m2", 1.0, 0.0, 0.0)]
    theirs.import_battles([ImportedBattle("m2", "m1", Verdict.B)] * 3)
    assert _cells(mine) == [("m1", "m2", 1.0, 0.0, 0.0), ("m2", "m1", 0.0, 3.0, 0.0)]
    fresh = Store.open(sqlite_url)
    assert _cells(fresh) == _cells(mine)
    mine.rebuild_pair_counts()
    assert _cells(mine) == _cells(fresh) == _cells(theirs)


def test_answers_with_nul_and_lone_surrogates_are_kept(db_url: str) -> None:
    store = Store.open(db_url)
    battle = store.create_battle(category="chat", model_a="m1", model_b="m2")
    stored = store.save_answers(
        battle.id, [Answer("a", 0, "p", "bad\x00byte \ud800 here"), Answer("b", 0, "p", "fine")]
    )
    assert stored.complete
    assert stored.answer(0, "a").content == "bad\ufffdbyte \ufffd here"  # type: ignore[union-attr]


def test_a_flagged_voter_new_votes_are_kept_but_not_counted(db_url: str) -> None:
    store = Store.open(db_url)
    store.set_voter_status("sus", flag_reason="anomalous_votes", actor="scan")
    vote = store.record_vote(_complete_battle(store), Verdict.A, voter="sus")
    assert (vote.counted, vote.reason) == (False, "flagged_voter")
    store.set_voter_status("sus", banned=False, flag_reason="cleared", actor="admin")
    vote = store.record_vote(_complete_battle(store), Verdict.A, voter="sus")
    assert vote.counted
