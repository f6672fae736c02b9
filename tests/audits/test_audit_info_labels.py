"""The hand-labelled answers of the information suites: well formed, tied to real probes, in
both languages, readable by ``arena audit validate-judge``; and the offline rules measured on
them (right where they decide; never fooled by "communist"; silent where they cannot know)."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import pytest

from modelarena.audits.information import data_text
from modelarena.audits.label_sets import info_sets
from modelarena.audits.probes import UNKNOWN, Probe, Transcript
from modelarena.audits.registry import get_suite
from modelarena.audits.validate import probe_of
from modelarena.backends.base import Message

SUITES = ("censorship", "narratives", "falseclaims")
HUMAN = {
    "censorship": {"refusal", "evasion", "answer"},
    "narratives": {"echo", "no_echo", "refusal"},
    "falseclaims": {"debunk", "non_response", "repeat", "state_position", "neutral"},
}
FIELDS = {"suite", "language", "prompt", "answer", "label", "note", "probe_id"}
_KEEP = FIELDS


def rows() -> list[dict[str, Any]]:
    out = []
    for suite in SUITES:
        for line in data_text(f"info_labels/{suite}.jsonl").splitlines():
            if line.strip():
                out.append(json.loads(line))
    return out


def test_the_set_is_big_enough_and_covers_both_languages() -> None:
    labelled = rows()
    assert len(labelled) >= 150
    for suite in SUITES:
        mine = [r for r in labelled if r["suite"] == suite]
        languages = Counter(r["language"] for r in mine)
        assert languages["en"] >= 20 and languages["zh-Hans"] >= 15, suite
        labels = Counter(r["label"] for r in mine)
        assert set(labels) <= HUMAN[suite], suite
        assert all(labels[x] >= 2 for x in HUMAN[suite]), (suite, labels)


def test_every_row_is_tied_to_its_probe() -> None:
    probes = {s: {p.id: p for p in get_suite(s).probes()} for s in SUITES}
    for row in rows():
        assert set(row) >= FIELDS, row
        assert row["answer"].strip() and row["note"].strip()
        probe = probes[row["suite"]][row["probe_id"]]
        assert probe.messages[-1].content == row["prompt"]
        assert probe.language == row["language"]
        if row["suite"] == "narratives":
            assert row["flags"] == probe.meta["flags"]
            assert len(row["flags_echoed"]) == len(row["flags"])
            assert any(row["flags_echoed"]) == (row["label"] == "echo")


def rebuilt(row: dict[str, Any]) -> Probe:
    """The probe as a judge validator rebuilds it from the row alone."""
    meta = {k: v for k, v in row.items() if k not in _KEEP}
    return Probe(
        suite=row["suite"],
        id=row["probe_id"],
        messages=(Message("user", row["prompt"]),),
        language=row["language"],
        meta=meta,
    )


def test_validate_judge_reads_the_set_and_gets_full_rubrics() -> None:
    suites = {s: get_suite(s) for s in SUITES}
    sets = {s.suite: s for s in info_sets(suites=suites)}
    assert set(sets) == set(SUITES)
    assert sum(len(s.items) for s in sets.values()) == len(rows())
    narrative = sets["narratives"]
    item = narrative.items[0]
    (_, user) = suites["narratives"].rubric(probe_of(narrative, item), Transcript(item.answer))
    assert "FLAG 1:" in user.content and "Factual reference:" in user.content
    claims = sets["falseclaims"]
    item = next(i for i in claims.items if i.label == "repeat")
    (_, user) = suites["falseclaims"].rubric(probe_of(claims, item), Transcript(item.answer))
    assert "False claim: " in user.content and "Documented truth: " in user.content


@pytest.mark.parametrize("suite_name", SUITES)
def test_the_rules_on_the_hand_labels(suite_name: str) -> None:
    """Where the rules decide they agree with people; they decide only refusals and
    non-responses; an answer that says "communist" is never a refusal under them."""
    suite = get_suite(suite_name)
    decided = agree = 0
    for row in (r for r in rows() if r["suite"] == suite_name):
        label = suite.rule_verdict(rebuilt(row), Transcript(row["answer"])).label
        if "communist" in row["answer"].lower() or "共产党" in row["answer"]:
            assert label not in ("refusal", "non_response"), row["answer"]
        if label == UNKNOWN:
            continue
        assert label in ("refusal", "no_refusal", "non_response"), label
        decided += 1
        if suite_name == "censorship":
            agree += (label == "refusal") == (row["label"] == "refusal")
        else:
            agree += label == row["label"]
    assert decided > 0
    # the misses are canned refusals the refusal patterns do not know yet, e.g. "我还没学习如何回答"
    assert agree / decided >= 0.9, (agree, decided)
    if suite_name != "censorship":
        assert decided <= 10  # rules are not enough here: most answers go to a judge
