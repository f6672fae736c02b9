"""Design checks without a browser: the store, what the pages show before and after the
vote, the style-controlled fit's use of the checks, and the CLI's one-line errors."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import numpy as np
from design_pages import A, B, design_battles, page
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from modelarena.arena import Arena
from modelarena.cli.main import app
from modelarena.leaderboard import LeaderboardFilters, compute_leaderboard
from modelarena.store.design_checks import CHECK_FEATURES, DesignCheckRecord
from modelarena.web import create_app

PNG = b"\x89PNG\r\n\x1a\nnot really a picture"


def record(battle: str, side: str, model: str, *, errors: int = 0, **kw: Any) -> DesignCheckRecord:
    values: dict[str, Any] = {
        "battle_id": battle,
        "turn": 0,
        "side": side,
        "model": model,
        "category": "website",
        "checked_at": datetime.now(UTC),
        "status": "ok",
        "js_errors": errors,
        "console_errors": 0,
        "network_attempts": 0,
        "overflow": False,
        "scroll_width": 390,
        "a11y_critical": 0,
        "a11y_serious": 0,
        "a11y_moderate": 0,
        "a11y_minor": 0,
        "first_paint_ms": 120.0,
        "render_s": 0.8,
        "browser": "test",
        "detail": json.dumps({"messages": {"js": ["boom"]} if errors else {}}),
    }
    values.update(kw)
    return DesignCheckRecord(**values)


def test_pending_save_replace_and_vote_features(sqlite_url: str) -> None:
    arena, ids = design_battles(sqlite_url, [(page("<p>1</p>"), page("<p>2</p>"))] * 2)
    checks = arena.store.design_checks
    assert len(checks.pending(("website",))) == 4
    assert checks.pending(("chat",)) == []
    checks.save(record(ids[0], "a", A, errors=2), PNG)
    checks.save(record(ids[0], "b", B), None)
    assert len(checks.pending(("website",))) == 2  # the other battle's two answers
    assert len(checks.pending(("website",), battle_id=ids[0])) == 2  # --battle: again
    checks.save(record(ids[0], "a", A, errors=5, overflow=True), PNG)  # replaces
    rows = checks.for_battle(ids[0])
    assert [(r.side, r.js_errors, r.works) for r in rows] == [("a", 5, False), ("b", 0, True)]
    assert checks.screenshot(ids[0], 0, "a") == PNG and checks.screenshot(ids[0], 0, "b") is None
    arena.vote(ids[1], "a", voter="v1")
    arena.vote(ids[0], "b", voter="v2")
    a, b, checked = checks.vote_features(["human"], ["website"])
    assert a.shape == (2, len(CHECK_FEATURES)) and checked.tolist() == [False, True]
    assert a[1].tolist() == [5.0, 1.0, 0.0, 0.0] and b[1].tolist() == [0.0, 0.0, 0.0, 0.0]


def test_checks_are_shown_after_the_vote_only(sqlite_url: str) -> None:
    arena, (battle,) = design_battles(sqlite_url, [(page("<p>1</p>"), page("<p>2</p>"))])
    arena.store.design_checks.save(record(battle, "a", A, errors=1), PNG)
    arena.store.design_checks.save(record(battle, "b", B, overflow=True, scroll_width=900), PNG)
    with TestClient(create_app(arena)) as c:
        before = c.get(f"/battles/{battle}")
        assert before.status_code == 200 and "data-design-checks" not in before.text
        assert "renders without errors" not in before.text and "900 px" not in before.text
        shot = c.get(f"/designs/{battle}/0/a/screenshot.png")
        assert shot.status_code == 404
        arena.vote(battle, "b", voter="someone")
        after = c.get(f"/battles/{battle}")
        assert 'data-design-checks="a"' in after.text and 'data-design-checks="b"' in after.text
        assert "1 script error" in after.text and "overflows a phone screen (900 px" in after.text
        shot = c.get(f"/designs/{battle}/0/a/screenshot.png")
        assert shot.status_code == 200 and shot.content == PNG
        assert (c.get(f"/designs/{battle}/0/b/screenshot.png")).status_code == 200
        model = c.get(f"/models/{B}")
        assert "renders without errors in 100% of its designs (n = 1" in model.text
        assert "100% overflow a 390 px screen (21–100%, n = 1)" in model.text
        model = c.get(f"/models/{A}")
        assert "renders without errors in 0% of its designs (n = 1" in model.text


def test_style_control_for_designs_uses_the_checks(sqlite_url: str) -> None:
    """Equal models whose pages break at random; voters pick the working page 85% of the
    time. The design board's style fit has a clearly negative ``errors`` coefficient and
    equal ratings; the chat-style fit (no checks) cannot tell, and a chat board never
    gets the check features."""
    rng = np.random.default_rng(7)
    n = 80
    arena, ids = design_battles(sqlite_url, [(page("<p>x</p>"), page("<p>y</p>"))] * n)
    for i, battle in enumerate(ids):
        broken = "a" if rng.random() < 0.5 else "b"
        for side, model in (("a", A), ("b", B)):
            arena.store.design_checks.save(
                record(battle, side, model, errors=3 if side == broken else 0), None
            )
        working = "b" if broken == "a" else "a"
        verdict = working if rng.random() < 0.85 else broken
        arena.vote(battle, verdict, voter=f"voter-{i}")
    filters = LeaderboardFilters(categories=("website",), style_control=True)
    board = compute_leaderboard(arena.store, arena.model_info, filters)
    assert set(CHECK_FEATURES) <= set(board.style_coefficients)
    assert board.style_coefficients["errors"] < -0.5
    low, high = board.style_intervals["errors"]
    assert low < board.style_coefficients["errors"] < high < 0  # the interval excludes 0
    out = _cli("designs", "report", "--style", "-f", "json", "--db", sqlite_url)
    style = json.loads(out.output)["style"]
    assert style["votes"] == n and style["coefficients"]["errors"]["ci"][1] < 0
    assert "errors" in board.method
    ratings = {r.model: r.rating for r in board.rows}
    assert abs(ratings[A] - ratings[B]) < 60
    chat = compute_leaderboard(
        arena.store, arena.model_info, LeaderboardFilters(categories=("chat",), style_control=True)
    )
    assert "errors" not in chat.style_coefficients


def _cli(*args: str) -> Any:
    return CliRunner().invoke(app, list(args))


def test_cli_mistakes_are_one_line(sqlite_url: str, tmp_path: Any) -> None:
    arena: Arena
    arena, (battle,) = design_battles(sqlite_url, [(page("<p>1</p>"), page("<p>2</p>"))])
    chat = arena.start_battle("chat", "hello there", models=[A, B])
    cases = [
        (("designs", "check", "--battle", "nope"), "no battle with id 'nope'"),
        (("designs", "check", "--battle", chat.id), "is a chat battle, not a design one"),
        (("designs", "check", "--battle", battle, "--pending"), "not both"),
        (("designs", "check", "--workers", "0"), "--workers must be at least 1"),
        (("designs", "check", "--chromium", str(tmp_path / "none")), "Chromium is not installed"),
        (("designs", "report", "--model", "nobody"), "no checked designs of model 'nobody'"),
        (("designs", "report", "--format", "xml"), "unknown format 'xml'"),
    ]
    for args, message in cases:
        out = _cli(*args, "--db", sqlite_url)
        assert out.exit_code != 0, args
        assert message in " ".join(out.output.split()), (args, out.output)
        assert "Traceback" not in out.output
    assert "No design checks yet" in _cli("designs", "report", "--db", sqlite_url).output
