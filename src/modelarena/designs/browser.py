"""Render design documents in headless Chromium and measure them.

Each document is served to the browser with the exact headers and document of the web's
sandbox frames (:mod:`modelarena.battles.design_sandbox`: the no-network policy,
``sandbox allow-scripts``, ``Connection-Allowlist: ()``, Trusted Types, the guard script
first), through Playwright's request interception at a private address, so nothing listens
on a port. In a 390 x 844 viewport it measures:

- JavaScript errors (``pageerror``) and console errors (not counting the policy's own
  "Refused to ..." reports, which are network attempts);
- network attempts: requests that reached the browser's network layer (every one is
  answered "blocked" by the interception) plus the policy's violation reports for fetch
  directives (a request the policy stopped before it was made);
- overflow: ``scrollWidth`` of the document wider than the viewport;
- accessibility violations: axe-core (vendored, :file:`vendor/`) injected after load
  through the DevTools protocol (the page's policy does not apply to it), counted by impact;
- time to first render: ``first-contentful-paint`` from the Performance API;
- a PNG screenshot of the viewport.

Renders run in a bounded pool: ``workers`` pages at once in one browser, each in its own
context. A page that has not loaded within ``timeout_s`` (a script that loops forever
blocks its renderer), or whose measuring then takes more than ``MEASURE_BUDGET_S`` more (a
loop started after load), has its context closed, which ends its renderer, and is recorded
as ``timeout``; a renderer that dies (out of memory: V8's heap is capped with
``--max-old-space-size``) is recorded as ``crashed``. Playwright is imported here, lazily.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from modelarena.battles.design_sandbox import DESIGN_HEADERS

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
)
VIEWPORT = {"width": 390, "height": 844}  # a phone: overflow is measured at 390 px
DOCUMENT_URL = "https://design.check.invalid/document"  # never resolved: intercepted
SETTLE_S = 0.5  # after load, for timers and first animation frames to run
AXE_TIMEOUT_S = 10.0
# after load: settling, measuring, axe and the screenshot (a busy machine needs a few s)
MEASURE_BUDGET_S = 20.0
IMPACTS = ("critical", "serious", "moderate", "minor")
# directives whose violation means a request was attempted (not inline code or eval)
_FETCH_DIRECTIVES = frozenset(
    {
        "connect-src",
        "img-src",
        "font-src",
        "media-src",
        "frame-src",
        "child-src",
        "worker-src",
        "object-src",
        "manifest-src",
        "form-action",
        "base-uri",
        "script-src-elem",
        "style-src-elem",
        "prefetch-src",
        "default-src",
        "script-src",
        "style-src",
    }
)
# what Chromium logs when the sandbox (no allow-forms, no allow-popups) refuses a request
_SANDBOX_REFUSALS = ("Blocked form submission", "Blocked opening")
_MAX_MESSAGES = 5  # kept per kind, for the report
# Collects the policy's violation reports in the page, before the design's code runs.
_VIOLATION_PROBE = """
(() => {
  const seen = [];
  Object.defineProperty(window, "__designCheckViolations", {value: seen});
  window.addEventListener("securitypolicyviolation", (e) => {
    // the header's policy and the <meta> copy both report each refusal: keep the header's
    if (!String(e.originalPolicy).includes("sandbox")) return;
    seen.push({directive: e.effectiveDirective, blocked: String(e.blockedURI || "")});
  }, true);
})();
"""
_MEASURE = """
() => {
  const doc = document.documentElement;
  const paint = performance.getEntriesByName("first-contentful-paint")[0];
  return {
    scrollWidth: Math.max(doc ? doc.scrollWidth : 0, document.body ? document.body.scrollWidth : 0),
    viewportWidth: window.innerWidth,
    firstPaintMs: paint ? paint.startTime : null,
    violations: (window.__designCheckViolations || []).slice(0, 1000),
  };
}
"""
_AXE_RUN = (
    "axe.run(document, {resultTypes: ['violations']})"
    ".then(r => JSON.stringify(r.violations.map(v => ({id: v.id, impact: v.impact,"
    " nodes: v.nodes.length}))))"
)


class BrowserMissing(RuntimeError):
    """Playwright or Chromium is not installed; the message says how to install it."""


@dataclass(frozen=True)
class Limits:
    """What one render may use."""

    timeout_s: float = 15.0
    heap_mb: int = 256  # V8 old-space cap per renderer (--max-old-space-size)
    workers: int = 2


@dataclass
class Measured:
    """What rendering one document found (see the module's docstring for each figure)."""

    status: str  # ok | timeout | crashed | navigated (left itself: refused) | error
    js_errors: int = 0
    console_errors: int = 0
    network_attempts: int = 0
    overflow: bool | None = None
    scroll_width: int | None = None
    a11y: dict[str, int] = field(default_factory=dict)  # impact -> violated rules
    a11y_rules: list[str] = field(default_factory=list)
    first_paint_ms: float | None = None
    render_s: float = 0.0
    screenshot: bytes | None = None
    messages: dict[str, list[str]] = field(default_factory=dict)
    browser: str = ""

    def detail(self) -> str:
        return json.dumps({"messages": self.messages, "a11y_rules": self.a11y_rules})


@lru_cache(maxsize=1)
def axe_source() -> str:
    return (Path(__file__).parent / "vendor" / "axe.min.js").read_text("utf-8")


def chromium_path(path: str = CHROMIUM) -> str:
    if not Path(path).exists():
        raise BrowserMissing(
            f"Chromium is not installed at {path}: install it (apt-get install chromium) "
            "or pass --chromium PATH"
        )
    return path


class Renderer:
    """One headless Chromium and a pool of ``limits.workers`` pages, for many renders:

    async with Renderer(limits) as r:
        measured = await r.render(document)
    """

    def __init__(self, limits: Limits | None = None, *, chromium: str = CHROMIUM) -> None:
        self.limits = limits or Limits()
        self.chromium = chromium
        self._playwright: Any = None
        self._browser: Any = None
        self._gate = asyncio.Semaphore(max(1, self.limits.workers))

    async def __aenter__(self) -> Renderer:
        try:
            from playwright.async_api import async_playwright
        except ImportError as exc:
            raise BrowserMissing(
                "Playwright is not installed: pip install 'modelarena[browser]'"
            ) from exc
        path = chromium_path(self.chromium)
        args = [*CHROMIUM_ARGS, f"--js-flags=--max-old-space-size={self.limits.heap_mb}"]
        self._playwright = await async_playwright().start()
        try:
            self._browser = await self._playwright.chromium.launch(
                executable_path=path, headless=True, args=args
            )
        except BaseException:
            await self._playwright.stop()
            raise
        return self

    async def __aexit__(self, *exc: object) -> None:
        try:
            if self._browser is not None:
                await self._browser.close()
        finally:
            await self._playwright.stop()

    async def render(self, document: str) -> Measured:
        """Render and measure one document (waits for a free worker)."""
        if self._browser is None:
            raise RuntimeError("use the Renderer in 'async with'")
        async with self._gate:
            m = await _render_bounded(self._browser, document, self.limits)
        m.browser = self._browser.version
        return m


async def render_all(
    documents: Sequence[str],
    limits: Limits | None = None,
    *,
    chromium: str = CHROMIUM,
    on_done: Callable[[int, Measured], Awaitable[None] | None] | None = None,
) -> list[Measured]:
    """Render every document (``limits.workers`` at a time) and measure each one;
    ``on_done(index, measured)`` is called as each finishes (to store it, or advance a bar)."""
    results: list[Measured | None] = [None] * len(documents)
    async with Renderer(limits, chromium=chromium) as renderer:

        async def one(i: int) -> None:
            m = await renderer.render(documents[i])
            results[i] = m
            if on_done is not None:
                done = on_done(i, m)
                if done is not None:
                    await done

        await asyncio.gather(*(one(i) for i in range(len(documents))))
    return [r if r is not None else Measured("error") for r in results]


async def _render_bounded(browser: Any, document: str, limits: Limits) -> Measured:
    context = await browser.new_context(
        viewport=VIEWPORT, java_script_enabled=True, service_workers="block"
    )
    state = _State()
    started = time.monotonic()
    try:
        page = await context.new_page()
        task: asyncio.Future[Any] = asyncio.ensure_future(
            _render(context, page, document, state, limits)
        )
        crashed: asyncio.Future[Any] = asyncio.get_running_loop().create_future()

        def on_crash(_page: Any) -> None:
            if not crashed.done():
                crashed.set_result(True)

        page.on("crash", on_crash)
        done, _ = await asyncio.wait(
            {task, crashed},
            timeout=limits.timeout_s + MEASURE_BUDGET_S,
            return_when="FIRST_COMPLETED",
        )
        if crashed.done():  # out of memory, or killed: whatever the render task says
            task.cancel()
            measured = state.partial("crashed")
        elif task in done and task.exception() is None:
            measured = task.result()
        elif state.navigated:  # it left while being measured
            measured = state.partial("navigated")
        elif task in done and isinstance(task.exception(), _LoadTimeout):
            measured = state.partial("timeout")
        elif task in done:
            measured = state.partial("error")
            state.note("error", str(task.exception())[:300])
        else:
            task.cancel()
            measured = state.partial("timeout")
        measured.render_s = round(time.monotonic() - started, 3)
        return measured
    finally:
        # closing the context closes its page and ends its renderer, even one stuck in a
        # loop that never yields; bounded so a wedged browser cannot hang the pool
        with contextlib.suppress(Exception):
            await asyncio.wait_for(context.close(), timeout=10.0)


class _LoadTimeout(Exception):
    """The page did not finish loading within its time."""


class _State:
    """What the page's events have reported so far (a timed-out page keeps what it had)."""

    def __init__(self) -> None:
        self.js_errors = 0
        self.console_errors = 0
        self.requests = 0
        self.navigated = False
        self.messages: dict[str, list[str]] = {}

    def note(self, kind: str, text: str) -> None:
        kept = self.messages.setdefault(kind, [])
        if len(kept) < _MAX_MESSAGES:
            kept.append(text[:300])

    def partial(self, status: str, screenshot: bytes | None = None) -> Measured:
        return Measured(
            status,
            screenshot=screenshot,
            js_errors=self.js_errors,
            console_errors=self.console_errors,
            network_attempts=self.requests,
            messages=self.messages,
        )


async def _render(
    context: Any, page: Any, document: str, state: _State, limits: Limits
) -> Measured:
    async def route(r: Any) -> None:
        if r.request.url == DOCUMENT_URL and r.request.resource_type == "document":
            headers = {**DESIGN_HEADERS, "content-type": "text/html; charset=utf-8"}
            await r.fulfill(status=200, headers=headers, body=document)
            return
        state.requests += 1
        state.note("network", r.request.url[:200])
        await r.abort("blockedbyclient")

    def on_console(msg: Any) -> None:
        if msg.type != "error":
            return
        text = str(msg.text)
        if "Content Security Policy" in text or text.startswith("Failed to load resource"):
            return  # the sandbox's own refusals: counted as network attempts
        if text.startswith(_SANDBOX_REFUSALS):  # a form or a popup the sandbox refused
            state.requests += 1
            state.note("network", text)
            return
        state.console_errors += 1
        state.note("console", text)

    def on_error(err: Any) -> None:
        state.js_errors += 1
        state.note("js", str(err))

    def on_navigated(frame: Any) -> None:
        # location=, a link, a meta refresh: the sandbox refuses the connection and the
        # page is replaced by an error page, as it is in the voter's frame
        away = frame.url.split("#", 1)[0] != DOCUMENT_URL  # not a fragment of the page
        if frame == page.main_frame and away and not state.navigated:
            state.navigated = True
            state.requests += 1
            state.note("network", f"navigation away from the page (refused): {frame.url[:100]}")

    await context.route("**/*", route)
    page.on("console", on_console)
    page.on("pageerror", on_error)
    page.on("framenavigated", on_navigated)
    await page.add_init_script(_VIOLATION_PROBE)
    from playwright.async_api import TimeoutError as PlaywrightTimeout

    try:
        await page.goto(DOCUMENT_URL, wait_until="load", timeout=limits.timeout_s * 1000)
    except PlaywrightTimeout as exc:
        raise _LoadTimeout from exc
    await asyncio.sleep(SETTLE_S)
    if state.navigated:  # nothing of the design is left to measure: what voters see
        return state.partial("navigated", await page.screenshot(type="png"))
    measured = await page.evaluate(_MEASURE)
    violations = [
        v
        for v in measured["violations"]
        if v["directive"] in _FETCH_DIRECTIVES
        and v["blocked"]
        and v["blocked"] not in ("inline", "eval", "wasm-eval", "trusted-types-sink")
    ]
    for v in violations:
        state.note("network", f"{v['directive']}: {v['blocked'][:200]}")
    a11y, rules = await _axe(context, page)
    shot = await page.screenshot(type="png", full_page=False)
    viewport = int(measured["viewportWidth"] or VIEWPORT["width"])
    scroll = int(measured["scrollWidth"] or 0)
    return Measured(
        "ok",
        js_errors=state.js_errors,
        console_errors=state.console_errors,
        network_attempts=state.requests + len(violations),
        overflow=scroll > viewport,
        scroll_width=scroll,
        a11y=a11y,
        a11y_rules=rules,
        first_paint_ms=(
            round(float(measured["firstPaintMs"]), 1)
            if measured["firstPaintMs"] is not None
            else None
        ),
        screenshot=shot,
        messages=state.messages,
    )


async def _axe(context: Any, page: Any) -> tuple[dict[str, int], list[str]]:
    """Violated axe rules by impact. Injected through the DevTools protocol so that the
    page's policy (no eval, Trusted Types) does not stand in its way."""
    cdp = await context.new_cdp_session(page)
    try:
        await cdp.send("Runtime.evaluate", {"expression": axe_source()})
        out = await asyncio.wait_for(
            cdp.send(
                "Runtime.evaluate",
                {"expression": _AXE_RUN, "awaitPromise": True, "returnByValue": True},
            ),
            timeout=AXE_TIMEOUT_S,
        )
    finally:
        with contextlib.suppress(Exception):
            await cdp.detach()
    value = out.get("result", {}).get("value")
    if not isinstance(value, str):
        raise RuntimeError("axe-core did not run in the page")
    counts = dict.fromkeys(IMPACTS, 0)
    rules = []
    for v in json.loads(value):
        impact = v.get("impact") or "minor"
        counts[impact] = counts.get(impact, 0) + 1
        rules.append(f"{v['id']} ({impact}, {v['nodes']} nodes)")
    return counts, rules
