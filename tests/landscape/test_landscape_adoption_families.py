"""Family trajectories on the real download series (vendored: Qwen, Meta and Other of
KBhandari11/ForecastHuggingFaceModels), checked against a recomputation with the csv module;
and the adoption CLI's formats and errors."""

from __future__ import annotations

import csv
import json
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from modelarena.cli.main import app
from modelarena.landscape.hub_families import (
    FamilyError,
    family_trajectories,
    finetune_trajectories,
    parse_family,
    series_folder,
)

DATA = Path(__file__).parent / "data"
SERIES = DATA / "hf_downloads"
runner = CliRunner()


def _month_downloads(prefix: str) -> dict[str, float]:
    """Downloads per month of the repos whose id starts with ``prefix``: the cumulative count
    at the month's last day minus the one at the previous month's last day (or the first
    day of the series), summed over the files."""
    out: dict[str, float] = {}
    for file in sorted((SERIES / "download").glob("*.csv")):
        with file.open() as fh:
            reader = csv.reader(fh)
            header = next(reader)
            days = [(i, h[:10]) for i, h in enumerate(header) if h[:4].isdigit()]
            for row in reader:
                if not row[0].lower().startswith(prefix):
                    continue
                last: dict[str, float] = {}
                for i, day in days:
                    last[day[:7]] = float(row[i])
                months = sorted(last)
                prev = float(row[days[0][0]])
                for m in months:
                    out[m] = out.get(m, 0.0) + last[m] - prev
                    prev = last[m]
    return out


def test_monthly_downloads_match_the_cumulative_series() -> None:
    report = family_trajectories(SERIES, reps=0)
    qwen, llama = _month_downloads("qwen/"), _month_downloads("meta-llama/")
    assert [m.month for m in report.months] == sorted(qwen)
    for m in report.months:
        assert m.value["Qwen"] == pytest.approx(qwen[m.month])
        assert m.value["Llama"] == pytest.approx(llama[m.month])
        total = qwen[m.month] + llama[m.month]
        assert m.share["Qwen"] == pytest.approx(qwen[m.month] / total)
    assert report.first_day == "2024-07-03" and report.last_day == "2025-02-18"
    assert report.models == {"Qwen": 100, "Llama": 26}
    assert "SAMPLE" in report.label()


def test_crossover_is_where_the_second_family_passes_and_stays() -> None:
    report = family_trajectories(SERIES, reps=0)
    qwen, llama = _month_downloads("qwen/"), _month_downloads("meta-llama/")
    months = sorted(qwen)
    ahead = [llama[m] > qwen[m] for m in months]
    first = next(i for i in range(len(months)) if all(ahead[i:]))
    assert report.crossover == months[first]
    # Llama leads the first months (Qwen is not yet tracked), Qwen from October
    assert report.months[3].month == "2024-10" and report.months[3].share["Qwen"] > 0.5


def test_interval_over_models_and_window() -> None:
    report = family_trajectories(
        SERIES, since=date(2024, 10, 1), until=date(2025, 1, 1), reps=100, seed=1
    )
    assert [m.month for m in report.months] == ["2024-10", "2024-11", "2024-12"]
    for m in report.months:
        lo, hi, share = m.lower["Qwen"], m.upper["Qwen"], m.share["Qwen"]
        assert lo is not None and hi is not None and share is not None
        assert lo <= share <= hi and hi - lo > 0.05  # a few heavy models: a wide interval
        top = m.top["Qwen"]
        assert top[1] <= m.value["Qwen"] and top[0].startswith("Qwen/")


def test_new_fine_tunes_per_family_from_months_since_creation() -> None:
    # independently: the k-month count minus the (k-1)-month count lands in created_at + k
    expected: dict[tuple[str, str], float] = {}
    for file in sorted((SERIES / "finetune").glob("*.csv")):
        with file.open() as fh:
            for row in csv.DictReader(fh):
                fam = (
                    "Qwen"
                    if row["model"].lower().startswith("qwen/")
                    else ("Llama" if row["model"].lower().startswith("meta-llama/") else None)
                )
                if fam is None:
                    continue
                y, mo = int(row["created_at"][:4]), int(row["created_at"][5:7])
                k = 1
                while f"{k}-month" in row and row[f"{k}-month"] != "":
                    total = y * 12 + mo - 1 + k
                    key = (fam, f"{total // 12}-{total % 12 + 1:02d}")
                    new = float(row[f"{k}-month"]) - float(row[f"{k - 1}-month"])
                    expected[key] = expected.get(key, 0.0) + max(new, 0.0)
                    k += 1
    report = finetune_trajectories(SERIES, reps=0)
    assert report.unit == "new fine-tunes"
    for m in report.months:
        for fam in ("Qwen", "Llama"):
            assert m.value[fam] == pytest.approx(expected.get((fam, m.month), 0.0)), (fam, m)
    sep = next(m for m in report.months if m.month == "2024-09")
    assert sep.top["Qwen"][0] == "Qwen/Qwen1.5-0.5B"  # one base took half of Qwen's that month
    with pytest.raises(FamilyError, match="no finetune"):
        finetune_trajectories(SERIES / "download")


def test_family_options_and_folder_errors(tmp_path: Path) -> None:
    assert parse_family("Qwen=(?i)qwen") == ("Qwen", "(?i)qwen")
    with pytest.raises(FamilyError, match="NAME=REGEX"):
        parse_family("Qwen")
    with pytest.raises(FamilyError, match="not a regular expression"):
        parse_family("Qwen=(")
    assert series_folder(SERIES).name == "download"
    with pytest.raises(FamilyError, match="no download"):
        series_folder(tmp_path)
    wide = family_trajectories(SERIES, {"Qwen": "(?i)qwen", "Llama": "(?i)llama"}, reps=0)
    assert wide.models["Qwen"] > 100  # community repos named after the family too


def test_cli_families_formats() -> None:
    result = runner.invoke(app, ["landscape", "families", str(SERIES), "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["crossover"] and data["rows"][0]["family"] == "Qwen"
    md = runner.invoke(app, ["landscape", "families", str(SERIES), "--format", "markdown"])
    assert md.exit_code == 0 and "| Month |" in md.stdout and "SAMPLE" in md.stdout
    table = runner.invoke(app, ["landscape", "families", str(SERIES), "--bootstrap", "0"])
    assert table.exit_code == 0 and "2024-11" in table.stdout
    ft = runner.invoke(
        app, ["landscape", "families", str(SERIES), "--finetunes", "--format", "csv"]
    )
    assert ft.exit_code == 0, ft.output
    assert "new fine-tunes" in ft.stdout and "Qwen/Qwen1.5-0.5B" in ft.stdout
    bad = runner.invoke(app, ["landscape", "families", str(SERIES), "--family", "x"])
    assert bad.exit_code == 1 and "NAME=REGEX" in bad.output and "Traceback" not in bad.output


def test_cli_adoption_formats_and_errors(tmp_path: Path) -> None:
    pytest.importorskip("duckdb")
    snap = DATA / "hub_stats" / "hub_stats_frozen.parquet"
    base = ["landscape", "adoption", str(snap), "--bootstrap", "20"]
    result = runner.invoke(app, [*base, "--format", "csv", "--no-months"])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(result.stdout.splitlines()))
    dev = [r for r in rows if r["figure"] == "by_developer"]
    assert {r["label"] for r in dev} == {"us", "china", "eu", "other", "unknown"}
    assert sum(float(r["share"]) for r in dev) == pytest.approx(1.0)
    assert all(r["scope"] == "sample" for r in rows)
    quick = [*base[:3], "--bootstrap", "0"]
    table = runner.invoke(app, [*quick, "--since", "2025-01-01", "--gguf", "exclude"])
    assert table.exit_code == 0 and "SAMPLE" in table.stdout and "2025-01-01" in table.stdout
    md = runner.invoke(app, [*quick, "--format", "markdown", "--no-months"])
    assert md.exit_code == 0 and "### Download share by developer region" in md.stdout
    for args, message in [
        (["--since", "2025-13-01"], "YYYY-MM-DD"),
        (["--format", "xml"], "--format"),
        (["--downloads", "weekly"], "--downloads"),
    ]:
        bad = runner.invoke(app, [*base, *args])
        assert bad.exit_code == 1 and message in bad.output and "Traceback" not in bad.output
    missing = runner.invoke(app, ["landscape", "adoption", str(tmp_path / "none.parquet")])
    assert missing.exit_code == 1 and "not found" in missing.output
