"""Who is downloaded and built on: adoption figures from a Hub metadata snapshot.

Figures (docs/landscape.md, "Adoption"), each with its window, filters and scope:

- ``by_developer``: download share by the region of the uploading organisation (``author``);
- ``by_uploader``: download share of the top uploading organisations;
- ``by_lineage``: download share by the region of the root base model's lab (a quantisation
  or fine-tune is credited to the lab of the model it is ultimately built on; a merge of k
  parents gives 1/k to each parent's root);
- ``by_root_lab``: the same credit by root organisation;
- ``derivatives``: new derivatives (models created in the window with a base model) by the
  region of their root base model, fine-tunes and adapters apart from quantisations and
  merges; ``monthly``: the same per month of creation.

Downloads are the snapshot's counters: ``downloads`` (the 30 days before the snapshot),
``downloadsAllTime``, or, given an earlier ``baseline`` snapshot, the difference of the
all-time counters (the downloads between the two snapshots). A share comes with its n
(models, downloads) and a 95% bootstrap interval over models (none for a figure of fewer than
ten models, as everywhere). The shared data are samples: a figure says ``scope: sample``
unless the snapshot is declared the whole Hub, and a sample's share is never a Hub-wide
figure.

``adoption_section`` is the entry point for the HTML report (landscape/report.py).
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np

from modelarena.landscape.adoption_model import (
    COUNTERS,
    KINDS,
    AdoptionError,
    AdoptionFilters,
    AdoptionReport,
    Figure,
    Share,
)
from modelarena.landscape.hub_snapshot import SnapshotError, open_snapshot, source_sql
from modelarena.landscape.orgs import REGIONS, OrgMap, default_org_map
from modelarena.landscape.shares import DEFAULT_REPS, bootstrap_shares, distinct_values
from modelarena.ratings import MIN_INTERVAL_VOTES

_KIND_SQL = """CASE WHEN relation IN ('finetune', 'adapter') THEN 0
                    WHEN relation = 'quantized' THEN 1
                    WHEN relation = 'merge' THEN 2 ELSE 3 END"""


def _region_case(column: str) -> str:
    whens = " ".join(f"WHEN '{r}' THEN {i}" for i, r in enumerate(REGIONS))
    return f"CASE coalesce({column}, 'unknown') {whens} ELSE {REGIONS.index('unknown')} END"


def _register_orgs(con: Any, org_map: OrgMap) -> None:
    rows = [(r.org.lower(), r.region) for r in org_map]
    con.execute("CREATE OR REPLACE TEMP TABLE orgs (org_key VARCHAR, region VARCHAR)")
    if rows:
        con.executemany("INSERT INTO orgs VALUES (?, ?)", rows)


def _fetch(con: Any, sql: str) -> dict[str, np.ndarray[Any, Any]]:
    return {k: np.asarray(v) for k, v in con.execute(sql).fetchnumpy().items()}


class _Computer:
    def __init__(self, con: Any, filters: AdoptionFilters, reps: int, seed: int, top: int):
        self.con, self.filters, self.reps, self.seed, self.top = con, filters, reps, seed, top
        self.dl = COUNTERS[filters.counter]

    def _shares(
        self, rows: dict[str, Any], labels: list[str], panels: int = 1
    ) -> list[tuple[int, list[Share]]]:
        """Per panel: distinct models, and a share per label (largest first)."""
        rid = rows["rid"].astype(np.int64)
        panel = rows["panel"].astype(np.int64) if "panel" in rows else np.zeros(len(rid), int)
        result = bootstrap_shares(
            rid,
            panel,
            rows["cat"].astype(np.int64),
            rows["value"].astype(np.float64),
            panels=panels,
            categories=len(labels),
            reps=self.reps,
            seed=self.seed,
        )
        span = int(rid.max()) + 1 if len(rid) else 1
        pairs = distinct_values(panel * span + rid)  # distinct (panel, model)
        distinct = np.bincount(pairs // span, minlength=panels)
        out = []
        for p in range(panels):
            cells = []
            for c, label in enumerate(labels):
                lo, hi = result.lower[p, c], result.upper[p, c]
                if distinct[p] < MIN_INTERVAL_VOTES:  # decision 0007: none below ten
                    lo = hi = np.nan
                cells.append(
                    Share(
                        label=label,
                        models=int(result.models[p, c]),
                        value=float(result.totals[p, c]),
                        share=float(result.shares[p, c]),
                        lower=None if np.isnan(lo) else float(lo),
                        upper=None if np.isnan(hi) else float(hi),
                    )
                )
            out.append((int(distinct[p]), sorted(cells, key=lambda s: -s.value)))
        return out

    def region_figure(self, name: str, title: str, lineage: bool) -> Figure:
        if lineage:
            sql = f"""SELECT s.rid, {_region_case("o.region")} AS cat, s.{self.dl} * c.w AS value
                      FROM sel s JOIN credit c ON c.model = s.key
                      LEFT JOIN orgs o ON o.org_key = lower(c.root_org)
                      WHERE s.{self.dl} > 0"""
        else:
            sql = f"""SELECT rid, {_region_case("o.region")} AS cat, {self.dl} AS value
                      FROM sel s LEFT JOIN orgs o ON o.org_key = lower(s.author)
                      WHERE {self.dl} > 0"""
        n, cells = self._shares(_fetch(self.con, sql), list(REGIONS))[0]
        return self._figure(name, title, lineage, "downloads", n, cells)

    def org_figure(self, name: str, title: str, lineage: bool) -> Figure:
        if lineage:
            base = f"""SELECT s.rid, lower(coalesce(c.root_org, '(unknown)')) AS org,
                              s.{self.dl} * c.w AS value
                       FROM sel s JOIN credit c ON c.model = s.key WHERE s.{self.dl} > 0"""
        else:
            base = f"""SELECT rid, lower(coalesce(author, '(unknown)')) AS org,
                              {self.dl} AS value FROM sel WHERE {self.dl} > 0"""
        self.con.execute(f"CREATE OR REPLACE TEMP TABLE orgrows AS {base}")
        top = self.con.execute(
            f"""SELECT org, row_number() OVER (ORDER BY sum(value) DESC, org) - 1 AS i
                FROM orgrows GROUP BY org ORDER BY i LIMIT {self.top}"""
        ).fetchall()
        self.con.execute("CREATE OR REPLACE TEMP TABLE toporgs (org VARCHAR, i BIGINT)")
        if top:
            self.con.executemany("INSERT INTO toporgs VALUES (?, ?)", top)
        rows = _fetch(
            self.con,
            f"""SELECT r.rid, coalesce(t.i, {len(top)}) AS cat, r.value
                FROM orgrows r LEFT JOIN toporgs t USING (org)""",
        )
        names = {
            k: v
            for k, v in self.con.execute(
                """SELECT lower(author), any_value(author) FROM models
                   WHERE lower(author) IN (SELECT org FROM toporgs) GROUP BY 1"""
            ).fetchall()
        }
        labels = [names.get(org, org) for org, _ in top] + ["(all others)"]
        n, found = self._shares(rows, labels)[0]
        org_map_region = dict(self.con.execute("SELECT org_key, region FROM orgs").fetchall())
        cells = [
            Share(**{**asdict(s), "region": org_map_region.get(s.label.lower(), "unknown")})
            for s in found
            if s.label != "(all others)"
        ] + [s for s in found if s.label == "(all others)"]
        return self._figure(name, title, lineage, "downloads", n, cells)

    def derivatives(self) -> list[Figure]:
        kind = _KIND_SQL
        rows = _fetch(
            self.con,
            f"""SELECT s.rid, {kind} AS panel, {_region_case("o.region")} AS cat, c.w AS value
                FROM sel s JOIN credit c ON c.model = s.key
                LEFT JOIN orgs o ON o.org_key = lower(c.root_org)
                WHERE s.relation IS NOT NULL""",
        )
        panels = self._shares(rows, list(REGIONS), panels=len(KINDS))
        figures = []
        for k, (n, cells) in zip(KINDS, panels, strict=True):
            if sum(c.value for c in cells) > 0:
                figures.append(
                    self._figure(
                        "derivatives",
                        f"New derivatives ({k}) by the region of their root base model",
                        True,
                        "new models",
                        n,
                        cells,
                        panel=k,
                    )
                )
        return figures

    def monthly(self) -> list[Figure]:
        months = [
            r[0]
            for r in self.con.execute(
                """SELECT DISTINCT strftime(date_trunc('month', created), '%Y-%m') AS m
                   FROM sel WHERE relation IS NOT NULL AND created IS NOT NULL ORDER BY m"""
            ).fetchall()
        ]
        if not months:
            return []
        index = {m: i for i, m in enumerate(months)}
        self.con.execute("CREATE OR REPLACE TEMP TABLE months (m VARCHAR, i BIGINT)")
        self.con.executemany("INSERT INTO months VALUES (?, ?)", list(index.items()))
        rows = _fetch(
            self.con,
            f"""SELECT s.rid, mo.i * {len(KINDS)} + {_KIND_SQL} AS panel,
                       {_region_case("o.region")} AS cat, c.w AS value
                FROM sel s JOIN credit c ON c.model = s.key
                JOIN months mo ON mo.m = strftime(date_trunc('month', s.created), '%Y-%m')
                LEFT JOIN orgs o ON o.org_key = lower(c.root_org)
                WHERE s.relation IS NOT NULL""",
        )
        panels = self._shares(rows, list(REGIONS), panels=len(months) * len(KINDS))
        figures = []
        for m in months:
            for k_i, k in enumerate(KINDS):
                n, cells = panels[index[m] * len(KINDS) + k_i]
                if sum(c.value for c in cells) > 0:
                    figures.append(
                        self._figure(
                            "monthly",
                            f"New derivatives ({k}) in {m} by root base-model region",
                            True,
                            "new models",
                            n,
                            cells,
                            panel=f"{m} {k}",
                        )
                    )
        return figures

    def _figure(
        self,
        name: str,
        title: str,
        lineage: bool,
        unit: str,
        n_models: int,
        cells: list[Share],
        panel: str = "",
    ) -> Figure:
        return Figure(
            name=name,
            title=title,
            attribution="lineage (root base model's lab)" if lineage else "developer (uploader)",
            unit=unit,
            n_models=n_models,
            total=float(sum(c.value for c in cells)),
            rows=cells,
            panel=panel,
        )


def _attach_baseline(con: Any, baseline: Path) -> None:
    """``models.downloads_between``: all-time downloads now minus in ``baseline`` (a model
    missing there counts from zero; a counter that went down counts zero)."""
    if not baseline.exists():
        raise SnapshotError(f"baseline snapshot not found: {baseline}")
    con.execute(f"CREATE TEMP VIEW base_raw AS {source_sql(con, baseline)}")
    con.execute(
        """CREATE TEMP TABLE base_dl AS SELECT lower(id) AS key,
           max(coalesce(downloadsAllTime, downloads, 0)) AS d FROM base_raw GROUP BY 1"""
    )
    con.execute(
        """CREATE OR REPLACE TEMP TABLE models AS
           SELECT m.*, greatest(m.downloads_all - coalesce(b.d, 0), 0) AS downloads_between
           FROM models m LEFT JOIN base_dl b USING (key)"""
    )


def adoption_figures(
    snapshot: str | Path,
    *,
    baseline: str | Path | None = None,
    filters: AdoptionFilters | None = None,
    scope: str = "sample",
    org_map: OrgMap | None = None,
    reps: int = DEFAULT_REPS,
    seed: int = 0,
    top: int = 15,
    monthly: bool = True,
    memory_limit: str | None = None,
) -> AdoptionReport:
    """Every adoption figure of one snapshot (see the module docstring); ``baseline``, an
    earlier snapshot, with ``filters.counter == "between"``."""
    if scope not in ("sample", "full"):
        raise AdoptionError("scope must be 'sample' or 'full'")
    filters = filters or AdoptionFilters()
    if (baseline is None) == (filters.counter == "between"):
        raise AdoptionError(
            "downloads between two snapshots need --baseline EARLIER_SNAPSHOT, and --baseline "
            "needs --downloads between"
        )
    con, lineage = open_snapshot(snapshot, memory_limit=memory_limit)
    try:
        if baseline is not None:
            _attach_baseline(con, Path(baseline))
        _register_orgs(con, org_map or default_org_map())
        con.execute(
            f"""CREATE TEMP TABLE sel AS
                SELECT row_number() OVER () - 1 AS rid,
                       * EXCLUDE (id, parents, parents_as_written, lineage_source)
                FROM models WHERE {filters.where()}"""
        )
        calc = _Computer(con, filters, reps, seed, top)
        report = AdoptionReport(
            snapshot=str(snapshot),
            scope=scope,
            window=filters.window(),
            filters=filters.describe(),
            lineage=lineage,
        )
        report.figures += [
            calc.region_figure("by_developer", "Download share by developer region", False),
            calc.org_figure("by_uploader", "Download share by uploader", False),
            calc.region_figure("by_lineage", "Download share by root base-model region", True),
            calc.org_figure("by_root_lab", "Download share by root base-model lab", True),
            *calc.derivatives(),
        ]
        if monthly:
            report.figures += calc.monthly()
        return report
    finally:
        con.close()


def adoption_section(snapshot: str | Path, **options: Any) -> dict[str, Any]:
    """The adoption figures as plain data for the HTML report (landscape/report.py).

    ``options`` are those of :func:`adoption_figures`. Returns ``report`` (the full
    :meth:`AdoptionReport.to_dict`, every figure with its window, filters and ``sample``
    flag) and ``series``, ready to draw:

    - ``series["bars"][name]``: for ``by_developer``, ``by_lineage``, ``by_uploader``,
      ``by_root_lab`` and ``derivatives:<kind>``, a list of ``{label, share, lower, upper,
      models, value}`` in descending order (shares in 0..1, bounds may be None);
    - ``series["monthly"][kind]``: ``{"months": ["2024-01", ...], "regions": {region:
      [share or None per month]}, "n": [new models per month]}`` for each derivative kind.

    ``label`` says whether the figures are a sample; print it next to every chart.
    """
    report = adoption_figures(snapshot, **options)
    bars: dict[str, list[dict[str, Any]]] = {}
    for f in report.figures:
        if f.name == "monthly":
            continue
        key = f"derivatives:{f.panel}" if f.name == "derivatives" else f.name
        bars[key] = [
            {
                "label": s.label,
                "share": None if s.share != s.share else s.share,  # an empty figure: no share
                "lower": s.lower,
                "upper": s.upper,
                "models": s.models,
                "value": s.value,
            }
            for s in f.rows
        ]
    monthly: dict[str, dict[str, Any]] = {}
    for f in report.figures:
        if f.name != "monthly":
            continue
        month, kind = f.panel.split(" ", 1)
        entry = monthly.setdefault(
            kind, {"months": [], "regions": {r: [] for r in REGIONS}, "n": []}
        )
        entry["months"].append(month)
        entry["n"].append(f.total)
        by = {s.label: s.share for s in f.rows}
        for r in REGIONS:
            value = by.get(r)
            entry["regions"][r].append(None if value is None or value != value else value)
    data = report.to_dict()
    return {"label": report.label(), "report": data, "series": {"bars": bars, "monthly": monthly}}


# the report's types live in adoption_model; this module adds the figures computed from a
# snapshot and the report's section
__all__ = ["adoption_figures", "adoption_section"]
