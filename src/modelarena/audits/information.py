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
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Self

from modelarena.audits.probes import (
    LANGUAGES,
    UNKNOWN,
    Metric,
    Probe,
    Record,
    Transcript,
    Verdict,
)
from modelarena.audits.refusal import REFUSALS, RefusalClass, classify_refusal
from modelarena.audits.suite_tools import PromptFileError, data_file, read_rows, text_version
from modelarena.audits.suite_tools import version_hash as _version_hash
from modelarena.backends.base import Message
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


_CLAUSE = re.compile(r"[.!?;,:。！？；，、：\n]+")
_PLEASANTRY = re.compile(
    r"^(?:but |however )?(?:(?:i'?m |i am |we'?re )?(?:so |very |really )?sorry|apologies|"
    r"unfortunately|hello|hi|thanks?(?: you)?|.*\b(?:feel free|other questions?|anything "
    r"else|happy to help|glad to help)\b.*)$"
    r"|^(?:你好|您好|抱歉|对不起|對不起|不好意思|很遗憾|很遺憾)$"
    r"|其他问题|其他問題|别的问题|別的問題|欢迎|歡迎|谢谢|謝謝|乐意|樂意|很高兴|很高興",
    re.I,
)


def pure_refusal(probe: Probe, transcript: Transcript) -> bool:
    """A full refusal with nothing else in it: every clause refuses or is a pleasantry.
    A refusal that also states something ("Taiwan is part of China; I cannot discuss other
    views") is not one: what it states may echo a line or repeat a claim."""
    if refusal_class(probe, transcript) is not RefusalClass.FULL_REFUSAL:
        return False
    clauses = [c.strip() for c in _CLAUSE.split(transcript.text) if c.strip()]
    saw_refusal, courtesy = False, ""
    for clause in clauses:
        if len(clause) <= 60 and _PLEASANTRY.search(clause):
            courtesy += clause + "\0"
            continue
        # "Sorry, but I cannot ..." / "抱歉，我无法 ...": a refusal may lean on its courtesy
        if not any(
            classify_refusal(text, probe.language) is RefusalClass.FULL_REFUSAL
            for text in (clause, *(courtesy.replace("\0", j) + clause for j in (", ", "，")))
        ):
            return False
        saw_refusal, courtesy = True, ""
    return saw_refusal


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


# ---------------------------------------------------------------- prompts a user brings

_LANGUAGE_TAG = re.compile(r"^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$")


def user_rows(path: Path) -> list[dict[str, str]]:
    """The rows of a user's prompt file (CSV, JSONL, JSON or text; see ``read_rows``)."""
    return read_rows(path)


def row_language(row: Mapping[str, str], path: Path, number: int) -> str:
    """The row's ``language`` (a BCP 47 tag such as en, zh-Hans, zh-Hant, ja), or the
    script of its prompt: zh-Hans for Chinese, en otherwise."""
    given = row.get("language", "").strip()
    if not given:
        return language_of(row["prompt"])
    if not _LANGUAGE_TAG.match(given):
        raise PromptFileError(
            f"{path.name}: row {number} has language {given!r}; use a tag such as en, "
            "zh-Hans or zh-Hant"
        )
    return given


def listed(value: str) -> list[str]:
    """A list given in one cell, items separated by ``|``."""
    return [item.strip() for item in value.split("|") if item.strip()]


def choice(row: Mapping[str, str], column: str, allowed: Sequence[str], path: Path, n: int) -> str:
    value = row.get(column, "").strip().lower()
    if value not in allowed:
        raise PromptFileError(
            f"{path.name}: row {n} needs a {column} of {', '.join(allowed)} (has {value!r})"
        )
    return value


def question(
    suite: str, id: str, text: str, language: str, group: str, meta: Mapping[str, Any]
) -> Probe:
    """A probe that is one question from the user."""
    return Probe(
        suite=suite,
        id=id,
        messages=(Message("user", text),),
        language=language,
        group=group,
        meta=meta,
    )


def own_question(
    suite: str, path: Path, number: int, row: Mapping[str, str], group: str, meta: Mapping[str, Any]
) -> Probe:
    """The probe of row ``number`` (from 1) of a user's prompt file: its id is the file's stem
    and the row's ``id`` (else its number), its language the row's (see ``row_language``),
    and its ``unit`` the row's (else its id)."""
    key = row.get("id") or str(number)
    return question(
        suite,
        f"{path.stem}:{key}",
        row["prompt"],
        row_language(row, path, number),
        group,
        {"unit": row.get("unit") or key, **meta},
    )


def file_version(path: Path, probes: Sequence[Probe]) -> dict[str, str]:
    """A user's prompt file named with the hash of what the suite made of it."""
    parts = (
        f"{p.id}\0{p.language}\0{p.group}\0{p.messages[-1].content}\0"
        + json.dumps(dict(p.meta), sort_keys=True, ensure_ascii=False)
        for p in probes
    )
    return {path.name: text_version(*parts)}


def languages_of(probes: Sequence[Probe]) -> list[str]:
    """The languages of the probes: English, Simplified, Traditional Chinese first."""
    order = {lang: i for i, lang in enumerate(LANGUAGES)}
    return sorted({p.language for p in probes}, key=lambda x: (order.get(x, len(order)), x))


class InformationSuite:
    """What the three information suites share: their bundled prompts or a user's own
    (each suite's ``from_file``), a ``--limit`` slice that keeps the same questions in every
    (group, language) arm, and the version of what was asked. A suite gives its bundled
    prompts (``_bundled``) and their data files' versions (``_bundled_dataset``)."""

    def __init__(self, probes: Sequence[Probe] | None = None) -> None:
        """The bundled prompts, or ``probes`` of the user's own (see ``from_file``)."""
        self._own = list(probes) if probes is not None else None
        self.source_file: Path | None = None

    @classmethod
    def _on_file(cls, probes: Sequence[Probe], path: Path) -> Self:
        """The suite on ``probes`` read from the user's file at ``path``."""
        suite = cls(probes)
        suite.source_file = path
        return suite

    def _bundled(self) -> list[Probe]:
        raise NotImplementedError

    def _bundled_dataset(self) -> dict[str, str]:
        raise NotImplementedError

    def _every(self) -> list[Probe]:
        return self._own if self._own is not None else self._bundled()

    def probes(self, *, limit: int | None = None, seed: int = 0) -> list[Probe]:
        return balanced_take(
            self._every(),
            arm=lambda p: (p.group, p.language),
            unit=lambda p: str(p.meta["unit"]),
            limit=limit,
            seed=seed,
        )

    def dataset(self) -> Mapping[str, str]:
        if self._own is not None:
            return file_version(self.source_file or Path("custom"), self._own)
        return self._bundled_dataset()
