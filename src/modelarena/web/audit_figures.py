"""One audit figure as the web shows it: the value with its 95% interval and n ("31%
(24-39%, n=120)"), differences in percentage points, scores as scores, a badge against the
published figures, and, when there is no value, why (never a number that looks safe)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from modelarena.audits.probes import LANGUAGES
from modelarena.audits.report import DIFFERENCES, SCORES
from modelarena.store.audit_results import AuditMetric
from modelarena.web.audit_bands import badge, percent

TOOLS_UNSUPPORTED = "tools_unsupported"  # the hijack suite's method of a rate it could not take
UNKNOWN = "unknown"  # the engine's row: the share of answers without a readable verdict
INTERVAL_METHODS = ("Wilson", "Newcombe", "bootstrap")  # a method name, not a reason

LABELS = {
    "compliance_plain": "complies, asked plainly",
    "compliance_attack": "complies under attack",
    "attack_uplift": "attack uplift",
    "attack_success_at_k": "attack success at k",
    "strongreject_score": "StrongREJECT score",
    "hijacked": "hijacked",
    "utility": "utility",
    "utility_under_attack": "utility under attack",
    "injection_seen": "injection seen",
    "tool_use": "used a tool",
    TOOLS_UNSUPPORTED: "tools unsupported",
    "full_refusal": "full refusal",
    "partial_refusal": "partial refusal",
    "compliance": "compliance",
    "refusal": "refusal",
    "evasion": "evasion",
    "selective_refusal_diff": "selective refusal",
    "language_gap": "language gap",
    "narrative_echo": "narrative echo",
    "narrative_echo_contested": "echo, contested",
    "echo_any": "echoes any flag",
    "fail_rate": "fail rate",
    "debunk_rate": "debunk rate",
    "repeat_rate": "repeat rate",
    "non_response_rate": "non-response rate",
    "fail_rate_diff": "fail rate difference",
    "unprompted_state_position": "unprompted state position",
    UNKNOWN: "unreadable verdicts",
}


def metric_label(metric: str) -> str:
    return LABELS.get(metric, metric.replace("_", " "))


def language_label(language: str) -> str:
    """``zh-Hans-en`` (a difference between languages) reads ``zh-Hans − en``."""
    for lang in LANGUAGES:
        if language.startswith(lang + "-") and language[len(lang) + 1 :] in LANGUAGES:
            return f"{lang} − {language[len(lang) + 1 :]}"
    return language


def kind_of(m: AuditMetric) -> str:
    if m.metric in SCORES:
        return "score"
    if (
        m.metric in DIFFERENCES
        or m.metric.endswith("_diff")
        or m.metric == "language_gap"
        or m.method.startswith("Newcombe")
    ):
        return "difference"
    return "share"


def _pp(x: float) -> str:
    v = x * 100
    if round(v, 1) == 0:
        return "0"
    text = f"{v:+.0f}" if abs(v) >= 10 or v == round(v) else f"{v:+.1f}"
    return text.replace("-", "−")


def na_reason(m: AuditMetric, unknown_share: float | None = None) -> str:
    """Why a figure has no value, in words."""
    if m.method == TOOLS_UNSUPPORTED:
        return (
            "this model or endpoint could not call tools, so it was not audited for "
            "hijacking: this is not a safe result"
        )
    if not m.method.startswith(INTERVAL_METHODS):
        return m.method  # the suite's own reason ("needs an LLM judge ...")
    if m.n == 0 and unknown_share is not None and unknown_share >= 1.0:
        return (
            "no answer had a readable verdict (every verdict unknown: the offline rules "
            "cannot judge this; run with an LLM judge)"
        )
    if m.n == 0:
        return "no answers counted (n = 0)"
    return "the figure is not defined for these answers"


def figure(
    m: AuditMetric | None, unknown_share: float | None = None, *, link: str | None = None
) -> dict[str, Any]:
    """One result as a cell: ``text`` (the value), ``sub`` (interval and n), ``full``
    ("31% (24-39%, n=120)"), ``state`` (value, na, unsupported or missing), ``why`` for
    n/a, the ``badge`` and ``sort`` (the value, None last)."""
    if m is None:
        return {"state": "missing", "text": "—", "sub": "", "full": "not audited",
                "why": "not audited", "badge": None, "sort": None, "link": None}  # fmt: skip
    base: dict[str, Any] = {"n": m.n, "group": m.group, "language": m.language, "link": link}
    if m.value is None:
        why = na_reason(m, unknown_share)
        unsupported = m.method == TOOLS_UNSUPPORTED
        text = "tools unsupported" if unsupported else "n/a"
        return base | {"state": "unsupported" if unsupported else "na", "text": text,
                       "sub": f"n={m.n}", "full": f"{text}: {why}", "why": why,
                       "badge": None, "sort": None}  # fmt: skip
    kind = kind_of(m)
    v, lo, hi = m.value, m.ci_lower, m.ci_upper
    if kind == "score":
        text = f"{v:.3f}"
        interval = f"{lo:.3f}–{hi:.3f}" if lo is not None and hi is not None else ""
    elif kind == "difference":
        text = f"{_pp(v)} pp"
        interval = f"{_pp(lo)} to {_pp(hi)} pp" if lo is not None and hi is not None else ""
    else:
        text = f"{percent(v)}%"
        interval = f"{percent(lo)}–{percent(hi)}%" if lo is not None and hi is not None else ""
    sub = f"{interval}, n={m.n}" if interval else f"n={m.n}, no interval"
    return base | {
        "state": "value",
        "text": text,
        "sub": sub,
        "full": f"{text} ({sub})",
        "why": "",
        "badge": badge(m),
        "sort": v,
    }


def unknown_share(rows: Iterable[AuditMetric]) -> float | None:
    return next((m.value for m in rows if m.metric == UNKNOWN and m.group == ""), None)


__all__ = [
    "LABELS",
    "TOOLS_UNSUPPORTED",
    "UNKNOWN",
    "figure",
    "kind_of",
    "language_label",
    "metric_label",
    "na_reason",
    "unknown_share",
]
