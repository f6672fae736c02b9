"""Who leads among open models, on any leaderboard: the arena's own or a published one.

Every model of the board is matched to the catalog (lab, country, open weights, licence);
the figures are drawn from the open models only:

- ``share_top10`` / ``share_top20``: the countries of the top 10 and top 20 open models by
  rating (counts of a ranked list), with how settled that list is: ``might_leave``, the models
  in it whose rank range reaches below it, and ``might_enter``, those outside whose range
  reaches into it;
- ``best_open``: per country, its best open model with its rank among open models, its rank
  range from the intervals among open models (``rank_upper`` = 1 + number of open models whose
  lower bound is above its upper bound, the best place it can claim; ``rank_lower`` = number
  of open models whose upper bound is not below its lower bound, the worst) and its rank among
  all models of the board;
- for two countries (default CN and US): ``above_best``, how many open models of the first
  rate above the best open model of the second, ``above_best_labs`` from how many labs, and
  ``above_best_separated`` how many of them with an interval entirely above that model's
  interval (the rest overlap it: statistically tied).

Country is the developer's (the lab's headquarters) by default, or the lineage's (the lab of
the base model a fine-tune was built on) with ``by="lineage"``. A name the catalog does not
know has no country ("unknown") and is listed with its nearest catalog names; no country is
ever guessed. Where the file carries an organisation, licence or open-weights column, the file
decides open weights for models the catalog lacks, and disagreements are listed.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import numpy as np

from modelarena.catalog import (
    Catalog,
    CatalogEntry,
    Resolution,
    load_labs,
    nearest,
    resolver,
)
from modelarena.catalog.entries import normalize_name
from modelarena.landscape.snapshots import LandscapeError, open_from_license

UNKNOWN = "unknown"
By = Literal["developer", "lineage"]


def parse_by(text: str | None) -> By:
    """``developer`` (default) or ``lineage``; LandscapeError names the choices."""
    value = (text or "developer").strip().lower()
    if value == "developer":
        return "developer"
    if value == "lineage":
        return "lineage"
    raise LandscapeError(f"by must be developer or lineage, not {text!r}")


@dataclass(frozen=True)
class RatedModel:
    """One row of a leaderboard, whatever its source, with what the source says of it."""

    name: str
    rating: float
    lower: float | None = None
    upper: float | None = None
    votes: int | None = None
    organization: str | None = None  # the file's, when it has the column
    license: str | None = None
    open_weights: bool | None = None


Resolver = Callable[[str], Resolution]


def catalog_resolver(catalog: Catalog) -> Resolver:
    """Names to catalog entries through the catalog's name resolver (built once): variants
    (dates, reasoning modes, previews, precisions) pool under their model."""
    return resolver(catalog).resolve


def nearest_names(catalog: Catalog, name: str, k: int = 3) -> list[str]:
    """Catalog ids closest to ``name`` (for the list of names that did not resolve)."""
    return [c.id for c in nearest(name, k, catalog)]


@dataclass
class ModelFacts:
    name: str
    rating: float
    lower: float | None
    upper: float | None
    votes: int | None
    catalog_id: str | None
    variant: str | None
    lab: str | None
    country: str  # by the chosen attribution; "unknown" when the catalog lacks it
    open_weights: bool | None
    license: str | None
    facts_from: str  # "catalog", "file" or "none"


def _same_org(file_org: str, entry: CatalogEntry) -> bool:
    """Whether the file's organisation is the catalog's lab (through labs.toml's aliases)."""
    labs = load_labs()
    found, own = labs.find(file_org), labs.find(entry.lab)
    if found is not None and own is not None:
        return found.name == own.name

    def fold(s: str) -> str:
        return re.sub(r"[^a-z0-9]", "", s.lower())

    a, b = fold(file_org), fold(entry.lab)
    return bool(a) and (a in b or b in a)


def _facts(
    m: RatedModel,
    catalog_id: str | None,
    variant: str | None,
    lab: str | None,
    country: str,
    open_weights: bool | None,
    license: str | None,
    facts_from: str,
) -> ModelFacts:
    """The board's row ``m`` with its facts (from the catalog, the file or none)."""
    return ModelFacts(
        m.name,
        m.rating,
        m.lower,
        m.upper,
        m.votes,
        catalog_id,
        variant,
        lab,
        country,
        open_weights,
        license,
        facts_from,
    )


def model_facts(
    models: Sequence[RatedModel], catalog: Catalog, *, by: By = "developer"
) -> tuple[list[ModelFacts], list[dict[str, Any]], list[dict[str, Any]]]:
    """Each model with its catalog facts; the names that did not resolve (with their nearest
    catalog names); and the places where the file and the catalog disagree."""
    names = resolver(catalog)
    facts: list[ModelFacts] = []
    unresolved: list[dict[str, Any]] = []
    disagreements: list[dict[str, Any]] = []
    for m in models:
        res = names.resolve(m.name)
        e = res.entry
        file_open = m.open_weights
        if file_open is None and m.license:
            file_open = open_from_license(m.license)
        if e is None:
            unresolved.append(
                {"model": m.name, "nearest": [c.id for c in names.nearest(m.name, 3)]}
            )
            source = "file" if file_open is not None else "none"
            facts.append(
                _facts(m, None, None, m.organization, UNKNOWN, file_open, m.license, source)
            )
            continue
        if m.organization and not _same_org(m.organization, e):
            disagreements.append(
                {"model": m.name, "field": "organization", "file": m.organization, "catalog": e.lab}
            )
        if file_open is not None and file_open != e.open_weights:
            disagreements.append(
                {
                    "model": m.name,
                    "field": "open_weights",
                    "file": file_open,
                    "catalog": e.open_weights,
                }
            )
        country = (e.lineage_country or e.country) if by == "lineage" else e.country
        facts.append(
            _facts(m, e.id, res.variant, e.lab, country, e.open_weights, e.license, "catalog")
        )
    return facts, unresolved, disagreements


def _rank_range(lower: np.ndarray, upper: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Best and worst place of each model from the intervals (see the module docstring)."""
    lows = np.sort(lower)
    ups = np.sort(upper)
    best = 1 + lows.size - np.searchsorted(lows, upper, side="right")
    worst = lows.size - np.searchsorted(ups, lower, side="left")
    return best.astype(int), worst.astype(int)


def _share(rows: Sequence[dict[str, Any]], top: int) -> dict[str, Any]:
    """Countries of the first ``top`` open models, and how settled that set is: the models
    in it whose worst place from the intervals is below ``top`` (``might_leave``) and the
    models outside it whose best place is within ``top`` (``might_enter``)."""
    head = list(rows[:top])
    counts = Counter(str(r["country"]) for r in head)
    return {
        "of": len(head),
        "counts": dict(counts.most_common()),
        "shares": {c: round(k / len(head), 4) for c, k in counts.most_common()} if head else {},
        "might_leave": [r["model"] for r in head if r["rank_lower"] > top],
        "might_enter": [r["model"] for r in rows[top:] if r["rank_upper"] <= top],
    }


@dataclass
class OpenBoard:
    """The figures of one board (see the module docstring); :meth:`to_dict` is the JSON."""

    source: str
    method: str
    by: By
    countries: tuple[str, str]
    models: int  # every model of the board
    open_models: list[dict[str, Any]]
    best_open: dict[str, dict[str, Any]]
    above_best: int | None
    above_best_labs: int | None
    above_best_separated: int | None
    above_best_models: list[dict[str, Any]]
    share_top10: dict[str, Any]
    share_top20: dict[str, Any]
    unresolved: list[dict[str, Any]] = field(default_factory=list)
    disagreements: list[dict[str, Any]] = field(default_factory=list)
    has_intervals: bool = True
    pooled: bool = False  # one row per catalog model (its best-rated variant)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def open_board(
    source: str,
    models: Sequence[RatedModel],
    catalog: Catalog,
    *,
    countries: tuple[str, str] = ("CN", "US"),
    by: By = "developer",
    method: str = "",
    pool_variants: bool = False,
) -> OpenBoard:
    """Who leads among the open models of ``models`` (see the module docstring).

    ``pool_variants``: keep only the best-rated row of each catalog model, so the variants of
    one model (reasoning modes, serving tiers, dated checkpoints the resolver pools) count as
    one release; other rows are dropped before anything is ranked.

    LandscapeError when the board has no open model (the fix: a board with open models, or a
    catalog that knows them)."""
    if not models:
        raise LandscapeError(f"{source}: the board is empty; import a leaderboard file first")
    facts, unresolved, disagreements = model_facts(models, catalog, by=by)
    if pool_variants:
        first_of: dict[str, ModelFacts] = {}
        for f in sorted(facts, key=lambda f: (-f.rating, f.name)):
            first_of.setdefault(f.catalog_id or f"name:{f.name}", f)
        kept = {id(f) for f in first_of.values()}
        facts = [f for f in facts if id(f) in kept]
    ratings_all = np.array([f.rating for f in facts])
    overall = {f.name: 1 + int((ratings_all > f.rating).sum()) for f in facts}
    opens = sorted((f for f in facts if f.open_weights), key=lambda f: (-f.rating, f.name))
    if not opens:
        raise LandscapeError(
            f"{source}: no open-weight model on this board that the catalog or the file knows; "
            "add catalog entries (`arena landscape names`) or a licence column to the file"
        )
    has_iv = all(f.lower is not None and f.upper is not None for f in opens)
    r = np.array([f.rating for f in opens])
    lo = np.array([f.lower if f.lower is not None else f.rating for f in opens])
    hi = np.array([f.upper if f.upper is not None else f.rating for f in opens])
    best_place, worst_place = _rank_range(lo, hi)
    rows: list[dict[str, Any]] = []
    for i, f in enumerate(opens):
        rows.append(
            {
                "model": f.name,
                "catalog_id": f.catalog_id,
                "variant": f.variant,
                "lab": f.lab,
                "country": f.country,
                "rating": f.rating,
                "rating_lower": f.lower,
                "rating_upper": f.upper,
                "votes": f.votes,
                "rank": 1 + int((r > f.rating).sum()),
                "rank_upper": int(best_place[i]),
                "rank_lower": int(worst_place[i]),
                "rank_overall": overall[f.name],
                "license": f.license,
                "facts_from": f.facts_from,
            }
        )
    leaders: dict[str, dict[str, Any]] = {}
    for row in rows:
        leaders.setdefault(row["country"], row)
    first, second = (c.upper() for c in countries)
    above: list[dict[str, Any]] = []
    above_n = labs_n = separated_n = None
    if second in leaders:
        ref = leaders[second]
        ref_hi = ref["rating_upper"] if ref["rating_upper"] is not None else ref["rating"]
        above = [x for x in rows if x["country"] == first and x["rating"] > ref["rating"]]
        for x in above:
            x_lo = x["rating_lower"] if x["rating_lower"] is not None else x["rating"]
            x["separated"] = bool(has_iv and x_lo > ref_hi)
        above_n = len(above)
        labs_n = len({x["lab"] or x["model"] for x in above})
        separated_n = sum(1 for x in above if x["separated"]) if has_iv else None
    return OpenBoard(
        source=source,
        method=(
            method
            or "ratings and 95% intervals as the board gives them; open weights and country "
            f"from the catalog (by {by})"
        )
        + ("; variants of one model pooled (its best-rated row kept)" if pool_variants else ""),
        by=by,
        countries=(first, second),
        models=len(facts),
        open_models=rows,
        best_open={
            c: {
                k: row[k]
                for k in (
                    "model",
                    "rank",
                    "rank_lower",
                    "rank_upper",
                    "rank_overall",
                    "rating",
                    "rating_lower",
                    "rating_upper",
                    "lab",
                )
            }
            for c, row in leaders.items()
        },
        above_best=above_n,
        above_best_labs=labs_n,
        above_best_separated=separated_n,
        above_best_models=[
            {
                "model": x["model"],
                "lab": x["lab"],
                "rating": x["rating"],
                "separated": x.get("separated", False),
            }
            for x in above
        ],
        share_top10=_share(rows, 10),
        share_top20=_share(rows, 20),
        unresolved=unresolved,
        disagreements=disagreements,
        has_intervals=has_iv,
        pooled=pool_variants,
    )


@dataclass
class Agreement:
    """Rank agreement of two boards on the models they share."""

    board_a: str
    board_b: str
    shared: int
    spearman: float
    spearman_ci: tuple[float, float]
    kendall: float
    kendall_ci: tuple[float, float]
    method: str
    models: list[str]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _spearman(x: np.ndarray, y: np.ndarray) -> float:
    """Spearman's rho: the correlation of average ranks (NaN when one side is constant)."""
    from scipy.stats import rankdata

    rx, ry = rankdata(x), rankdata(y)
    sx, sy = rx.std(), ry.std()
    if sx == 0 or sy == 0:
        return float("nan")
    return float(((rx - rx.mean()) * (ry - ry.mean())).mean() / (sx * sy))


def _kendall(x: np.ndarray, y: np.ndarray) -> float:
    """Kendall's tau-b over all pairs (NaN when one side is constant)."""
    dx = np.sign(x[:, None] - x[None, :])
    dy = np.sign(y[:, None] - y[None, :])
    upper = np.triu_indices(x.size, 1)
    a, b = dx[upper], dy[upper]
    denominator = np.sqrt(float((a != 0).sum()) * float((b != 0).sum()))
    return float((a * b).sum() / denominator) if denominator else float("nan")


def _key(resolve: Resolver, name: str) -> str:
    entry = resolve(name).entry
    return entry.id if entry is not None else normalize_name(name)


def rank_agreement(
    name_a: str,
    a: Sequence[RatedModel],
    name_b: str,
    b: Sequence[RatedModel],
    catalog: Catalog,
    *,
    resamples: int = 1000,
    seed: int = 0,
) -> Agreement:
    """Spearman's rho and Kendall's tau-b between two boards' ratings of their shared models
    (matched through the catalog, so variants of one model pool; the best-rated variant of a
    board stands for it), with 95% percentile intervals from resampling the shared models."""
    resolve = catalog_resolver(catalog)

    def by_key(models: Sequence[RatedModel]) -> dict[str, float]:
        out: dict[str, float] = {}
        for m in models:
            k = _key(resolve, m.name)
            out[k] = max(out.get(k, -np.inf), m.rating)
        return out

    ka, kb = by_key(a), by_key(b)
    shared = sorted(set(ka) & set(kb))
    if len(shared) < 3:
        raise LandscapeError(
            f"{name_a} and {name_b} share {len(shared)} model(s); rank agreement needs at least 3 "
            "(check that both boards name the same models, or add catalog aliases)"
        )
    x = np.array([ka[k] for k in shared])
    y = np.array([kb[k] for k in shared])
    rho, tau = _spearman(x, y), _kendall(x, y)
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(shared), (resamples, len(shared)))
    rhos = [_spearman(x[i], y[i]) for i in idx]
    taus = [_kendall(x[i], y[i]) for i in idx]

    def ci(values: list[float]) -> tuple[float, float]:
        arr = np.array(values, dtype=float)
        arr = arr[np.isfinite(arr)]
        if arr.size == 0:
            return (float("nan"), float("nan"))
        lo, hi = np.percentile(arr, [2.5, 97.5])
        return (round(float(lo), 4), round(float(hi), 4))

    return Agreement(
        board_a=name_a,
        board_b=name_b,
        shared=len(shared),
        spearman=round(rho, 4),
        spearman_ci=ci(rhos),
        kendall=round(tau, 4),
        kendall_ci=ci(taus),
        method=f"Spearman rho and Kendall tau-b on the shared models' ratings; 95% percentile "
        f"bootstrap over models ({resamples} resamples, seed {seed})",
        models=shared,
    )


__all__ = [
    "UNKNOWN",
    "Agreement",
    "ModelFacts",
    "OpenBoard",
    "RatedModel",
    "catalog_resolver",
    "model_facts",
    "nearest_names",
    "open_board",
    "parse_by",
    "rank_agreement",
]
