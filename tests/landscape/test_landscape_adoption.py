"""Adoption figures: exact arithmetic on a hand-written snapshot (merge split, quantisation
credited to the root, unknown organisation stays unknown, cycles), and the real hub-stats
sample checked against an independent recomputation with plain Python and pyarrow."""

from __future__ import annotations

import csv
import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("duckdb")

from modelarena.landscape.adoption import adoption_figures, adoption_section  # noqa: E402
from modelarena.landscape.adoption_model import (  # noqa: E402
    AdoptionError,
    AdoptionFilters,
    AdoptionReport,
)
from modelarena.landscape.hub_snapshot import SnapshotError, open_snapshot  # noqa: E402
from modelarena.landscape.orgs import OrgMap, atom_regions  # noqa: E402

DATA = Path(__file__).parent / "data"
SAMPLE = DATA / "hub_stats" / "hub_stats_frozen.parquet"
ATOM = OrgMap(atom_regions())


def _m(
    mid: str, dl: int, created: str = "2025-03-10T00:00:00.000Z", **extra: Any
) -> dict[str, Any]:
    return {
        "id": mid,
        "author": mid.split("/")[0],
        "createdAt": created,
        "downloads": dl,
        "downloadsAllTime": dl * 10,
        "tags": extra.pop("tags", []),
        "cardData": extra.pop("cardData", {}),
        "pipeline_tag": "text-generation",
        **extra,
    }


def _bm(relation: str, *parents: str) -> dict[str, Any]:
    return {"relation": relation, "models": [{"_id": "x", "id": p} for p in parents]}


HAND = [
    _m("meta-llama/Llama-3-8B", 1000, "2024-04-18T00:00:00.000Z"),
    _m("Qwen/Qwen2.5-7B", 3000, "2024-09-18T00:00:00.000Z"),
    _m("mistralai/Mistral-7B", 100, "2023-09-27T00:00:00.000Z"),
    _m("someone/llama-ft", 500, baseModels=_bm("finetune", "meta-llama/Llama-3-8B")),
    # only the listing's tags say what it is built on, and it is a GGUF repo
    _m(
        "bartowski/llama-ft-GGUF",
        200,
        tags=["gguf", "base_model:someone/llama-ft", "base_model:quantized:someone/llama-ft"],
    ),
    _m("merger/merge-1", 400, baseModels=_bm("merge", "someone/llama-ft", "Qwen/Qwen2.5-7B")),
    _m("mystery-lab/base-x", 50, "2024-01-01T00:00:00.000Z"),
    # only the card says it: an adapter on a base from an organisation nobody maps
    _m(
        "someone/x-ft",
        10,
        "2025-04-02T00:00:00.000Z",
        cardData={"base_model": "mystery-lab/base-x", "base_model_relation": "adapter"},
    ),
    _m("cycle/a", 5, tags=["base_model:finetune:cycle/b"]),
    _m("cycle/b", 5, tags=["base_model:finetune:cycle/a"]),
    # its base is not in the snapshot: the root is the parent, by its organisation
    _m("outside/ft", 40, baseModels=_bm("finetune", "deepseek-ai/DeepSeek-V3")),
]


@pytest.fixture
def hand(tmp_path: Path) -> Path:
    path = tmp_path / "hand.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in HAND))
    return path


def _shares(report: AdoptionReport, name: str, panel: str = "") -> dict[str, float]:
    fig = report.figure(name, panel)
    assert fig is not None, (name, panel)
    return {s.label: s.value for s in fig.rows}


def test_download_shares_by_developer_and_by_lineage_are_exact(hand: Path) -> None:
    report = adoption_figures(hand, org_map=ATOM, reps=0)
    dev = _shares(report, "by_developer")
    assert dev == {"china": 3000, "us": 1000, "eu": 100, "other": 0, "unknown": 1210}
    lin = _shares(report, "by_lineage")
    # us: Llama 1000 + its fine-tune 500 + the quantisation of the fine-tune 200 + half the
    # merge 200; china: Qwen 3000 + half the merge 200 + the fine-tune of DeepSeek 40
    assert lin == pytest.approx({"us": 1900, "china": 3240, "eu": 100, "other": 0, "unknown": 70})
    fig = report.figure("by_lineage")
    assert fig is not None and fig.total == pytest.approx(5310)
    share = {s.label: s.share for s in fig.rows}
    assert share["china"] == pytest.approx(3240 / 5310)
    roots = _shares(report, "by_root_lab")
    assert roots["meta-llama"] == pytest.approx(1900)
    assert roots["deepseek-ai"] == pytest.approx(40)
    assert report.lineage.unresolved == 2  # the two models of the cycle
    assert report.lineage.roots_outside == 1  # deepseek-ai/DeepSeek-V3
    assert report.lineage.sources == {"baseModels": 3, "cardData": 1, "tags": 3}


def test_unknown_organisation_is_never_guessed(hand: Path) -> None:
    report = adoption_figures(hand, org_map=ATOM, reps=0)
    uploader = report.figure("by_uploader")
    assert uploader is not None
    regions = {s.label: s.region for s in uploader.rows}
    assert regions["mystery-lab"] == "unknown"
    assert regions["Qwen"] == "china"
    assert regions["someone"] == "unknown"


def test_new_derivatives_split_merges_and_keep_quantisations_apart(hand: Path) -> None:
    report = adoption_figures(hand, org_map=ATOM, reps=0)
    ft = _shares(report, "derivatives", "finetune+adapter")
    # llama-ft (us), x-ft adapter (unknown), cycle a and b (unknown), outside/ft (china)
    assert ft == pytest.approx({"us": 1, "unknown": 3, "china": 1, "eu": 0, "other": 0})
    assert _shares(report, "derivatives", "quantized")["us"] == 1
    merge = _shares(report, "derivatives", "merge")
    assert merge["us"] == pytest.approx(0.5) and merge["china"] == pytest.approx(0.5)
    monthly = _shares(report, "monthly", "2025-04 finetune+adapter")
    assert monthly == pytest.approx({"unknown": 1, "us": 0, "china": 0, "eu": 0, "other": 0})


def test_filters_window_and_counter(hand: Path) -> None:
    no_gguf = adoption_figures(hand, org_map=ATOM, reps=0, filters=AdoptionFilters(gguf="exclude"))
    assert _shares(no_gguf, "by_developer")["unknown"] == 1010
    assert no_gguf.figure("derivatives", "quantized") is None
    window = AdoptionFilters(since=date(2025, 1, 1), until=date(2025, 4, 1), counter="all-time")
    report = adoption_figures(hand, org_map=ATOM, reps=0, filters=window)
    dev = _shares(report, "by_developer")
    # models created in Q1 2025, all-time counter (10x the 30-day one here)
    assert dev["unknown"] == 10 * (500 + 200 + 400 + 5 + 5 + 40)
    assert dev["china"] == 0
    assert "2025-01-01" in report.window and "all-time" in report.window
    assert "GGUF repos in" in report.filters
    assert report.is_sample and "SAMPLE" in report.label()
    assert adoption_figures(hand, org_map=ATOM, reps=0, scope="full").label().startswith("full")


def test_downloads_between_a_baseline_and_the_snapshot(hand: Path, tmp_path: Path) -> None:
    # a year earlier: Qwen had 10,000 all-time downloads, Llama 9,000; the rest did not exist
    base = tmp_path / "base.jsonl"
    base.write_text(
        json.dumps({"id": "Qwen/Qwen2.5-7B", "downloadsAllTime": 10_000})
        + "\n"
        + json.dumps({"id": "meta-llama/Llama-3-8B", "downloadsAllTime": 9_000})
        + "\n"
        + json.dumps({"id": "mistralai/Mistral-7B", "downloadsAllTime": 5_000})  # went down
        + "\n"
    )
    report = adoption_figures(
        hand, baseline=base, org_map=ATOM, reps=0, filters=AdoptionFilters(counter="between")
    )
    dev = _shares(report, "by_developer")
    assert dev["china"] == 30_000 - 10_000
    assert dev["us"] == 10_000 - 9_000
    assert dev["eu"] == 0  # a counter lower than in the baseline counts zero
    assert dev["unknown"] == 10 * 1210  # new models count from zero
    assert "between the baseline snapshot" in report.window
    with pytest.raises(AdoptionError, match="--baseline"):
        adoption_figures(hand, baseline=base, org_map=ATOM, reps=0)


def test_bad_options_are_one_line_errors(hand: Path, tmp_path: Path) -> None:
    with pytest.raises(AdoptionError, match="--since must be before --until"):
        AdoptionFilters(since=date(2025, 2, 1), until=date(2025, 1, 1))
    with pytest.raises(AdoptionError, match="--gguf"):
        AdoptionFilters(gguf="maybe")
    with pytest.raises(SnapshotError, match="not found"):
        adoption_figures(tmp_path / "nope.parquet")
    bad = tmp_path / "bad.jsonl"
    bad.write_text("this is not json\n")
    with pytest.raises(SnapshotError, match="not a Hub snapshot"):
        adoption_figures(bad)


def test_parquet_and_jsonl_snapshots_agree(hand: Path, tmp_path: Path) -> None:
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    rows = [dict(r, cardData=json.dumps(r["cardData"])) for r in HAND]  # as hub-stats stores it
    for r in rows:
        r.setdefault("baseModels", None)
    path = tmp_path / "hand.parquet"
    pq.write_table(pa.Table.from_pylist(rows), path)
    a = adoption_figures(hand, org_map=ATOM, reps=0)
    b = adoption_figures(path, org_map=ATOM, reps=0)
    for name in ("by_developer", "by_lineage"):
        assert _shares(a, name) == pytest.approx(_shares(b, name))
    assert _shares(a, "derivatives", "finetune+adapter") == pytest.approx(
        _shares(b, "derivatives", "finetune+adapter")
    )


# -- the real hub-stats sample ----------------------------------------------------------------


def _sample_rows() -> list[dict[str, Any]]:
    pq = pytest.importorskip("pyarrow.parquet")
    return list(
        pq.read_table(
            SAMPLE, columns=["id", "author", "downloads", "baseModels", "cardData"]
        ).to_pylist()
    )


def test_sample_developer_share_matches_plain_python() -> None:
    rows = _sample_rows()
    with (
        DATA.parent.parent.parent / "src/modelarena/landscape/data/atom/organization_regions.csv"
    ).open() as fh:
        region = {r["hf_org"].lower(): r["region"] for r in csv.DictReader(fh)}
    totals: dict[str, int] = {}
    for r in rows:
        reg = region.get((r["author"] or "").lower(), "unknown")
        totals[reg] = totals.get(reg, 0) + (r["downloads"] or 0)
    report = adoption_figures(SAMPLE, org_map=ATOM, reps=50, monthly=False)
    fig = report.figure("by_developer")
    assert fig is not None
    for s in fig.rows:
        assert s.value == totals.get(s.label, 0)
        assert s.share == pytest.approx(totals.get(s.label, 0) / sum(totals.values()))
        assert s.lower is not None and s.upper is not None
        assert s.lower <= s.share <= s.upper or s.value == 0
    assert report.is_sample


def test_sample_lineage_follows_single_parent_chains_to_the_root() -> None:
    rows = _sample_rows()
    # the Hub's baseModels first, the card's base_model when there is none (as documented)
    parents: dict[str, list[str]] = {}
    written: dict[str, str] = {}
    for r in rows:
        ids = [m["id"] for m in r["baseModels"]["models"]] if r["baseModels"] else []
        if not ids and r["cardData"]:
            card = json.loads(r["cardData"]).get("base_model")
            ids = [card] if isinstance(card, str) else list(card or [])
        ids = [i for i in ids if i and i.lower() != r["id"].lower()]
        if ids:
            parents[r["id"].lower()] = [i.lower() for i in dict.fromkeys(ids)]
            written.update({i.lower(): i for i in ids})
    author = {r["id"].lower(): r["author"] for r in rows}

    def root(mid: str) -> str | None:  # follow a chain of single parents; None if it forks
        seen = set()
        while mid in parents:
            if len(parents[mid]) != 1 or mid in seen:
                return None
            seen.add(mid)
            mid = parents[mid][0]
        return mid

    expected = {}
    for mid in parents:
        r = root(mid)
        if r is not None:
            name = written.get(r, r)  # a root outside the sample: its org prefix, if any
            expected[mid] = author.get(r) or (name.split("/")[0] if "/" in name else None)
    assert len(expected) > 1000
    deep = [m for m in expected if parents.get(parents[m][0])]
    assert len(deep) > 50  # chains longer than one step are in the test
    con, lineage = open_snapshot(SAMPLE)
    got = {
        model: (org, w)
        for model, org, w in con.execute("SELECT model, root_org, w FROM credit").fetchall()
        if model in expected
    }
    con.close()
    assert {m: v[0] for m, v in got.items()} == expected
    assert all(v[1] == pytest.approx(1.0) for v in got.values())
    assert lineage.with_parents >= len(parents)


def test_sample_merges_split_their_credit() -> None:
    con, _ = open_snapshot(SAMPLE)
    sums = con.execute(
        """SELECT min(s), max(s), count(*) FROM (
             SELECT c.model, sum(c.w) AS s FROM credit c JOIN models m ON m.key = c.model
             WHERE m.relation = 'merge' GROUP BY c.model)"""
    ).fetchone()
    split = con.execute(
        """SELECT count(*) FROM (SELECT model FROM credit GROUP BY model HAVING count(*) > 1)"""
    ).fetchone()[0]
    con.close()
    assert sums[0] == pytest.approx(1.0) and sums[1] == pytest.approx(1.0)
    assert sums[2] == 1116  # every merge in the sample (counted with DuckDB in the brief)
    assert split > 100


def test_adoption_section_gives_series_for_the_report(hand: Path) -> None:
    section = adoption_section(hand, org_map=ATOM, reps=20)
    assert section["label"].startswith("SAMPLE")
    bars = section["series"]["bars"]
    assert {"by_developer", "by_lineage", "by_uploader", "derivatives:merge"} <= set(bars)
    assert bars["by_developer"][0]["label"] == "china"
    monthly = section["series"]["monthly"]["finetune+adapter"]
    assert monthly["months"] == sorted(monthly["months"])
    assert len(monthly["regions"]["us"]) == len(monthly["months"])
    json.dumps(section)  # plain data
    assert section["report"]["sample"] is True
    assert all(f["sample"] and f["window"] for f in section["report"]["figures"])
