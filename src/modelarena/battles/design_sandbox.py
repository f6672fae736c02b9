"""The sandbox of a design answer: its document, its policy and its response headers.

One home for what the web's frames (``modelarena.web.designs``) and the browser checks
(``modelarena.designs``) both serve, so a design is checked in exactly the sandbox a voter
sees it in:

- ``extract_design``: the document in an answer (the first HTML-ish fenced block, or the
  answer from its first tag on);
- ``design_document``: that document with a Content-Security-Policy ``<meta>`` blocking
  every request and the design guard (``design-guard.js``: removes WebRTC, keeps nested
  frames out) first in its ``<head>``, and every start tag that would open a nested frame
  turned into text;
- ``DESIGN_CSP`` and ``DESIGN_HEADERS``: the policy and the headers it is served with
  (sandboxed, no request of any kind; docs/security.md "The design sandbox").
"""

from __future__ import annotations

import html
import re
from pathlib import Path

# The policy of every generated document, in its response header and again in a <meta>
# first in its head: no request of any kind, inline code only, and every HTML string a
# script hands to the DOM goes through the design guard's Trusted Types policy (the only
# one allowed), which keeps nested frames out.
DESIGN_CSP = (
    "default-src 'none'; script-src 'unsafe-inline'; "
    "style-src 'unsafe-inline'; img-src data: blob:; font-src data:; media-src data: blob:; "
    "connect-src 'none'; frame-src 'none'; child-src 'none'; worker-src 'none'; "
    "object-src 'none'; manifest-src 'none'; form-action 'none'; base-uri 'none'; "
    "require-trusted-types-for 'script'; trusted-types default"
)

# The response headers of a generated document (directives a <meta> cannot carry: the
# document is sandboxed even when opened on its own, and only our pages may frame it).
# ``Connection-Allowlist: ()`` (an empty list; Chromium) also refuses WebRTC's STUN and
# TURN servers, DNS and preconnects, in the document and every frame it could make.
DESIGN_HEADERS = {
    "content-security-policy": DESIGN_CSP + "; sandbox allow-scripts; frame-ancestors 'self'",
    "connection-allowlist": "()",
    "x-frame-options": "SAMEORIGIN",
    "cache-control": "no-store",
    "vary": "Cookie",
}

_FENCE = re.compile(
    r"^[ \t]*(`{3,}|~{3,})[ \t]*([\w+#.-]*)[^\n]*\n(.*?)(?:^[ \t]*\1[ \t]*$|\Z)", re.S | re.M
)
_DOCTYPE = re.compile(r"^\s*<!doctype[^>]*>", re.I)
_MARKUP_START = re.compile(r"<(?:!doctype|html|head|body|svg|div|canvas|style|script)\b", re.I)
_DESIGN_LANGS = ("html", "htm", "svg", "xml", "xhtml", "")


def extract_design(text: str) -> tuple[str, str]:
    """The document in a design answer, and its language (``html`` or ``svg``).

    The first fenced block in an HTML-ish language wins (an unclosed block at the end of a
    cut-off answer counts); failing that, the answer from its first tag on.
    """
    best: tuple[str, str] | None = None
    for m in _FENCE.finditer(text):
        lang = m.group(2).lower()
        body = m.group(3)
        if lang in _DESIGN_LANGS and _MARKUP_START.search(body):
            best = (body.strip(), "svg" if lang == "svg" or _looks_like_svg(body) else "html")
            break
    if best is None:
        m2 = _MARKUP_START.search(text)
        if m2 is None:
            return "", "html"
        body = text[m2.start() :]
        best = (body.strip(), "svg" if _looks_like_svg(body) else "html")
    return best


def _looks_like_svg(body: str) -> bool:
    head = body.lstrip()[:300].lower()
    return head.startswith("<svg") or (head.startswith("<?xml") and "<svg" in head)


_CSP_ATTR = html.escape(DESIGN_CSP, quote=False).replace('"', "&quot;")
# The guard runs ahead of the model's code (see the file for what it does and why).
# Elements that make a nested browsing context: a second realm, with fresh WebRTC
# constructors. (<frame> only makes one inside a <frameset>; the guard refuses it too.)
FRAME_TAGS = ("iframe", "frameset", "object", "embed", "portal", "fencedframe")
# Tag names take no character references, so "<" + name + (whitespace, "/" or ">") is the
# only spelling of such a start tag an HTML parser accepts: "<" becomes "&lt;", the tag
# text. The guard applies the same rule to every HTML string handed to the DOM at run time.
_FRAME_TAG = re.compile(r"<(?=(?:" + "|".join(FRAME_TAGS) + r")[\t\n\f\r />])", re.I)
_GUARD = (
    (Path(__file__).parent / "design-guard.js")
    .read_text("utf-8")
    .replace("__FRAME_TAGS__", "|".join(FRAME_TAGS))
)

NO_DOCUMENT = "No document in this answer."
CUT_BEFORE_DOCUMENT = (
    "This answer was cut at its length limit before its document began, so there is "
    "nothing to show."
)


def design_document(code: str, lang: str = "html", *, empty: str = NO_DOCUMENT) -> str:
    """The full document for the sandbox, with the no-network policy and the guard first in
    its head (``empty``: what an empty one says)."""
    meta = (
        '<meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP_ATTR}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="referrer" content="no-referrer">'
        f"<script>{_GUARD}</script>"
    )
    code = _FRAME_TAG.sub("&lt;", code)
    if not code.strip():
        body = (
            '<body style="font:14px system-ui;color:#888;display:grid;place-items:center;'
            f'height:90vh;margin:0">{html.escape(empty)}</body>'
        )
        return f"<!DOCTYPE html><html><head>{meta}</head>{body}</html>"
    if lang == "svg":
        code = re.sub(r"^\s*<\?xml[^>]*\?>", "", code)
        return (
            f"<!DOCTYPE html><html><head>{meta}<style>html,body{{margin:0;height:100%}}"
            "body{display:grid;place-items:center}svg{max-width:100%;max-height:100vh}"
            f"</style></head><body>{code}</body></html>"
        )
    # Our head comes first; the parser folds the answer's own <html>/<head> into it.
    return f"<!DOCTYPE html><html><head>{meta}</head>{_DOCTYPE.sub('', code, count=1)}"


def answer_document(content: str, *, cut: bool = False) -> str:
    """The sandbox document of one design answer's text, as the frames serve it."""
    code, lang = extract_design(content)
    return design_document(code, lang, empty=CUT_BEFORE_DOCUMENT if cut else NO_DOCUMENT)
