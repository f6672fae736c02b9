"""Quality against price: the Pareto frontier of rating vs blended price, the measured cost
of 1,000 answers from the tokens the arena logged, and the win probability against an anchor
model per dollar.

A rating divided by a price means nothing (ratings have an arbitrary offset), hence these
three views. Prices, in order: a maintained table shipped on PyPI (litellm's price map,
vendored in ``landscape/data`` with its licence and date; the lab's own API if listed, else
the median across providers), then the catalog's list price; a self-hosted model is priced by
GPU-hour over its measured answer time. Every price says its source.
"""

from __future__ import annotations

import json
import re
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from importlib import resources
from typing import Any

from modelarena.catalog import Catalog, CatalogEntry, blended_price
from modelarena.catalog.entries import normalize_name
from modelarena.landscape.board import RatedModel, catalog_resolver
from modelarena.landscape.snapshots import LandscapeError
from modelarena.store.landscape_snapshots import TokenUsage

ANSWERS = 1000
# a lab's own API as litellm names the provider
FIRST_PARTY = {
    "openai": ("openai",),
    "anthropic": ("anthropic",),
    "google": ("gemini", "vertex_ai"),
    "deepseek": ("deepseek",),
    "moonshot": ("moonshot",),
    "mistral": ("mistral",),
    "xai": ("xai",),
    "alibaba": ("dashscope", "qwen_ai_platform", "qwencloud"),
    "qwen": ("dashscope", "qwen_ai_platform", "qwencloud"),
    "zhipu": ("zai",),
    "minimax": ("minimax",),
    "tencent": ("tencent",),
    "cohere": ("cohere_chat", "cohere"),
}


@dataclass(frozen=True)
class Price:
    input_per_m: float
    output_per_m: float
    source: str  # e.g. "litellm 1.110.2 (2026-11-30), openai" or "catalog"

    @property
    def blended_per_m(self) -> float:
        value = blended_price(self.input_per_m, self.output_per_m)
        assert value is not None
        return value


def _fold_key(key: str) -> set[str]:
    """Names a price-table key may stand for: ``bedrock/us-east-1/moonshotai.kimi-k2-thinking``
    -> ``kimi-k2-thinking`` (and the folded full tail)."""
    tail = key.rsplit("/", 1)[-1]
    out = {normalize_name(tail)}
    if "." in tail:
        vendor, _, rest = tail.partition(".")
        if vendor.isalpha():  # bedrock's "<vendor>.<model>"
            out.add(normalize_name(rest))
    out.update({re.sub(r"-v\d+(-\d+)?$", "", n) for n in list(out)})  # bedrock's "-v1:0"
    return out


@dataclass
class PriceTable:
    source: str
    date: str
    by_name: dict[str, list[tuple[str, float, float]]] = field(default_factory=dict)

    @classmethod
    def vendored(cls) -> PriceTable:
        """litellm's price map as vendored (see landscape/data/PROVENANCE)."""
        path = resources.files("modelarena.landscape").joinpath("data/litellm_prices.json")
        data = json.loads(path.read_text("utf-8"))
        table = cls(str(data["source"]).split(" (")[0], str(data["date"]))
        for key, provider, pin, pout in data["models"]:
            for name in _fold_key(str(key)):
                table.by_name.setdefault(name, []).append((str(provider), float(pin), float(pout)))
        return table

    def price(self, names: Sequence[str], lab: str | None) -> Price | None:
        """The first-party price of the first name listed, else the median across providers."""
        own: tuple[str, ...] = ()
        if lab:
            folded = re.sub(r"[^a-z]", "", lab.lower())
            own = next((v for k, v in FIRST_PARTY.items() if folded.startswith(k)), ())
        for name in names:
            # a zero price is a free tier or a placeholder, not what the model costs
            offers = [o for o in self.by_name.get(normalize_name(name), []) if o[1] or o[2]]
            if not offers:
                continue
            where = f"{self.source} ({self.date})"
            first = [o for o in offers if o[0] in own]
            if first:
                return Price(first[0][1], first[0][2], f"{where}, {first[0][0]}")
            ins = round(statistics.median(o[1] for o in offers), 6)
            outs = round(statistics.median(o[2] for o in offers), 6)
            if len(offers) == 1:
                return Price(ins, outs, f"{where}, {offers[0][0]}")
            return Price(ins, outs, f"{where}, median of {len(offers)} providers")
        return None


def entry_price(entry: CatalogEntry | None, name: str, table: PriceTable | None) -> Price | None:
    names = [name]
    if entry is not None:
        names = [entry.id, *entry.aliases, entry.display_name, name]
    if table is not None:
        found = table.price(names, entry.lab if entry else None)
        if found is not None:
            return found
    if (
        entry is not None
        and entry.price_input_per_m is not None
        and entry.price_output_per_m is not None
    ):
        return Price(entry.price_input_per_m, entry.price_output_per_m, "catalog")
    return None


@dataclass(frozen=True)
class SelfHosting:
    """Price self-hosted models by the GPU-hour: an answer costs its measured time (or its
    tokens over ``tokens_per_s``) at ``usd_per_gpu_hour``."""

    usd_per_gpu_hour: float
    tokens_per_s: float | None = None  # None: measured from the arena's answers
    models: tuple[str, ...] = ()  # which models; empty: every model with no table price


def win_probability(rating: float, anchor: float) -> float:
    return 1.0 / (1.0 + 10 ** ((anchor - rating) / 400))


@dataclass
class CostRow:
    model: str
    rating: float
    rating_lower: float | None
    rating_upper: float | None
    open_weights: bool | None
    input_per_m: float | None
    output_per_m: float | None
    blended_per_m: float | None
    price_source: str | None
    answers: int  # answers the arena logged
    with_tokens: int
    prompt_tokens: float | None  # means per answer
    completion_tokens: float | None
    reasoning_tokens: float | None
    cost_1k: float | None  # USD for 1,000 answers at the measured mean
    cost_1k_lower: float | None
    cost_1k_upper: float | None
    win_prob: float | None  # against the anchor, from the ratings
    win_prob_lower: float | None
    win_prob_upper: float | None
    win_prob_per_usd_1k: float | None  # win probability per dollar of 1,000 answers
    win_prob_per_usd_m: float | None  # per dollar of a million blended tokens
    pareto: bool = False


@dataclass
class CostReport:
    anchor: str | None
    method: str
    prices: str
    rows: list[CostRow]
    frontier: list[str]
    unpriced: list[str]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def pareto_frontier(points: Sequence[tuple[str, float, float]]) -> list[str]:
    """Names on the frontier of (name, price, rating): no other point is as cheap and at
    least as good with one of the two strictly better. Cheapest first."""
    best = -float("inf")
    out = []
    for name, _, rating in sorted(points, key=lambda p: (p[1], -p[2], p[0])):
        if rating > best:
            out.append(name)
            best = rating
    return out


def _measured(
    usage: TokenUsage | None, price: Price | None
) -> tuple[float | None, float | None, float | None]:
    """USD of 1,000 answers at the mean tokens per answer, and a 95% normal interval from
    the per-answer spread (n = answers with token counts)."""
    if usage is None or price is None or usage.with_tokens == 0:
        return None, None, None
    pin, pout = price.input_per_m / 1e6, price.output_per_m / 1e6
    mean = usage.prompt_tokens * pin + usage.completion_tokens * pout
    var = (
        pin**2 * max(usage.prompt_sq - usage.prompt_tokens**2, 0.0)
        + pout**2 * max(usage.completion_sq - usage.completion_tokens**2, 0.0)
        + 2 * pin * pout * (usage.cross - usage.prompt_tokens * usage.completion_tokens)
    )
    se = (max(var, 0.0) / usage.with_tokens) ** 0.5
    return (
        round(ANSWERS * mean, 4),
        round(ANSWERS * max(mean - 1.96 * se, 0.0), 4),
        round(ANSWERS * (mean + 1.96 * se), 4),
    )


def cost_report(
    models: Sequence[RatedModel],
    catalog: Catalog,
    usage: Mapping[str, TokenUsage],
    *,
    table: PriceTable | None = None,
    anchor: str | None = None,
    hosting: SelfHosting | None = None,
) -> CostReport:
    """The three views over ``models`` (ratings from a board), ``usage`` (the arena's logged
    tokens per model name) and prices (see the module docstring)."""
    if not models:
        raise LandscapeError("no rated models; vote in the arena or use --snapshot NAME@DATE")
    resolve = catalog_resolver(catalog)
    by_name = {m.name: m for m in models}
    if anchor is not None and anchor not in by_name:
        hit = [
            m.name
            for m in models
            if resolve(m.name).entry is resolve(anchor).entry and resolve(anchor).entry is not None
        ]
        if not hit:
            raise LandscapeError(
                f"anchor {anchor!r} is not on the board; choose one of: "
                + ", ".join(m.name for m in models[:8])
            )
        anchor = hit[0]
    rows: list[CostRow] = []
    unpriced: list[str] = []
    for m in models:
        entry = resolve(m.name).entry
        price = entry_price(entry, m.name, table)
        use = usage.get(m.name)
        self_hosted = hosting is not None and (
            m.name in hosting.models or (not hosting.models and price is None)
        )
        if self_hosted and hosting is not None:
            price = _gpu_price(hosting, use)
        if price is None:
            unpriced.append(m.name)
        cost = _measured(use, price)
        rows.append(
            CostRow(
                model=m.name,
                rating=m.rating,
                rating_lower=m.lower,
                rating_upper=m.upper,
                open_weights=entry.open_weights if entry else m.open_weights,
                input_per_m=price.input_per_m if price else None,
                output_per_m=price.output_per_m if price else None,
                blended_per_m=round(price.blended_per_m, 4) if price else None,
                price_source=price.source if price else None,
                answers=use.answers if use else 0,
                with_tokens=use.with_tokens if use else 0,
                prompt_tokens=round(use.prompt_tokens, 1) if use and use.with_tokens else None,
                completion_tokens=round(use.completion_tokens, 1)
                if use and use.with_tokens
                else None,
                reasoning_tokens=round(use.reasoning_tokens, 1)
                if use and use.with_tokens
                else None,
                cost_1k=cost[0],
                cost_1k_lower=cost[1],
                cost_1k_upper=cost[2],
                win_prob=None,
                win_prob_lower=None,
                win_prob_upper=None,
                win_prob_per_usd_1k=None,
                win_prob_per_usd_m=None,
            )
        )
    if anchor is None:
        priced = [r for r in rows if r.blended_per_m is not None]
        anchor = max(priced or rows, key=lambda r: r.rating).model
    ref = by_name[anchor].rating
    for r in rows:
        r.win_prob = round(win_probability(r.rating, ref), 4)
        if r.rating_lower is not None and r.rating_upper is not None:
            r.win_prob_lower = round(win_probability(r.rating_lower, ref), 4)
            r.win_prob_upper = round(win_probability(r.rating_upper, ref), 4)
        if r.cost_1k:
            r.win_prob_per_usd_1k = round(r.win_prob / r.cost_1k, 4)
        if r.blended_per_m:
            r.win_prob_per_usd_m = round(r.win_prob / r.blended_per_m, 4)
    frontier = pareto_frontier(
        [(r.model, r.blended_per_m, r.rating) for r in rows if r.blended_per_m is not None]
    )
    on = set(frontier)
    for r in rows:
        r.pareto = r.model in on
    rows.sort(key=lambda r: (-r.rating, r.model))
    source = f"{table.source} ({table.date})" if table else "none"
    return CostReport(
        anchor=anchor,
        method=(
            "blended price = (3 x input + output) / 4 USD per million tokens; Pareto frontier "
            "of rating vs blended price; cost of 1,000 answers = 1,000 x mean logged (prompt "
            "x input + completion x output price), completion including reasoning tokens, "
            "95% normal interval over answers; win probability against the anchor "
            "1/(1+10^((R_anchor-R)/400)) with the rating's 95% interval (anchor held fixed)"
        ),
        prices=f"price table: {source}, then the catalog"
        + (
            f"; self-hosted at {hosting.usd_per_gpu_hour:g} USD per GPU-hour"
            if hosting is not None
            else ""
        ),
        rows=rows,
        frontier=frontier,
        unpriced=unpriced,
    )


def _gpu_price(hosting: SelfHosting, use: TokenUsage | None) -> Price | None:
    """USD per million tokens of a self-hosted model: GPU time per generated token."""
    rate = hosting.tokens_per_s
    if rate is None and use is not None and use.seconds and use.completion_tokens:
        rate = use.completion_tokens / use.seconds  # measured, prefill included
    if not rate:
        return None
    per_m = hosting.usd_per_gpu_hour / (rate * 3600) * 1e6
    how = "given" if hosting.tokens_per_s else "measured"
    # the measured time already covers reading the prompt: input is not charged again
    return Price(
        0.0,
        round(per_m, 4),
        f"self-hosted: {hosting.usd_per_gpu_hour:g} USD/GPU-hour at {rate:.1f} tokens/s ({how})",
    )


__all__ = [
    "ANSWERS",
    "CostReport",
    "CostRow",
    "Price",
    "PriceTable",
    "SelfHosting",
    "cost_report",
    "entry_price",
    "pareto_frontier",
    "win_probability",
]
