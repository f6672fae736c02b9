"""The audit suites by name: ``arena audit run --suite a,b`` looks them up here.

A suite is named by the dotted path of its class (``module:Class``), imported only when it is
used, so listing the names costs nothing. One line per suite."""

from __future__ import annotations

import importlib

from modelarena.audits.probes import Suite

_SUITES: dict[str, str] = {
    "jailbreak": "modelarena.audits.jailbreak:JailbreakSuite",
    "hijack": "modelarena.audits.hijack:HijackSuite",
    "overrefusal": "modelarena.audits.overrefusal:OverrefusalSuite",
    "censorship": "modelarena.audits.censorship:CensorshipSuite",
    "narratives": "modelarena.audits.narratives:NarrativesSuite",
    "falseclaims": "modelarena.audits.falseclaims:FalseClaimsSuite",
}


class UnknownSuite(ValueError):
    """A suite name nobody registered."""


def suite_names() -> tuple[str, ...]:
    return tuple(_SUITES)


def get_suite(name: str) -> Suite:
    """A fresh instance of the suite called ``name`` with its default data."""
    target = _SUITES.get(name)
    if target is None:
        raise UnknownSuite(f"unknown suite {name!r} (known: {', '.join(suite_names())})")
    module_name, _, class_name = target.partition(":")
    suite: Suite = getattr(importlib.import_module(module_name), class_name)()
    return suite
