"""``arena leaderboard`` filters: the web page's parser, so both accept and refuse alike."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from modelarena.cli.main import app
from modelarena.leaderboard import ALL_FILTERS, FilterError, LeaderboardFilters
from modelarena.web.boards import parse_filters

runner = CliRunner()

# (CLI arguments, the same filter as URL query parameters)
BAD = [
    (["--source", "bogus"], {"source": "bogus"}),
    (["--source", "judge:"], {"source": "judge:"}),
    (["--country", "China"], {"country": "China"}),
    (["--category", "poetry"], {"category": "poetry"}),
    (["--license-class", "free"], {"license": "free"}),
]
GOOD = [
    (
        ["--source", "judge:gpt-4o", "--country", "cn,us"],
        {"source": "judge:gpt-4o", "country": "cn,us"},
    ),
    (
        ["--open", "--category", "svg", "--min-votes", "3"],
        {"open": "true", "category": "svg", "min_votes": "3"},
    ),
    (["--closed", "--license-class", "proprietary"], {"open": "false", "license": "proprietary"}),
]


@pytest.mark.parametrize(("args", "query"), BAD)
def test_the_cli_refuses_what_the_web_refuses_with_the_same_words(
    args: list[str], query: dict[str, str], sqlite_url: str
) -> None:
    with pytest.raises(FilterError) as web:
        parse_filters(query)
    result = runner.invoke(app, ["leaderboard", "--db", sqlite_url, *args])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert str(web.value) in result.stderr


@pytest.mark.parametrize(("args", "query"), GOOD)
def test_the_cli_and_the_web_read_a_filter_the_same(
    args: list[str], query: dict[str, str], sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[LeaderboardFilters] = []
    import modelarena.leaderboard as lb

    real = lb.compute_leaderboard

    def spy(store, info, filters):  # type: ignore[no-untyped-def]
        seen.append(filters)
        return real(store, info, filters)

    monkeypatch.setattr(lb, "compute_leaderboard", spy)
    result = runner.invoke(app, ["leaderboard", "--db", sqlite_url, "--format", "json", *args])
    assert result.exit_code == 0, result.output
    assert seen == [parse_filters(query)]


def test_the_web_cannot_ask_for_the_costly_options() -> None:
    costly = {"intervals": "bootstrap", "weighted": "true", "ties": "davidson"}
    assert LeaderboardFilters.parse(costly) == LeaderboardFilters()
    chosen = LeaderboardFilters.parse(costly, allow=ALL_FILTERS)
    assert (chosen.intervals, chosen.weighted, chosen.ties) == ("bootstrap", True, "davidson")
