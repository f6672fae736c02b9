"""Organisation -> region: the vendored ATOM list, the catalog's labs, user overrides, and
an organisation nobody knows staying unknown."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from modelarena.landscape.orgs import (
    REGIONS,
    OrgMapError,
    atom_regions,
    default_org_map,
    disagreements,
    load_org_regions,
    region_of_country,
)

ATOM_CSV = (
    Path(__file__).resolve().parents[2]
    / "src/modelarena/landscape/data/atom/organization_regions.csv"
)


def test_the_vendored_atom_list_is_read_whole_with_its_licence() -> None:
    with ATOM_CSV.open() as fh:
        rows = list(csv.DictReader(fh))
    found = atom_regions()
    assert len(found) == len(rows) == 118
    assert {r.org: r.region for r in found} == {r["hf_org"]: r["region"] for r in rows}
    assert "Apache License" in (ATOM_CSV.parent / "LICENSE").read_text()
    assert "3cd80206" in (ATOM_CSV.parent / "PROVENANCE").read_text()


def test_regions_of_countries_and_organisations() -> None:
    assert [region_of_country(c) for c in ("US", "CN", "HK", "FR", "GB", "CH", "KR", None)] == [
        "us",
        "china",
        "china",
        "eu",
        "eu",
        "eu",
        "other",
        "unknown",
    ]
    orgs = default_org_map()
    assert orgs.region("Qwen") == "china" and orgs.region("qwen") == "china"
    assert orgs.region("meta-llama") == "us" and orgs.region("mistralai") == "eu"
    assert orgs.region("EleutherAI") == "unknown"  # ATOM says unknown: kept
    assert orgs.region("TheBloke") == "unknown"  # nobody maps it: never guessed
    assert orgs.region(None) == "unknown"
    found = orgs.lookup("deepseek-ai")
    assert found is not None and found.source == "atom"
    assert all(r.region in REGIONS for r in orgs)


def test_the_catalog_adds_organisations_atom_does_not_list() -> None:
    orgs = default_org_map()
    atom = {r.org.lower() for r in atom_regions()}
    extra = [r for r in orgs if r.org.lower() not in atom]
    assert extra, "the catalog's labs and model aliases add Hub organisations"
    assert all(r.source.startswith("catalog") and r.country for r in extra)
    for org, atom_region, catalog_region in disagreements():
        assert atom_region != catalog_region, org


def test_user_file_overrides_and_errors(tmp_path: Path) -> None:
    good = tmp_path / "orgs.csv"
    good.write_text("hf_org,region\nTheBloke,us\nQwen,other\n")
    orgs = default_org_map(good)
    assert orgs.region("thebloke") == "us" and orgs.region("Qwen") == "other"
    assert [r.source for r in load_org_regions(good)] == ["user", "user"]
    bad = tmp_path / "bad.csv"
    bad.write_text("hf_org,region\nSomeone,mars\n")
    with pytest.raises(OrgMapError, match="line 2: region 'mars'"):
        load_org_regions(bad)
    (tmp_path / "cols.csv").write_text("org,country\nx,US\n")
    with pytest.raises(OrgMapError, match="hf_org,region"):
        load_org_regions(tmp_path / "cols.csv")
    with pytest.raises(OrgMapError, match="cannot read"):
        load_org_regions(tmp_path / "none.csv")


@pytest.mark.parametrize(
    ("missing", "args"),
    [
        ("duckdb", ["adoption", "snapshot.parquet"]),
        ("huggingface_hub", ["hub-fetch", "--out", "snap.jsonl"]),
    ],
)
def test_without_the_extra_the_error_names_the_install(
    missing: str, args: list[str], tmp_path: Path
) -> None:
    import subprocess
    import sys

    (tmp_path / "snapshot.parquet").write_bytes(b"PAR1")
    script = (
        f"import sys; sys.modules[{missing!r}] = None\n"
        "from modelarena.cli.main import main\n"
        f"sys.argv = ['arena', 'landscape', *{args!r}]\n"
        "main()\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=tmp_path, timeout=60
    )
    assert result.returncode == 1, result.stderr
    assert "pip install 'modelarena[landscape]'" in result.stderr
    assert "Traceback" not in result.stderr
