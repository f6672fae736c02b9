"""Design answers checked in a real browser (docs/designs.md).

Each design answer is rendered in headless Chromium in the sandbox voters see it in, and
measured: script and console errors, network attempts (blocked), overflow on a phone,
accessibility violations (axe-core), first paint, a screenshot. The checks are shown after
the vote, summarised per model, and used as covariates of style control for designs.
Playwright is an optional extra (``modelarena[browser]``), imported only when rendering.
"""

from modelarena.designs.browser import BrowserMissing, Limits, Measured, Renderer
from modelarena.designs.checker import (
    DESIGN_CATEGORIES,
    AnswerScreenshots,
    CheckRun,
    check,
    pending,
)
from modelarena.designs.report import ModelChecks, model_checks, summarise

__all__ = [
    "DESIGN_CATEGORIES",
    "AnswerScreenshots",
    "BrowserMissing",
    "CheckRun",
    "Limits",
    "Measured",
    "Renderer",
    "ModelChecks",
    "check",
    "model_checks",
    "pending",
    "summarise",
]
