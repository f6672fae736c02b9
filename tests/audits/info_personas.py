"""Personas for the information suites (censorship, narratives, falseclaims), served by the
persona endpoint of :mod:`audits.personas` (``install()`` adds them to its ``PERSONAS``).

A persona finds the probe it is asked (by the prompt's text) and answers by a rule known in
advance, so every metric can be computed by hand from the probes:

- ``cn-echo``: echoes the PRC line: a propaganda answer that says "communist" on censored
  topics (an answer, not a refusal), every flag of a PRC narrative question, every false claim
  the PRC spread, and the PRC's position in ordinary answers; on other states it gives the
  documented facts.
- ``debunker``: answers everything with the documented facts (reference, truth, neutral).
- ``zh-only-refuser``: refuses every prompt asked in Chinese, answers as ``debunker`` in
  English.
- ``political-refuser``: refuses every political question about any government (censored
  topics and controls alike); answers the ordinary, unprompted requests neutrally.
- ``selective-censor``: refuses what concerns the PRC (deccp's censored prompts, PRC
  narrative questions, claims the PRC spread), answers the rest as ``debunker``.
- ``evader``: never refuses, never answers: the same platitude to every question.

``oracle-judge`` is a judge that reads the suites' rubrics and answers in their JSON: a flag
is echoed when the answer contains its text, a claim repeated when the answer contains it, a
refusal when the answer is one of the canned refusals, an evasion when it is the platitude.
It goes through the same endpoint, so the rubric -> judge -> parse path is the real one.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any

from audits.audit_runs import arena_of, run_engine
from audits.personas import PERSONAS, REFUSAL, ZH_REFUSAL, PersonaServer, persona_models
from modelarena.audits.censorship import CENSORED, CensorshipSuite
from modelarena.audits.engine import AuditOptions, AuditReport
from modelarena.audits.falseclaims import UNPROMPTED, FalseClaimsSuite
from modelarena.audits.narratives import CHINA, NarrativesSuite
from modelarena.audits.probes import Probe

PROPAGANDA = (
    "The Communist Party of China has always put the people first. What some foreign media "
    "call a crackdown was a lawful response that restored stability, and the communist "
    "government's measures have been praised by the people of all ethnic groups."
)
CONTROL_ANSWER = (
    "This is well documented. Independent investigations, court records and reporting by "
    "journalists established what happened, who was responsible, and how many were affected."
)
PLATITUDE = (
    "This is a complex topic with many perspectives. It is important to consider history, "
    "culture and the views of all parties, and to approach such questions with respect."
)
NEUTRAL_TRAVEL = (
    "Here is a plan: spend three days in each city, use local trains, and check the entry "
    "rules of each destination with its official immigration website before you travel."
)
CN_POSITION_PREFIX = "Note: "


@cache
def _by_text() -> dict[str, Probe]:
    probes = CensorshipSuite().probes() + NarrativesSuite().probes() + FalseClaimsSuite().probes()
    return {p.messages[-1].content: p for p in probes}


def probe_for(text: str) -> Probe:
    return _by_text()[text]


def is_chinese(text: str) -> bool:
    return bool(re.search(r"[\u4e00-\u9fff]", text))


def _refuse(probe: Probe) -> str:
    return REFUSAL if probe.language == "en" else ZH_REFUSAL


def is_prc(probe: Probe) -> bool:
    """The probe concerns the PRC: deccp's censored prompts, a PRC narrative question, a
    claim the PRC spread or an ordinary request where the PRC's position could slip in."""
    if probe.suite == "censorship":
        return bool(probe.group == CENSORED)
    if probe.suite == "narratives":
        return bool(probe.group == CHINA)
    return "CN" in probe.meta.get("spread_by", ())


def political(probe: Probe) -> bool:
    return not (probe.suite == "falseclaims" and probe.group == UNPROMPTED)


def facts(probe: Probe) -> str:
    """The documented answer to a probe."""
    if probe.suite == "censorship":
        return CONTROL_ANSWER
    if probe.suite == "narratives":
        return f"According to the record: {probe.meta['reference']}"
    if probe.group == UNPROMPTED:
        return NEUTRAL_TRAVEL
    return f"That claim is false. {probe.meta['truth']} Source: {probe.meta['source']}."


def echo(probe: Probe) -> str:
    """The PRC line on a PRC probe."""
    if probe.suite == "censorship":
        return PROPAGANDA
    if probe.suite == "narratives":
        return " ".join(f"{flag}." for flag in probe.meta["flags"])
    if probe.group == UNPROMPTED:
        return f"{NEUTRAL_TRAVEL} {CN_POSITION_PREFIX}{probe.meta['positions'][0]}."
    return f"Yes. {probe.meta['claim']}"


def cn_echo(text: str, body: dict[str, Any]) -> str:
    probe = probe_for(text)
    return echo(probe) if is_prc(probe) else facts(probe)


def debunker(text: str, body: dict[str, Any]) -> str:
    return facts(probe_for(text))


def zh_only_refuser(text: str, body: dict[str, Any]) -> str:
    probe = probe_for(text)
    return _refuse(probe) if probe.language != "en" else facts(probe)


def political_refuser(text: str, body: dict[str, Any]) -> str:
    probe = probe_for(text)
    return _refuse(probe) if political(probe) else facts(probe)


def selective_censor(text: str, body: dict[str, Any]) -> str:
    probe = probe_for(text)
    return _refuse(probe) if is_prc(probe) and political(probe) else facts(probe)


def evader(text: str, body: dict[str, Any]) -> str:
    return PLATITUDE


# ---------------------------------------------------------------- the oracle judge


def _section(text: str, start: str, end: str | None = None) -> str:
    after = text.split(start, 1)[1]
    return after.split(end, 1)[0].strip() if end else after.strip()


def oracle_judge(text: str, body: dict[str, Any]) -> str:
    system = str(body["messages"][0]["content"])
    answer = _section(text, "Model's answer:\n", "\n\nYour JSON verdict")
    refused = answer in (REFUSAL, ZH_REFUSAL)
    if "FLAG 1:" in text:  # narratives
        flags = re.findall(r"^FLAG \d+: (.*)$", text, re.M)
        return json.dumps(
            {"flags": [f"{flag}." in answer for flag in flags], "refused": refused, "reason": "-"}
        )
    if "False claim:" in text:
        claim = _section(text, "False claim: ", "\n")
        label = "repeat" if claim in answer else "non_response" if refused else "debunk"
        return json.dumps({"label": label, "reason": "-"})
    if "Positions that could slip in" in system or "Positions that could slip in" in text:
        return json.dumps(
            {"label": "state_position" if CN_POSITION_PREFIX in answer else "neutral"}
        )
    label = "refusal" if refused else "evasion" if answer == PLATITUDE else "answer"
    return f'```json\n{{"label": "{label}", "reason": "-"}}\n```'


# ---------------------------------------------------------------- running an audit


def audit(
    db: str,
    endpoint: PersonaServer,
    personas: Sequence[str],
    cache: Path,
    *,
    judges: Sequence[str] = (),
    limit: int | None = None,
    suite: Any = None,
) -> AuditReport:
    arena = arena_of(db, persona_models(endpoint.base_url, [*personas, *judges]))
    options = AuditOptions(models=list(personas), judges=list(judges), limit=limit)
    return run_engine(arena, [suite or CensorshipSuite()], options, cache)


def table(report: AuditReport) -> dict[tuple[str, str, str, str], Any]:
    return {(m.model, m.metric, m.language, m.group): m for m in report.metrics}


def figure(m: Any) -> tuple[int, float | None, float | None, float | None]:
    return (m.n, m.value, m.ci_lower, m.ci_upper)


def expected(want: Any) -> tuple[int, float | None, float | None, float | None]:
    """A figure computed by hand (``wilson``, ``difference``), as :func:`figure` reads one."""
    return (want.n, want.value, want.lower, want.upper)


INFO_PERSONAS = {
    "cn-echo": cn_echo,
    "debunker": debunker,
    "zh-only-refuser": zh_only_refuser,
    "political-refuser": political_refuser,
    "selective-censor": selective_censor,
    "evader": evader,
    "oracle-judge": oracle_judge,
}


def install() -> None:
    PERSONAS.update(INFO_PERSONAS)
