"""The capability gap in months: exact on a small hand-made example, the same as a plain
day-by-day reading of the definition on Epoch's November 2025 export, and close to Epoch's
published figure (7 months on average, 4 to 14) there."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from landscape.landscape_cli import DATA, db_url, duel, invoke_json, runner
from modelarena.cli.main import app
from modelarena.landscape.gap import (
    MONTH_DAYS,
    DatedScore,
    capability_gap,
    read_dated_scores,
)
from modelarena.landscape.snapshots import LandscapeError

ECI = DATA / "epoch_eci" / "epoch_capabilities_index_2025-11-07.csv"
D0 = date(2024, 1, 1)


def day(n: int) -> date:
    return D0 + timedelta(days=n)


def test_a_hand_made_gap_day_by_day() -> None:
    # US reaches 100 on day 0 and 120 on day 100; CN reaches 100 on day 30, 120 on day 130
    scores = [
        DatedScore("us1", 100, day(0), ("US",)),
        DatedScore("us2", 120, day(100), ("US",)),
        DatedScore("cn1", 100, day(30), ("CN",)),
        DatedScore("cn2", 120, day(130), ("CN",)),
    ]
    gap = capability_gap(scores, "US", "CN", start=D0, end=day(159), resamples=100)
    # days 30..129: CN's frontier 100, first reached by US on day 0: gap t - 0 = 30..129
    # days 130..159: CN's frontier 120, first reached on day 100: gap 30..59
    expected = [t for t in range(30, 130)] + [t - 100 for t in range(130, 160)]
    assert gap.days == 130  # CN has a model from day 30
    assert gap.mean_months == round(sum(expected) / len(expected) / MONTH_DAYS, 2)
    assert gap.min_months == round(30 / MONTH_DAYS, 2)
    assert gap.max_months == round(129 / MONTH_DAYS, 2)
    # vertical: US 100 vs 100 (days 30-99), 120 vs 100 (100-129), 120 vs 120 (130-159)
    assert gap.vertical_mean == round(20 * 30 / 130, 2)
    assert gap.frontier_leading == [(day(0).isoformat(), 100), (day(100).isoformat(), 120)]
    assert gap.ci_lower <= gap.mean_months <= gap.ci_upper


def test_a_lagging_group_ahead_has_gap_zero_and_tolerance_counts_near_ties() -> None:
    scores = [
        DatedScore("us", 100, day(0), ("US",)),
        DatedScore("cn", 105, day(10), ("CN",)),
    ]
    gap = capability_gap(scores, "US", "CN", start=D0, end=day(19), resamples=50)
    assert (gap.mean_months, gap.max_months, gap.days) == (0.0, 0.0, 10)
    assert gap.vertical_mean == -5.0
    # within 5 points counts as reached: US reached it on day 0, so the gap is t - 0
    tied = capability_gap(scores, "US", "CN", start=D0, end=day(19), tolerance=5, resamples=50)
    assert tied.mean_months == round(sum(range(10, 20)) / 10 / MONTH_DAYS, 2)


def _brute_force(
    scores: list[DatedScore], lead: str, lag: str, start: date, end: date
) -> list[int]:
    """The definition read literally, one day at a time."""
    out = []
    t = start
    while t <= end:
        lagging = [s.score for s in scores if lag in s.groups() and s.released <= t]
        if lagging:
            target = max(lagging)
            reached = [
                s.released
                for s in scores
                if lead in s.groups() and s.released <= t and s.score >= target
            ]
            out.append((t - min(reached)).days if reached else 0)
        t += timedelta(days=1)
    return out


@pytest.mark.parametrize(("lead", "lag"), [("US", "CN"), ("closed", "open")])
def test_epochs_export_matches_the_literal_definition(lead: str, lag: str) -> None:
    scores = read_dated_scores(ECI)
    assert len(scores) == 142  # rows with a score and a date
    gap = capability_gap(scores, lead, lag, resamples=200)
    end = max(s.released for s in scores)
    days = _brute_force(scores, lead, lag, date(2023, 1, 1), end)
    assert gap.days == len(days)
    assert gap.mean_months == round(sum(days) / len(days) / MONTH_DAYS, 2)
    assert gap.max_months == round(max(days) / MONTH_DAYS, 2)
    assert gap.min_months == round(min(days) / MONTH_DAYS, 2)
    assert gap.ci_lower < gap.mean_months < gap.ci_upper


def test_epochs_export_gives_about_the_published_us_china_gap() -> None:
    gap = capability_gap(read_dated_scores(ECI), "US", "CN", resamples=300)
    # Epoch: 7 months on average since 2023, ranging 4 to 14 (its method may smooth or use a
    # tolerance; docs/landscape.md says why ours may differ)
    assert 5 <= gap.mean_months <= 8
    assert gap.max_months <= 15
    assert gap.ci_lower <= 7 <= gap.ci_upper + 1
    assert gap.models_lagging == 24  # Chinese models scored


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"model,score\na,1\n", "no released column"),
        (b"model,score,release date\na,1,yesterday\n", "not valid"),
        (b"\x89PNG\r\n\x1a\n" + bytes(range(256)), "not a UTF-8 text file"),
    ],
)
def test_a_bad_scores_file_is_a_one_line_error(
    tmp_path: Path, content: bytes, message: str
) -> None:
    f = tmp_path / "x.csv"
    f.write_bytes(content)
    with pytest.raises(LandscapeError, match=message):
        read_dated_scores(f)


def test_user_mistakes(tmp_path: Path) -> None:
    with pytest.raises(LandscapeError, match="no such file"):
        read_dated_scores(tmp_path / "none.csv")
    scores = read_dated_scores(ECI)
    with pytest.raises(LandscapeError, match="groups present"):
        capability_gap(scores, "US", "DE")
    with pytest.raises(LandscapeError, match="earlier --start"):
        capability_gap(scores, "US", "CN", start=date(2030, 1, 1))


def test_the_command(tmp_path: Path) -> None:
    data = invoke_json("landscape", "gap", str(ECI), "--resamples", "200")
    for key in ("mean_months", "min_months", "max_months", "ci_lower", "ci_upper"):
        assert isinstance(data[key], float)
    assert (data["leading"], data["lagging"]) == ("US", "CN")
    r = runner.invoke(
        app,
        [
            "landscape",
            "gap",
            str(ECI),
            "--open-vs-closed",
            "--tolerance",
            "2",
            "--resamples",
            "100",
            "--format",
            "csv",
        ],
    )
    assert r.exit_code == 0, r.output
    assert r.output.splitlines()[1].startswith("closed,open,")
    r = runner.invoke(app, ["landscape", "gap"])
    assert r.exit_code == 1 and "or --arena" in r.output
    r = runner.invoke(app, ["landscape", "gap", str(ECI), "--start", "May"])
    assert r.exit_code == 1 and "YYYY-MM-DD" in r.output


def test_the_gap_on_the_arenas_own_ratings(tmp_path: Path) -> None:
    from modelarena.store import Store

    db = db_url(tmp_path)
    # gpt-4o (US, 2024-05) > deepseek-v3 (CN, 2024-12) > llama-3.1-8b-instruct (US, 2024-07)
    Store.open(db).import_battles(
        duel("gpt-4o", "deepseek-v3", 26, 40, "0-")
        + duel("deepseek-v3", "llama-3.1-8b-instruct", 30, 40, "1-")
        + duel("gpt-4o", "llama-3.1-8b-instruct", 34, 40, "2-")
    )
    data = invoke_json("landscape", "gap", "--arena", "--db", db, "--resamples", "100")
    # CN's frontier from 2024-12-26 is deepseek-v3, which gpt-4o (2024-05-13) already beat
    released = {"gpt-4o": date(2024, 5, 13), "deepseek-v3": date(2024, 12, 26)}
    assert data["models_lagging"] == 1 and data["models_leading"] == 2
    assert data["start"] == "2023-01-01" and data["end"] == released["deepseek-v3"].isoformat()
    assert data["days"] == 1
    assert "not refitted" in data["method"]
    assert data["mean_months"] == round(
        (released["deepseek-v3"] - released["gpt-4o"]).days / MONTH_DAYS, 2
    )


def test_the_gap_on_ratings_refitted_week_by_week(tmp_path: Path) -> None:
    from datetime import UTC, datetime

    from modelarena.store import Store

    db = db_url(tmp_path)
    # 2025-01-01: deepseek-v3 (CN) beats gpt-4o (US) 25 to 5: CN ahead, gap 0
    # 2025-01-15: gpt-4o wins 75 to 5: by then gpt-4o (released 2024-05-13) is ahead
    first = datetime(2025, 1, 1, 12, tzinfo=UTC)
    later = datetime(2025, 1, 15, 12, tzinfo=UTC)
    Store.open(db).import_battles(
        duel("gpt-4o", "deepseek-v3", 5, 30, "0-", created_at=first)
        + duel("gpt-4o", "deepseek-v3", 75, 80, "1-", created_at=later)
    )
    data = invoke_json("landscape", "gap", "--arena", "--refit", "--db", db, "--resamples", "100")
    # refits on 2025-01-01, 2025-01-08 (the same votes) and 2025-01-15 (the last vote day)
    assert [d for d, _ in data["gap_series"]] == ["2025-01-01", "2025-01-08", "2025-01-15"]
    caught_up = (date(2025, 1, 15) - date(2024, 5, 13)).days
    assert [g for _, g in data["gap_series"]] == [0.0, 0.0, round(caught_up / MONTH_DAYS, 2)]
    assert data["mean_months"] == round(caught_up / 3 / MONTH_DAYS, 2)
    assert data["vertical_min"] < 0 < data["vertical_max"]
    assert "refitted (weekly)" in data["method"]
    # the current ratings alone would say gpt-4o led all along
    current = invoke_json("landscape", "gap", "--arena", "--db", db, "--resamples", "100")
    assert current["min_months"] > 0
    r = runner.invoke(app, ["landscape", "gap", str(ECI), "--refit"])
    assert r.exit_code == 1 and "--refit needs --arena" in r.output


def test_refit_gap_rates_each_date_within_its_own_fit() -> None:
    from modelarena.landscape.gap_refit import refit_gap

    models = [
        DatedScore("us-old", 0, day(0), ("US",)),
        DatedScore("us-new", 0, day(50), ("US",)),
        DatedScore("cn", 0, day(20), ("CN",)),
    ]
    fits = [
        (day(30), {"us-old": 900.0, "cn": 1000.0, "us-new": 2000.0}),  # us-new not out yet
        (day(60), {"us-old": 900.0, "cn": 1000.0, "us-new": 1100.0}),
        (day(90), {"us-old": 1050.0, "cn": 1000.0, "us-new": 1100.0}),  # old one drifted up
    ]
    gap = refit_gap(models, fits, "US", "CN", resamples=50)
    assert [g for _, g in gap.gap_series] == [
        0.0,
        round(10 / MONTH_DAYS, 2),
        round(90 / MONTH_DAYS, 2),
    ]
    assert gap.vertical_min == -100.0 and gap.vertical_max == 100.0
    tied = refit_gap(models, fits, "US", "CN", tolerance=100, resamples=50)
    assert tied.gap_series[0][1] == round(30 / MONTH_DAYS, 2)  # us-old within 100 points
