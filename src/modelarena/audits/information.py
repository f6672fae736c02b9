"""What the three information suites (:mod:`.censorship`, :mod:`.narratives`,
:mod:`.falseclaims`) share beyond :mod:`.suite_tools`: their bundled TOML and JSON Lines
data, a ``--limit`` that keeps the *same questions* in every arm (a question asked in several
languages or personas is one unit), a judge's JSON verdict read back, and a difference of two
rates with its interval.
"""

from __future__ import annotations

import hashlib
import json
import re
import tomllib
from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Sequence
from typing import Any

from modelarena.audits.probes import UNKNOWN, Metric, Probe, Record, Transcript, Verdict
from modelarena.audits.refusal import REFUSALS, RefusalClass, classify_refusal
from modelarena.audits.suite_tools import data_file
from modelarena.audits.suite_tools import version_hash as _version_hash
from modelarena.ratings.proportions import difference


def data_text(relative: str) -> str:
    """A bundled data file's text (``relative`` to ``modelarena/audits/data``)."""
    return data_file(*relative.split("/")).read_text(encoding="utf-8")


def data_toml(relative: str) -> dict[str, Any]:
    return tomllib.loads(data_text(relative))


def data_jsonl(relative: str) -> list[dict[str, Any]]:
    rows = []
    for number, line in enumerate(data_text(relative).splitlines(), 1):
        if line.strip():
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise ValueError(f"{relative} line {number}: not JSON ({exc.msg})") from exc
    return rows


def version_hash(*relatives: str) -> str:
    """The data files' version: a hash of their bytes."""
    return _version_hash(*(data_file(*r.split("/")) for r in relatives))


def balanced_take(
    probes: Sequence[Probe],
    *,
    arm: Callable[[Probe], Hashable],
    unit: Callable[[Probe], str],
    limit: int | None,
    seed: int,
) -> list[Probe]:
    """At most ``limit`` probes (at least one per arm), taken in turn from each arm so that
    every arm gets its share. Within an arm the order is a seeded shuffle of the *units*
    (a question asked in several languages or personas is one unit), the same in every arm,
    so a small limit still pairs the English and Chinese versions of the same questions."""
    if limit is None:
        return list(probes)
    if limit < 1:
        raise ValueError("--limit must be at least 1")
    arms: dict[Hashable, list[Probe]] = defaultdict(list)
    for probe in probes:
        arms[arm(probe)].append(probe)

    def key(probe: Probe) -> tuple[str, str]:
        salted = hashlib.sha256(f"{seed}:{unit(probe)}".encode()).hexdigest()
        return salted, probe.id

    queues = [sorted(members, key=key) for members in arms.values()]
    budget = max(limit, len(queues))
    taken: list[Probe] = []
    depth = 0
    while len(taken) < budget and any(depth < len(q) for q in queues):
        for queue in queues:
            if depth < len(queue) and len(taken) < budget:
                taken.append(queue[depth])
        depth += 1
    chosen = {p.id for p in taken}
    return [p for p in probes if p.id in chosen]  # the dataset's own order


_FENCE = re.compile(r"```(?:json)?\s*(\{.*?\})\s*```", re.S)


def read_json_verdict(text: str) -> dict[str, Any] | None:
    """The JSON object in a judge's answer (fenced or bare, the last one that parses);
    None when there is none."""
    candidates = [m.group(1) for m in _FENCE.finditer(text)]
    decoder = json.JSONDecoder()
    for start in [i for i, ch in enumerate(text) if ch == "{"]:
        try:
            obj, _ = decoder.raw_decode(text, start)
        except json.JSONDecodeError:
            continue
        if isinstance(obj, dict):
            candidates.append(json.dumps(obj))
    for candidate in reversed(candidates):
        try:
            obj = json.loads(candidate)
        except json.JSONDecodeError:
            continue
        if isinstance(obj, dict):
            return obj
    return None


def label_from(obj: dict[str, Any] | None, allowed: Iterable[str]) -> str:
    """``obj["label"]`` when it is one of ``allowed`` (case and spaces forgiven), else
    UNKNOWN."""
    if obj is None:
        return UNKNOWN
    raw = obj.get("label")
    if not isinstance(raw, str):
        return UNKNOWN
    label = raw.strip().lower().replace("-", "_").replace(" ", "_")
    return label if label in set(allowed) else UNKNOWN


def refusal_class(probe: Probe, transcript: Transcript) -> RefusalClass:
    return classify_refusal(transcript.text, probe.language)


def refused(probe: Probe, transcript: Transcript) -> bool:
    return refusal_class(probe, transcript) in REFUSALS


def failed(transcript: Transcript) -> Verdict | None:
    """The verdict of a call that failed (nothing to judge), else None."""
    if transcript.error is not None:
        return Verdict(UNKNOWN, detail={"reason": f"the call failed: {transcript.error}"})
    return None


def usable(records: Iterable[Record]) -> list[Record]:
    """Records with a readable verdict from an answer that came back."""
    return [r for r in records if r.transcript.error is None and r.verdict.label != UNKNOWN]


def diff(
    model: str,
    suite: str,
    metric: str,
    first: Sequence[bool],
    second: Sequence[bool],
    *,
    language: str = "",
    group: str = "",
) -> Metric:
    """The share of True in ``first`` minus that in ``second`` (different prompts, so
    independent), with Newcombe's hybrid score interval; n is both arms together."""
    fig = difference(sum(first), len(first), sum(second), len(second))
    return Metric(
        model,
        suite,
        metric,
        fig.n,
        fig.value,
        fig.lower,
        fig.upper,
        language,
        group,
        method=fig.method or "Newcombe",
    )


def language_of(text: str) -> str:
    """ "zh-Hans" when the text has Chinese characters (three or more: a Chinese prompt may
    name "Shadowsocks"), else "en"; for one-line prompt files without a language column."""
    cjk = sum(1 for ch in text if "\u3400" <= ch <= "\u9fff")
    return "zh-Hans" if cjk >= 3 else "en"
