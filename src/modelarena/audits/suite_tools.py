"""What suites share: their vendored data, a balanced slice of it, and figures with intervals."""

from __future__ import annotations

import hashlib
import random
from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from modelarena.audits.probes import Metric
from modelarena.ratings.proportions import bootstrap, wilson

DATA = Path(__file__).parent / "data"

T = TypeVar("T")


def data_file(*parts: str) -> Path:
    """A vendored data file (``audits/data/<set>/<file>``)."""
    return DATA.joinpath(*parts)


def version_hash(*paths: Path) -> str:
    """The dataset's version: a hash of its files' bytes."""
    digest = hashlib.sha256()
    for path in paths:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return "sha256:" + digest.hexdigest()[:16]


def text_version(*texts: str) -> str:
    digest = hashlib.sha256()
    for text in texts:
        digest.update(text.encode())
        digest.update(b"\0")
    return "sha256:" + digest.hexdigest()[:16]


def round_robin(
    items: Sequence[T], key: Callable[[T], Hashable], limit: int | None, seed: int = 0
) -> list[T]:
    """At most ``limit`` items, taken in turn from each ``key`` group (each group shuffled
    with ``seed``), so a small slice still covers every group; all items when no limit."""
    if limit is None or limit >= len(items):
        return list(items)
    groups: dict[Hashable, list[T]] = defaultdict(list)
    for item in items:
        groups[key(item)].append(item)
    rng = random.Random(seed)
    queues = []
    for name in groups:
        members = list(groups[name])
        rng.shuffle(members)
        queues.append(members)
    out: list[T] = []
    depth = 0
    while len(out) < limit:
        for queue in queues:
            if depth < len(queue) and len(out) < limit:
                out.append(queue[depth])
        depth += 1
    return out


def rate(
    model: str,
    suite: str,
    metric: str,
    outcomes: Iterable[bool | None],
    *,
    group: str = "",
    language: str = "",
) -> Metric:
    """The share of yes among the outcomes that are known (None is not counted), with its
    Wilson interval."""
    known = [o for o in outcomes if o is not None]
    fig = wilson(sum(known), len(known))
    return Metric(
        model, suite, metric, fig.n, fig.value, fig.lower, fig.upper, language, group, "Wilson"
    )


def mean_score(
    model: str,
    suite: str,
    metric: str,
    scores: Sequence[float | None],
    *,
    group: str = "",
    language: str = "",
    missing: str = "not available",
    seed: int = 0,
) -> Metric:
    """The mean of scores in [0, 1] with a seeded bootstrap percentile interval. A score that
    is missing (None) makes the mean unavailable: ``value`` None and ``method`` says why."""
    n = len(scores)
    if n == 0 or any(s is None for s in scores):
        return Metric(model, suite, metric, n, None, None, None, language, group, missing)
    values = np.asarray(scores, dtype=np.float64)
    lo, hi = bootstrap(lambda idx: float(values[idx].mean()), n, rounds=1000, seed=seed)
    return Metric(
        model,
        suite,
        metric,
        n,
        float(values.mean()),
        lo,
        hi,
        language,
        group,
        "bootstrap over answers",
    )


class PromptFileError(ValueError):
    """A prompt file a user brought that cannot be read; the message says how to fix it."""


def read_rows(path: Path) -> list[dict[str, str]]:
    """The rows of a prompt file a user brings: CSV (with a header), JSONL or a JSON list of
    objects, or plain text (one prompt a line, as column ``prompt``)."""
    import csv
    import json

    if not path.is_file():
        raise PromptFileError(f"no prompt file at {path}")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PromptFileError(f"cannot read {path} as UTF-8 text: {exc}") from exc
    suffix = path.suffix.lower()
    rows: list[Any]
    try:
        if suffix == ".csv":
            rows = list(csv.DictReader(text.splitlines()))
        elif suffix == ".jsonl":
            rows = [json.loads(line) for line in text.splitlines() if line.strip()]
        elif suffix == ".json":
            rows = json.loads(text)
        elif suffix in (".txt", ""):
            rows = [{"prompt": line.strip()} for line in text.splitlines() if line.strip()]
        else:
            raise PromptFileError(f"{path.name}: use a .csv, .jsonl, .json or .txt file of prompts")
    except (json.JSONDecodeError, csv.Error) as exc:
        raise PromptFileError(f"{path.name} is not valid {suffix[1:].upper()}: {exc}") from exc
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        raise PromptFileError(f"{path.name}: expected a list of objects with a 'prompt' field")
    out = [{str(k): "" if v is None else str(v) for k, v in r.items()} for r in rows]
    if not out:
        raise PromptFileError(f"{path.name} has no prompts")
    missing = [i + 1 for i, r in enumerate(out) if not r.get("prompt", "").strip()]
    if missing:
        raise PromptFileError(
            f"{path.name}: row {missing[0]} has no 'prompt' "
            f"({len(missing)} rows without one; columns: {', '.join(out[0])})"
        )
    return out
