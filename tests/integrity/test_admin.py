"""Reviewing voters from the CLI and the admin API: ban, unban, recount, report."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from integrity_helpers import rigged_log
from scripted import scripted_arena
from typer.testing import CliRunner

from modelarena.cli.main import app as cli
from modelarena.integrity import admin
from modelarena.integrity.anomaly import CLEARED, apply_flags, detect_anomalous_voters
from modelarena.integrity.ratelimit import Limits, RateLimiter
from modelarena.integrity.report import integrity_report
from modelarena.store import Store
from modelarena.store.schema import audit_log

runner = CliRunner()
TOKEN = "admin-token-for-tests-0123456789"


@pytest.fixture
def rigged(db_url: str) -> Iterator[str]:
    store = Store.open(db_url)
    store.import_battles(rigged_log(seed=0))
    store.close()
    yield db_url


def test_ban_unban_recount_keep_every_vote(rigged: str) -> None:
    store = Store.open(rigged)
    assert admin.ban(store, "honest-3", actor="t").votes_changed > 0
    summary = store.filtered_vote_summary()
    assert summary["banned_voter"] > 0 and sum(summary.values()) == 6180
    view = admin.get_voter(store, "honest-3")
    assert view.banned and view.counted == 0 and view.votes == summary["banned_voter"]

    result = admin.unban(store, "honest-3", actor="t")
    assert result.votes_changed == summary["banned_voter"]
    assert store.filtered_vote_summary() == {"counted": 6180}
    assert admin.get_voter(store, "honest-3").flag_reason == CLEARED
    assert admin.recount(store) == 6180
    with store.engine.connect() as conn:
        actions = [r.action for r in conn.execute(audit_log.select().order_by(audit_log.c.id))]
    assert actions[:2] == ["ban", "uncount"] and "recount" in actions
    with pytest.raises(admin.UnknownVoter):
        admin.ban(store, "nobody", actor="t")


def test_cleared_voter_is_left_alone_by_later_scans(rigged: str) -> None:
    store = Store.open(rigged)
    apply_flags(store, detect_anomalous_voters(store), actor="scan")
    admin.unban(store, "rigger-1", actor="reviewer")
    assert store.filtered_vote_summary()["flagged_voter"] == 120
    assert "rigger-1" not in {f.voter for f in detect_anomalous_voters(store)}
    report = integrity_report(store)
    assert {v.id for v in report.flagged} == {"rigger-0", "rigger-2"}
    data = report.to_dict()
    assert data["filtered_by_reason"]["flagged_voter"]["votes"] == 120
    assert data["fragility"]["top_pairs"] and data["fragility"]["board_votes"] == 6060


def test_cli_scan_report_and_admin(rigged: str) -> None:
    dry = runner.invoke(cli, ["integrity", "scan", "--db", rigged, "--format", "json"])
    assert dry.exit_code == 0, dry.output
    assert {f["voter"] for f in json.loads(dry.stdout)["flags"]} == {
        "rigger-0",
        "rigger-1",
        "rigger-2",
    }
    assert Store.open(rigged).filtered_vote_summary() == {"counted": 6180}  # dry run

    applied = runner.invoke(cli, ["integrity", "scan", "--db", rigged, "--apply"])
    assert applied.exit_code == 0, applied.output
    assert "180 vote(s) no longer count" in applied.stdout

    rep = runner.invoke(cli, ["integrity", "report", "--db", rigged, "--format", "json"])
    assert rep.exit_code == 0, rep.output
    data = json.loads(rep.stdout)
    assert data["flagged_voters"] == 3 and data["counted_votes"] == 6000
    table = runner.invoke(cli, ["integrity", "report", "--db", rigged])
    assert table.exit_code == 0 and "flagged_voter" in table.stdout
    assert "Fragility" in table.stdout

    voters = runner.invoke(cli, ["admin", "voters", "--db", rigged, "--format", "json"])
    assert {v["id"] for v in json.loads(voters.stdout)} == {"rigger-0", "rigger-1", "rigger-2"}
    out = runner.invoke(cli, ["admin", "unban", "rigger-0", "--db", rigged])
    assert out.exit_code == 0 and "60 vote(s) count again" in out.stdout
    out = runner.invoke(cli, ["admin", "ban", "honest-1", "--db", rigged])
    assert out.exit_code == 0 and "banned honest-1" in out.stdout
    out = runner.invoke(cli, ["admin", "ban", "nobody", "--db", rigged])
    assert out.exit_code == 1 and "no voter 'nobody'" in out.output
    out = runner.invoke(cli, ["admin", "recount", "--db", rigged])
    assert out.exit_code == 0 and "recounted:" in out.stdout
    bad = runner.invoke(cli, ["integrity", "report", "--db", rigged, "--format", "xml"])
    assert bad.exit_code == 1 and "unknown format" in bad.output


def _client(
    url: str, token: str | None, limiter: RateLimiter | None = None, **settings: object
) -> TestClient:
    from modelarena.web.app import create_app

    arena = scripted_arena(url, admin_token=token, **settings)
    # mounts the admin API; room for the many wrong tokens these tests send
    app = create_app(
        arena, rate_limiter=limiter or RateLimiter(Limits(admin_failures_per_hour=1000))
    )
    return TestClient(app)


def test_admin_api_needs_the_token(sqlite_url: str) -> None:
    Store.open(sqlite_url).import_battles(rigged_log(seed=0))
    with _client(sqlite_url, None) as client:
        r = client.get("/api/admin/voters", headers={"Authorization": f"Bearer {TOKEN}"})
        assert r.status_code == 403 and "ARENA_ADMIN_TOKEN" in r.json()["error"]["message"]
    with _client(sqlite_url, TOKEN) as client:
        for headers in (
            {},
            {"Authorization": "Bearer wrong"},
            {"Authorization": TOKEN},
            {"Authorization": f"Basic {TOKEN}"},
            {"Authorization": ("Bearer " + TOKEN[:-1] + "\u00e9").encode("latin-1")},
        ):
            for method, path in (
                ("GET", "/api/admin/voters"),
                ("GET", "/api/admin/integrity"),
                ("POST", "/api/admin/recount"),
                ("POST", "/api/admin/voters/rigger-0/ban"),
                ("POST", "/api/admin/voters/rigger-0/unban"),
                ("POST", "/api/admin/scan"),
            ):
                r = client.request(method, path, headers=headers)
                assert r.status_code == 401, (headers, path, r.text)
                assert r.headers["www-authenticate"] == "Bearer"


def test_admin_api_reviews_and_acts(sqlite_url: str) -> None:
    Store.open(sqlite_url).import_battles(rigged_log(seed=0))
    auth = {"Authorization": f"Bearer {TOKEN}"}
    with _client(sqlite_url, TOKEN) as client:
        r = client.post("/api/admin/scan?apply=true", headers=auth)
        assert r.status_code == 200 and r.json()["votes_uncounted"] == 180
        voters = client.get("/api/admin/voters", headers=auth).json()
        assert {v["id"] for v in voters} == {"rigger-0", "rigger-1", "rigger-2"}
        assert voters[0]["flag_detail"]["favoured_model"] == "model-08"
        r = client.post("/api/admin/voters/rigger-0/unban", headers=auth)
        assert r.status_code == 200 and r.json()["votes_changed"] == 60
        r = client.post("/api/admin/voters/honest-2/ban", headers=auth)
        assert r.status_code == 200 and r.json()["action"] == "ban"
        assert client.post("/api/admin/voters/nobody/ban", headers=auth).status_code == 404
        assert (
            client.post("/api/admin/voters/" + "x" * 200 + "/ban", headers=auth).status_code == 422
        )
        r = client.post("/api/admin/recount", headers=auth)
        assert r.status_code == 200 and r.json()["counted_votes"] > 5000
        report = client.get("/api/admin/integrity", headers=auth).json()
        assert report["flagged_voters"] == 2 and report["banned_voters"] == 1
        everyone = client.get("/api/admin/voters?all=true", headers=auth).json()
        assert len(everyone) > 100


@pytest.mark.parametrize("storage", ["memory", "redis"])
def test_wrong_admin_tokens_are_throttled_per_address(
    sqlite_url: str, storage: str, request: pytest.FixtureRequest
) -> None:
    url = request.getfixturevalue("redis_url") if storage == "redis" else None
    limiter = RateLimiter(Limits(admin_failures_per_hour=3), url)
    auth = {"Authorization": f"Bearer {TOKEN}"}
    guesser = {"X-Forwarded-For": "192.0.2.66"}  # behind the proxy, as resolved by the app
    other = {"X-Forwarded-For": "192.0.2.77"}
    with _client(sqlite_url, TOKEN, limiter, trust_proxy=True) as client:
        for _ in range(4):  # the right token is never counted
            assert client.get("/api/admin/voters", headers={**auth, **guesser}).status_code == 200
        codes = [
            client.get(
                "/api/admin/voters", headers={"Authorization": f"Bearer guess-{i}", **guesser}
            ).status_code
            for i in range(6)
        ]
        assert codes == [401] * 3 + [429] * 3
        # locked out: even the right token is refused, so guessing cannot go on
        r = client.get("/api/admin/voters", headers={**auth, **guesser})
        assert r.status_code == 429 and r.json()["error"]["code"] == "rate_limited"
        assert int(r.headers["retry-after"]) > 0
        # another address is not locked out
        assert client.get("/api/admin/voters", headers={**auth, **other}).status_code == 200


def test_the_token_comparison_ignores_length_and_encoding() -> None:
    from modelarena.web_admin import same_secret

    assert same_secret(TOKEN, TOKEN)
    assert not same_secret(TOKEN[:-1], TOKEN) and not same_secret(TOKEN + "x", TOKEN)
    assert not same_secret("", TOKEN)
    assert not same_secret("\udcff" + TOKEN, TOKEN)  # a lone surrogate from the header
