"""The live Hub path with the real huggingface_hub client against a local server with the
Hub's API shapes: Link paging, model info with card data and baseModels, 429 + Retry-After,
resume after an interruption."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("huggingface_hub")

from landscape.hub_server import HubServer  # noqa: E402
from modelarena.landscape.hub import (  # noqa: E402
    FetchState,
    HubFetcher,
    HubFetchError,
    read_state,
    retry_after_seconds,
)


def _models(n: int = 25) -> list[dict[str, Any]]:
    out = []
    for i in range(n):
        out.append(
            {
                "id": f"org{i % 4}/model-{i:02d}",
                "author": f"org{i % 4}",
                "createdAt": f"2025-0{1 + i % 9}-15T10:00:00.000Z",
                "lastModified": "2025-10-01T00:00:00.000Z",
                "downloads": 100 * i,
                "downloadsAllTime": 1000 * i,
                "likes": i,
                "tags": ["transformers", "text-generation"],
                "cardData": {"license": "apache-2.0"},
                "pipeline_tag": "text-generation",
                "library_name": "transformers",
            }
        )
    return out


def _lineage_models() -> list[dict[str, Any]]:
    """20 listed models; model-03 is a fine-tune of hidden/ft-base (not listed), itself a
    fine-tune of Qwen/Qwen2.5-7B (not listed); model-05 names a parent that does not exist."""
    models = _models(20)
    models[3]["tags"] += ["base_model:hidden/ft-base", "base_model:finetune:hidden/ft-base"]
    models[3]["baseModels"] = {"relation": "finetune", "models": [{"id": "hidden/ft-base"}]}
    models[5]["cardData"] = {"base_model": "gone/deleted-model"}
    models.append(
        {
            "id": "hidden/ft-base",
            "author": "hidden",
            "createdAt": "2024-11-02T00:00:00.000Z",
            "downloads": 7,
            "tags": ["base_model:finetune:Qwen/Qwen2.5-7B"],
            "cardData": {"base_model": "Qwen/Qwen2.5-7B", "license": "apache-2.0"},
            "baseModels": {"relation": "finetune", "models": [{"id": "Qwen/Qwen2.5-7B"}]},
        }
    )
    models.append(
        {
            "id": "Qwen/Qwen2.5-7B",
            "author": "Qwen",
            "createdAt": "2024-09-15T00:00:00.000Z",
            "downloads": 900,
            "tags": ["text-generation"],
            "cardData": {"license": "apache-2.0"},
        }
    )
    return models


def _ids(path: Path) -> list[str]:
    return [json.loads(line)["id"] for line in path.read_text().splitlines() if line.strip()]


class Sleeps:
    def __init__(self) -> None:
        self.calls: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


def test_listing_follows_link_pages_with_the_hub_fields(tmp_path: Path) -> None:
    models = _models(25)
    out = tmp_path / "snap.jsonl"
    with HubServer(models) as hub:
        state = HubFetcher(hub.url, page_size=10, min_interval=0).fetch(out)
        paths = [entry.path for entry in hub.state.log]
    assert _ids(out) == [m["id"] for m in models]
    assert [p.split("cursor=")[-1] if "cursor=" in p else "" for p in paths] == ["", "10", "20"]
    assert all("expand=downloadsAllTime" in p and "limit=10" in p for p in paths)
    row = json.loads(out.read_text().splitlines()[7])
    assert row["downloadsAllTime"] == 7000 and row["cardData"] == {"license": "apache-2.0"}
    assert state.pages == 3 and state.rows == 25 and state.complete
    assert read_state(out) == state


def test_limit_stops_early_and_is_a_sample(tmp_path: Path) -> None:
    out = tmp_path / "snap.jsonl"
    with HubServer(_models(25)) as hub:
        state = HubFetcher(hub.url, page_size=10, min_interval=0).fetch(out, limit=12)
        assert len(hub.state.log) == 2
    assert len(_ids(out)) == 12
    assert state.stopped_at_limit and not state.complete
    searched = tmp_path / "search.jsonl"
    with HubServer(_models(5)) as hub:
        part = HubFetcher(hub.url, min_interval=0, search="model").fetch(searched)
        assert "search=model" in hub.state.log[0].path
    assert part.listing_complete and part.filtered and not part.complete


def test_parents_outside_the_listing_come_from_model_info(tmp_path: Path) -> None:
    models = _lineage_models()
    out = tmp_path / "snap.jsonl"
    with HubServer(models, listed=20) as hub:
        state = HubFetcher(hub.url, page_size=8, min_interval=0).fetch(out)
        info_paths = [e.path for e in hub.state.log if e.path.startswith("/api/models/")]
    rows = {json.loads(x)["id"]: json.loads(x) for x in out.read_text().splitlines()}
    assert "hidden/ft-base" in rows and "Qwen/Qwen2.5-7B" in rows  # two generations up
    fetched = rows["hidden/ft-base"]
    assert fetched["baseModels"]["relation"] == "finetune"
    assert fetched["cardData"]["base_model"] == "Qwen/Qwen2.5-7B"
    assert fetched["createdAt"].startswith("2024-11-02")
    assert any("expand=baseModels" in p for p in info_paths)
    assert state.parents_fetched == 2 and state.parents_missing == ["gone/deleted-model"]
    # and the lineage of the fetched snapshot reaches the root lab through them
    pytest.importorskip("duckdb")
    from modelarena.landscape.hub_snapshot import open_snapshot

    con, lineage = open_snapshot(out)
    root = con.execute("SELECT root_org FROM credit WHERE model = 'org3/model-03'").fetchall()
    con.close()
    assert root == [("Qwen",)]
    assert lineage.sources["tags"] == 1  # the listing gives tags, not baseModels


def test_429_waits_for_retry_after(tmp_path: Path) -> None:
    sleeps = Sleeps()
    out = tmp_path / "snap.jsonl"
    with HubServer(_lineage_models(), listed=20) as hub:
        hub.state.retry_after = 7
        # requests 1-4 list three pages (the second refused once); 5 is the first model info
        hub.state.rate_limit_on = {2, 5}
        state = HubFetcher(hub.url, page_size=8, min_interval=0, sleep=sleeps).fetch(out)
        refused = [e.path for e in hub.state.log if e.status == 429]
    assert sleeps.calls == [7.0, 7.0]
    assert refused[0].startswith("/api/models?") and refused[1].startswith("/api/models/")
    assert state.waits == 2 and state.waited_seconds == 14.0
    assert len(_ids(out)) == 22  # nothing lost to the refusals


def test_429_is_really_waited_out_with_the_real_clock(tmp_path: Path) -> None:
    out = tmp_path / "snap.jsonl"
    with HubServer(_models(12)) as hub:
        hub.state.rate_limit_on = {2}
        HubFetcher(hub.url, page_size=6, min_interval=0).fetch(out, parents=False)
        log = hub.state.log
    refused = next(i for i, e in enumerate(log) if e.status == 429)
    assert log[refused + 1].at - log[refused].at >= 0.95
    assert log[refused + 1].path == log[refused].path  # the same page asked again


def test_a_hub_that_keeps_refusing_is_a_clear_error(tmp_path: Path) -> None:
    with HubServer(_models(5)) as hub:
        hub.state.rate_limit_on = set(range(1, 50))
        fetcher = HubFetcher(hub.url, min_interval=0, max_retries=2, sleep=Sleeps())
        with pytest.raises(HubFetchError, match="--resume"):
            fetcher.fetch(tmp_path / "snap.jsonl")


def test_resume_after_an_interruption_neither_loses_nor_repeats(tmp_path: Path) -> None:
    models = _models(25)
    out = tmp_path / "snap.jsonl"

    def stop_after_two_pages(state: FetchState) -> None:
        if state.pages == 2:
            raise KeyboardInterrupt

    with HubServer(models) as hub:
        fetcher = HubFetcher(hub.url, page_size=10, min_interval=0)
        with pytest.raises(KeyboardInterrupt):
            fetcher.fetch(out, on_progress=stop_after_two_pages)
        state = read_state(out)
        assert state is not None and state.rows == 20 and not state.listing_complete
        with out.open("a") as fh:  # a page half written when the process died
            fh.write('{"id": "org1/half-writ')
        with pytest.raises(HubFetchError, match="--resume"):
            fetcher.fetch(out)
        done = fetcher.fetch(out, resume=True)
        resumed = hub.state.log[2:]
    assert _ids(out) == [m["id"] for m in models]
    assert done.complete and done.rows == 25
    assert len(resumed) == 1 and "cursor=20" in resumed[0].path  # not from the start


def test_retry_after_parsing() -> None:
    assert retry_after_seconds({"Retry-After": "30"}) == 30.0
    assert retry_after_seconds({"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}) == 0.0
    assert retry_after_seconds({}) is None
    assert retry_after_seconds({"Retry-After": "soon"}) is None


def test_cli_hub_fetch_then_adoption(tmp_path: Path) -> None:
    pytest.importorskip("duckdb")
    from typer.testing import CliRunner

    from modelarena.cli.main import app

    runner = CliRunner()
    out = tmp_path / "snap.jsonl"
    with HubServer(_lineage_models(), listed=20) as hub:
        args = ["landscape", "hub-fetch", "--out", str(out), "--endpoint", hub.url]
        result = runner.invoke(app, [*args, "--min-interval", "0", "--page-size", "8"])
        assert result.exit_code == 0, result.output
        said = " ".join(result.output.split())  # rich wraps at the terminal width
        assert "20 models" not in said and "22 models" in said
        again = runner.invoke(app, [*args, "--min-interval", "0"])
        assert again.exit_code == 1 and "--resume" in again.output
        done = runner.invoke(app, [*args, "--min-interval", "0", "--resume"])
        assert done.exit_code == 0 and "(the whole listing)" in " ".join(done.output.split())
    result = runner.invoke(app, ["landscape", "adoption", str(out), "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    # a complete listing plus its parents: read as the full Hub (of this server)
    assert data["scope"] == "full" and data["lineage"]["models"] == 22
    # the same snapshot as its own baseline: nothing was downloaded in between
    between = runner.invoke(
        app, ["landscape", "adoption", str(out), "--baseline", str(out), "--format", "csv"]
    )
    assert between.exit_code == 0, between.output
    assert "downloads between the baseline snapshot" in between.stdout
    assert all(
        float(line.split(",")[6]) == 0
        for line in between.stdout.splitlines()[1:]
        if line.startswith("by_developer")
    )
    bad = runner.invoke(app, ["landscape", "hub-fetch", "--out", str(tmp_path / "x.parquet")])
    assert bad.exit_code == 1 and "jsonl" in bad.output
