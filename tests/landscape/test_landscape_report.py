"""The self-contained HTML report and the /landscape page: every section there, charts as
inline SVG, no script and nothing fetched from elsewhere, every name escaped."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

from fastapi.testclient import TestClient
from scripted import scripted_arena

from landscape.landscape_cli import DATA, db_url, import_board, runner
from modelarena.catalog import load_catalog
from modelarena.cli.main import app
from modelarena.landscape.board import RatedModel, open_board, rank_agreement
from modelarena.landscape.charts import bar_chart, scatter_chart, step_chart
from modelarena.landscape.cost import cost_report
from modelarena.landscape.gap import capability_gap, read_dated_scores
from modelarena.landscape.report import ReportInputs, render_report
from modelarena.landscape.snapshots import read_board_file
from modelarena.store.landscape_snapshots import SnapshotRow
from modelarena.web import create_app

ECI = DATA / "epoch_eci" / "epoch_capabilities_index_2025-11-07.csv"


def _offline(html: str) -> None:
    assert "<script" not in html.lower()
    # the only URL is SVG's namespace (an identifier, never fetched)
    urls = set(re.findall(r"(?:https?:)?//[\w.-]+[^\s\"'<>)]*", html))
    assert urls <= {"http://www.w3.org/2000/svg", "//www.w3.org/2000/svg"}, urls
    assert not re.search(r"\b(src|href)=", html)


def test_the_report_holds_every_section_offline_and_escaped() -> None:
    catalog = load_catalog()
    rows = read_board_file(DATA / "published_board.json")["full"]
    models = [RatedModel(r.model, r.rating, r.rating_lower, r.rating_upper) for r in rows]
    models.append(RatedModel("<img onerror=x>", 1365, 1355, 1375, open_weights=True))
    board = open_board("lmarena@2025-11-20", models, catalog)
    scores = read_dated_scores(ECI)
    inputs = ReportInputs(
        boards=[board],
        agreements=[rank_agreement("a", models, "b", models[::-1], catalog, resamples=100)],
        gaps=[capability_gap(scores, "US", "CN", resamples=100)],
        cost=cost_report(models[:4], catalog, {}, anchor="gpt-5-2025-08-07"),
        missing=["adoption: give --hub SNAPSHOT"],
    )
    html = render_report(inputs)
    _offline(html)
    assert html.count("<svg") == 4  # top-10 and top-20 shares, the frontiers, the cost scatter
    for heading in (
        "Who leads among open models",
        "Do the boards agree?",
        "How far CN trails US",
        "Quality against price",
        "Not computed",
    ):
        assert heading in html
    assert "<img onerror" not in html and "&lt;img onerror=x&gt;" in html
    assert f"{inputs.gaps[0].mean_months:.1f} months" in html
    assert "2 with an interval entirely above it, 3 overlapping it" in html


def test_charts_are_svg_with_a_title_on_every_mark() -> None:
    svg = step_chart([("US", [("2024-01-01", 1.0), ("2024-06-01", 2.0)])], title="t", y_label="y")
    assert svg.startswith("<svg") and svg.count("<circle") == 2 and "2024-07" not in svg
    assert "<title>US: 2 on 2024-06-01</title>" in svg
    scatter = scatter_chart(
        [("a", 1.0, 10), ("b", 10.0, 20)], frontier=["a", "b"], title="s", x_label="x", y_label="y"
    )
    assert "<path" in scatter and scatter.count("<circle") == 2
    assert bar_chart([("CN", 6), ("US", 2)], title="b").count("<rect") == 2
    assert step_chart([], title="t", y_label="y") == ""


def test_the_report_command(tmp_path: Path) -> None:
    db = db_url(tmp_path)
    out = tmp_path / "report.html"
    r = runner.invoke(app, ["landscape", "report", "--out", str(out), "--db", db])
    assert r.exit_code == 0, r.output
    html = out.read_text()
    _offline(html)
    assert "no votes in the arena and no published board stored" in html
    import_board(db, "lm", "2025-11-20", DATA / "published_board.csv")
    r = runner.invoke(
        app,
        [
            "landscape",
            "report",
            "--out",
            str(out),
            "--db",
            db,
            "--eci",
            str(ECI),
            "--by",
            "lineage",
        ],
    )
    assert r.exit_code == 0, r.output
    assert "1 boards, 2 gaps" in r.output
    html = out.read_text()
    _offline(html)
    assert "Country by <strong>lineage</strong>" in html and "How far open trails closed" in html
    assert "File and catalog disagree" in html  # the CSV's Organization and License columns
    r = runner.invoke(
        app, ["landscape", "report", "--out", str(tmp_path / "no" / "r.html"), "--db", db]
    )
    assert r.exit_code == 1 and "choose another --out path" in r.output
    r = runner.invoke(
        app, ["landscape", "report", "--out", str(tmp_path / "votes.jsonl"), "--db", db]
    )
    assert r.exit_code == 1 and "give the path of an .html file" in r.output


def test_the_landscape_page(tmp_path: Path) -> None:
    arena = scripted_arena(db_url(tmp_path))
    rows = [
        SnapshotRow(r.model, r.rating, r.rating_lower, r.rating_upper)
        for r in read_board_file(DATA / "published_board.json")["full"]
    ]
    arena.store.landscape.save("lmarena", date(2025, 11, 20), "full", rows)
    with TestClient(create_app(arena)) as client:
        page = client.get("/landscape")
        assert page.status_code == 200
        assert "script-src" in page.headers["content-security-policy"]
        body = page.text
        assert "Who leads among open models: lmarena@2025-11-20 (full)" in body
        assert "<svg" in body and "gpt-oss-120b" in body
        assert "--eci" not in body and "--hub" not in body  # CLI advice stays in the CLI
        section = body[body.index('<div class="landscape card">') :]
        assert "<script>" not in section and " on" + "click" not in section
        page = client.get("/landscape?by=lineage&countries=US,CN")
        assert "Country by <strong>lineage</strong>" in page.text
        assert "open models from US" in page.text
        bad = client.get("/landscape?by=uploader&countries=China")
        assert bad.status_code == 200
        assert "countries must be two ISO codes" in bad.text
