"""The leaderboard over a real store: maths against known answers, filters, headline."""

from __future__ import annotations

import math

import numpy as np
import pytest

from modelarena.arena import Arena
from modelarena.battles.records import Verdict
from modelarena.battles.style import StyleCounts
from modelarena.config import Settings
from modelarena.leaderboard import LeaderboardFilters, compute_leaderboard
from modelarena.store import ImportedBattle, Store

JSON_KEYS = {
    "model",
    "rating",
    "ci_lower",
    "ci_upper",
    "rank",
    "votes",
    "win_rate",
    "open_weights",
    "country",
    "lab",
    "license",
}


def _arena(url: str) -> Arena:
    return Arena(Settings(database_url=url), Store.open(url))


def test_hand_computable_two_models(db_url: str) -> None:
    arena = _arena(db_url)
    rows = [ImportedBattle("deepseek-v3", "gpt-4o", Verdict.A)] * 30 + [
        ImportedBattle("deepseek-v3", "gpt-4o", Verdict.B)
    ] * 10
    arena.store.import_battles(rows)
    board = compute_leaderboard(arena.store, arena.model_info)
    by = {r.model: r for r in board.rows}
    # P(ds beats gpt) = 3/4  =>  difference = 400 * log10(3); mean 1000
    diff = 400 * math.log10(3)
    assert by["deepseek-v3"].rating == pytest.approx(1000 + diff / 2, abs=0.01)
    assert by["gpt-4o"].rating == pytest.approx(1000 - diff / 2, abs=0.01)
    assert by["deepseek-v3"].votes == 40 and by["deepseek-v3"].win_rate == 0.75
    assert by["deepseek-v3"].ci_lower < by["deepseek-v3"].rating < by["deepseek-v3"].ci_upper
    assert by["deepseek-v3"].country == "CN" and by["deepseek-v3"].open_weights is True
    assert by["gpt-4o"].open_weights is False
    assert set(board.to_dict()["rows"][0]) >= JSON_KEYS


def test_recovers_true_strengths_from_a_simulated_log(sqlite_url: str) -> None:
    arena = _arena(sqlite_url)
    rng = np.random.default_rng(11)
    names = [
        "deepseek-v3",
        "qwen3-235b-a22b",
        "gpt-4o",
        "llama-3.1-405b-instruct",
        "gemma-3-27b-it",
        "claude-sonnet-4",
    ]
    names = [arena.catalog.resolve(n) or n for n in names]
    true = np.array([1100.0, 1060.0, 1020.0, 980.0, 940.0, 900.0])
    rows = []
    for _ in range(6000):
        i, j = rng.choice(len(names), size=2, replace=False)
        p = 1 / (1 + 10 ** ((true[j] - true[i]) / 400))
        # no ties here: 20% ties that ignore strength would (rightly) pull ratings together
        verdict = Verdict.A if rng.random() < p else Verdict.B
        rows.append(ImportedBattle(names[i], names[j], verdict))
    arena.store.import_battles(rows)
    board = compute_leaderboard(arena.store, arena.model_info)
    fitted = {r.model: r.rating for r in board.rows}
    errors = [fitted[n] - t for n, t in zip(names, true - true.mean() + 1000, strict=True)]
    assert max(abs(e) for e in errors) < 25
    assert [r.model for r in board.rows] == names  # order recovered
    covered = sum(
        r.ci_lower <= t <= r.ci_upper
        for r, t in zip(board.rows, true - true.mean() + 1000, strict=True)
    )
    assert covered >= 5


def _small_board(arena: Arena) -> None:
    rows = []
    pairs = [
        ("deepseek-v3", "gpt-4o", 30, 20),
        ("qwen3-235b-a22b", "gpt-4o", 25, 25),
        ("llama-3.1-405b-instruct", "deepseek-v3", 10, 40),
        ("gpt-oss-120b", "qwen3-235b-a22b", 20, 30),
    ]
    for a, b, wa, wb in pairs:
        a_id, b_id = arena.catalog.resolve(a) or a, arena.catalog.resolve(b) or b
        rows += [ImportedBattle(a_id, b_id, Verdict.A)] * wa
        rows += [ImportedBattle(a_id, b_id, Verdict.B)] * wb
    arena.store.import_battles(rows)


def test_filters_hide_rows_but_keep_one_scale(sqlite_url: str) -> None:
    arena = _arena(sqlite_url)
    _small_board(arena)
    full = compute_leaderboard(arena.store, arena.model_info)
    opened = compute_leaderboard(
        arena.store, arena.model_info, LeaderboardFilters(open_weights=True)
    )
    assert all(r.open_weights for r in opened.rows)
    assert len(opened.rows) == len(full.rows) - 1  # gpt-4o hidden
    same = {r.model: r.rating for r in full.rows}
    assert all(same[r.model] == r.rating for r in opened.rows)
    cn = compute_leaderboard(arena.store, arena.model_info, LeaderboardFilters(countries=("cn",)))
    assert {r.country for r in cn.rows} == {"CN"}
    prop = compute_leaderboard(
        arena.store, arena.model_info, LeaderboardFilters(license_classes=("proprietary",))
    )
    assert [r.license_class for r in prop.rows] == ["proprietary"]
    many = compute_leaderboard(arena.store, arena.model_info, LeaderboardFilters(min_votes=60))
    assert all(r.votes >= 60 for r in many.rows) and len(many.rows) < len(full.rows)
    none = compute_leaderboard(
        arena.store, arena.model_info, LeaderboardFilters(categories=("svg",))
    )
    assert none.rows == [] and none.total_votes == 0


def test_headline_answers_the_usual_questions(sqlite_url: str) -> None:
    arena = _arena(sqlite_url)
    _small_board(arena)
    board = compute_leaderboard(arena.store, arena.model_info)
    h = board.headline
    open_rows = [r for r in board.rows if r.open_weights]
    assert h.best_open == open_rows[0].display_name
    assert h.top_open_country == "CN"
    outside = [r for r in open_rows if r.country != "CN"]
    assert {r.country for r in outside} == {"US"}
    assert h.best_open_outside == outside[0].display_name
    assert h.best_open_outside_rank == 1 + open_rows.index(outside[0])
    assert h.best_value is not None


def test_disconnected_models_are_reported_not_rated(sqlite_url: str) -> None:
    arena = _arena(sqlite_url)
    arena.store.import_battles(
        [ImportedBattle("a1", "a2", Verdict.A)] * 5
        + [ImportedBattle("a2", "a1", Verdict.A)] * 3
        + [ImportedBattle("a2", "a3", Verdict.B)] * 4
        + [ImportedBattle("a3", "a2", Verdict.B)]
        + [ImportedBattle("b1", "b2", Verdict.A)] * 3
        + [ImportedBattle("b2", "b1", Verdict.A)]
    )
    board = compute_leaderboard(arena.store, arena.model_info)
    assert {r.model for r in board.rows} == {"a1", "a2", "a3"}
    assert board.unrated == ["b1", "b2"]


def test_style_control_and_bootstrap_options_run(sqlite_url: str) -> None:
    arena = _arena(sqlite_url)
    rng = np.random.default_rng(5)
    rows = []
    for _ in range(1500):
        long_a = rng.random() < 0.5
        a_tokens, b_tokens = (800, 100) if long_a else (100, 800)
        p_a = 0.75 if long_a else 0.25  # the longer answer wins: pure style
        verdict = Verdict.A if rng.random() < p_a else Verdict.B
        pair = ("m1", "m2") if rng.random() < 0.5 else ("m2", "m3")
        rows.append(
            ImportedBattle(
                *pair,
                verdict,
                style_a=StyleCounts(a_tokens, 0, 0, 0),
                style_b=StyleCounts(b_tokens, 0, 0, 0),
            )
        )
    arena.store.import_battles(rows)
    plain = compute_leaderboard(arena.store, arena.model_info)
    styled = compute_leaderboard(
        arena.store, arena.model_info, LeaderboardFilters(style_control=True)
    )
    assert styled.style_coefficients["length"] > 0.5
    spread = max(r.rating for r in styled.rows) - min(r.rating for r in styled.rows)
    assert spread < 60  # once length is controlled for, the models are alike
    boot = compute_leaderboard(
        arena.store, arena.model_info, LeaderboardFilters(intervals="bootstrap")
    )
    assert [r.model for r in boot.rows] == [r.model for r in plain.rows]


def test_a_warm_started_refresh_gives_the_same_board(sqlite_url: str) -> None:
    arena = _arena(sqlite_url)
    _small_board(arena)
    first = compute_leaderboard(arena.store, arena.model_info)
    arena.store.import_battles([ImportedBattle("gpt-4o", "deepseek-v3", Verdict.A)])
    cold = compute_leaderboard(arena.store, arena.model_info)
    warm = compute_leaderboard(arena.store, arena.model_info, previous=first)
    assert [r.model for r in warm.rows] == [r.model for r in cold.rows]
    for w, c in zip(warm.rows, cold.rows, strict=True):
        assert abs(w.rating - c.rating) < 1e-6 and abs(w.ci_lower - c.ci_lower) < 1e-6


def _battles(arena: Arena, pairs: list[tuple[str, str, int, int]]) -> None:
    rows = []
    for a, b, wa, wb in pairs:
        a_id, b_id = arena.catalog.resolve(a) or a, arena.catalog.resolve(b) or b
        rows += [ImportedBattle(a_id, b_id, Verdict.A)] * wa
        rows += [ImportedBattle(a_id, b_id, Verdict.B)] * wb
    arena.store.import_battles(rows)


def test_one_tie_vote_gives_no_interval_and_no_top_model(sqlite_url: str) -> None:
    # was: "1000 -0 / +0" for both and a "top rated" model
    arena = _arena(sqlite_url)
    arena.store.import_battles([ImportedBattle("deepseek-v3", "gpt-4o", Verdict.TIE)])
    board = compute_leaderboard(arena.store, arena.model_info)
    assert len(board.rows) == 2
    for row in board.to_dict()["rows"]:
        assert row["ci_lower"] is None and row["ci_upper"] is None and row["rank"] is None
        assert row["provisional"] is True
    assert board.headline.leaders == []
    assert board.fragile_pairs == []


def test_models_without_enough_votes_come_last_unranked(sqlite_url: str) -> None:
    arena = _arena(sqlite_url)
    # llama wins its few votes (a high rating on 4 votes), the others have many
    _battles(
        arena,
        [
            ("deepseek-v3", "gpt-4o", 30, 20),
            ("qwen3-235b-a22b", "gpt-4o", 25, 25),
            ("llama-3.1-405b-instruct", "gpt-4o", 4, 0),
        ],
    )
    board = compute_leaderboard(arena.store, arena.model_info)
    last = board.rows[-1]
    assert last.model == arena.catalog.resolve("llama-3.1-405b-instruct")
    assert last.rank is None and last.ci_lower is None and last.votes == 4
    assert all(r.rank is not None and r.ci_lower is not None for r in board.rows[:-1])
    assert last.display_name not in board.headline.leaders
    assert last.display_name not in board.headline.open_leaders


def test_headline_names_every_model_tied_for_first(sqlite_url: str) -> None:
    arena = _arena(sqlite_url)
    # deepseek and qwen are close (overlapping intervals), both far above gpt-4o
    _battles(
        arena,
        [
            ("deepseek-v3", "qwen3-235b-a22b", 21, 19),
            ("deepseek-v3", "gpt-4o", 36, 4),
            ("qwen3-235b-a22b", "gpt-4o", 35, 5),
        ],
    )
    board = compute_leaderboard(arena.store, arena.model_info)
    names = {r.model: r.display_name for r in board.rows}
    ds, qw = names["deepseek-v3"], names[arena.catalog.resolve("qwen3-235b-a22b") or ""]
    assert board.headline.leaders == [ds, qw]  # not "top rated: DeepSeek" alone
    assert board.headline.best_open == ds and board.headline.open_leaders == [ds, qw]
    assert board.headline.best_open_rank == 1 and board.headline.best_open_rank_shared


def test_headline_crowns_a_model_the_data_separate(sqlite_url: str) -> None:
    arena = _arena(sqlite_url)
    _battles(
        arena,
        [
            ("deepseek-v3", "qwen3-235b-a22b", 90, 10),
            ("deepseek-v3", "gpt-4o", 90, 10),
            ("qwen3-235b-a22b", "gpt-4o", 50, 50),
        ],
    )
    board = compute_leaderboard(arena.store, arena.model_info)
    top = board.rows[0]
    assert top.model == "deepseek-v3" and top.rank == 1
    assert [r.rank for r in board.rows[1:]] == [2, 2]
    assert board.headline.leaders == [top.display_name]
    assert board.headline.best_open_rank == 1 and not board.headline.best_open_rank_shared


def test_notes_never_name_models_the_filters_hide(sqlite_url: str) -> None:
    arena = _arena(sqlite_url)
    # gpt-4o (closed) sits between the open models; claude (closed) is not comparable
    _battles(
        arena,
        [
            ("deepseek-v3", "gpt-4o", 26, 24),
            ("gpt-4o", "qwen3-235b-a22b", 26, 24),
            ("deepseek-v3", "qwen3-235b-a22b", 27, 23),
            ("qwen3-235b-a22b", "llama-3.1-405b-instruct", 26, 24),
        ],
    )
    arena.store.import_battles([ImportedBattle("claude-sonnet-4", "gemini-2.5-pro", Verdict.A)] * 3)
    full = compute_leaderboard(arena.store, arena.model_info)
    named = {p[k] for p in full.fragile_pairs for k in ("upper", "lower")}
    assert "gpt-4o" in named and "claude-sonnet-4" in full.unrated
    board = compute_leaderboard(
        arena.store, arena.model_info, LeaderboardFilters(open_weights=True)
    )
    shown = {r.model for r in board.rows}
    assert "gpt-4o" not in shown
    named = {p[k] for p in board.fragile_pairs for k in ("upper", "lower")}
    assert named and named <= shown
    assert board.unrated == []  # both unrated models are closed
    # adjacent among the models shown: three open models give two pairs
    assert len(board.fragile_pairs) == len(shown) - 1


def test_a_style_fit_is_refitted_when_the_votes_change_but_not_their_counts(
    sqlite_url: str,
) -> None:
    from modelarena.leaderboard import fit_inputs

    arena = _arena(sqlite_url)
    short, long = StyleCounts(100, 0, 0, 0), StyleCounts(900, 0, 0, 0)
    base = [
        ImportedBattle("m1", "m2", Verdict.A, external_id=f"b{k}", style_a=short, style_b=short)
        for k in range(20)
    ]
    first = ImportedBattle(
        "m1", "m2", Verdict.A, external_id="x", voter="x", style_a=short, style_b=short
    )
    arena.store.import_battles([*base, first])
    styled, plain = LeaderboardFilters(style_control=True), LeaderboardFilters()
    before = fit_inputs(arena.store, styled)[0], fit_inputs(arena.store, plain)[0]
    # the same outcome again from another voter, with a longer answer: equal pair counts
    arena.store.set_votes_counted(voter="x", counted=False, reason="banned_voter")
    again = ImportedBattle(
        "m1", "m2", Verdict.A, external_id="y", voter="y", style_a=long, style_b=short
    )
    arena.store.import_battles([again])
    after = fit_inputs(arena.store, styled)[0], fit_inputs(arena.store, plain)[0]
    assert after[1] == before[1]  # a plain fit reads only the counts: the same fit
    assert after[0] != before[0]  # a style fit reads the votes: a new one
