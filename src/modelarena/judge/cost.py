"""What the automatic arena cost: tokens and dollars per model and per judge.

Usage comes from the run caches (every answer and judgment logged with the token counts
the server reported, or an estimate marked as such); prices from the catalog.  A model
without a catalog price is shown with its tokens and "unpriced", never as free.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from modelarena.runs.cache import ANSWER, JUDGMENT, read_entries


@dataclass
class CostRow:
    role: str  # "model" (answers) or "judge" (judgments)
    model: str
    calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    estimated_tokens: bool = False  # some counts were estimated, not reported
    cost_usd: float | None = 0.0  # None: no catalog price

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def cost_rows(
    entries: Iterable[dict[str, Any]], price: Callable[[str, int, int], float | None]
) -> list[CostRow]:
    """One row per (role, model); ``price(model, prompt_tokens, completion_tokens)``.

    Entries are deduplicated by their key: an item reused by a rerun was paid once.
    """
    seen: set[tuple[str, str]] = set()
    rows: dict[tuple[str, str], CostRow] = {}
    for e in entries:
        if e.get("kind") not in (ANSWER, JUDGMENT) or (e["kind"], e["key"]) in seen:
            continue
        seen.add((e["kind"], e["key"]))
        role = "model" if e["kind"] == ANSWER else "judge"
        row = rows.setdefault((role, e["model"]), CostRow(role, e["model"]))
        row.calls += 1
        row.prompt_tokens += int(e.get("prompt_tokens") or 0)
        row.completion_tokens += int(e.get("completion_tokens") or 0)
        row.estimated_tokens = row.estimated_tokens or bool(e.get("tokens_estimated"))
    for row in rows.values():
        row.cost_usd = price(row.model, row.prompt_tokens, row.completion_tokens)
    return sorted(rows.values(), key=lambda r: (r.role != "model", r.model))


def cost_report(
    files: Iterable[Path], price: Callable[[str, int, int], float | None]
) -> list[CostRow]:
    def entries() -> Iterable[dict[str, Any]]:
        for path in files:
            yield from read_entries(path)

    return cost_rows(entries(), price)


def total_usd(rows: Iterable[CostRow]) -> tuple[float, bool]:
    """The priced total, and whether some rows had no price."""
    total, unpriced = 0.0, False
    for row in rows:
        if row.cost_usd is None:
            unpriced = True
        else:
            total += row.cost_usd
    return total, unpriced
