"""Turning untrusted model output into something safe to show.

- Chat answers: Markdown rendered by markdown-it-py with raw HTML *disabled* (a ``<script>``
  in an answer becomes visible text), code highlighted by a tiny tokenizer, and the result
  sanitised again by nh3 (an allow-list of tags and attributes), so no path from model
  output to the page can carry a script or an event handler.
- Design answers: the document is taken from the fenced code block; a Content-Security-Policy
  ``<meta>`` that blocks every request and the design guard (a script that removes WebRTC and
  keeps nested frames out) are put first in its ``<head>``, and every start tag that would
  open a nested frame is turned into text. Each document has its own address
  (``design_url``, served by :mod:`modelarena.web.designs` with the policy headers of
  ``DESIGN_HEADERS``), shown in ``<iframe sandbox="allow-scripts" src>`` (never
  ``allow-same-origin``).
"""

from __future__ import annotations

import html
import re
from functools import lru_cache
from pathlib import Path

import nh3
from markdown_it import MarkdownIt

from modelarena.web.security import DESIGN_CSP

# ------------------------------------------------------------------ highlighting
_KEYWORDS = frozenset(
    [
        "and",
        "as",
        "assert",
        "async",
        "await",
        "break",
        "case",
        "catch",
        "class",
        "const",
        "continue",
        "def",
        "default",
        "del",
        "do",
        "elif",
        "else",
        "enum",
        "except",
        "export",
        "extends",
        "false",
        "False",
        "finally",
        "fn",
        "for",
        "from",
        "func",
        "function",
        "go",
        "if",
        "impl",
        "import",
        "in",
        "interface",
        "is",
        "lambda",
        "let",
        "loop",
        "match",
        "mod",
        "mut",
        "new",
        "nil",
        "None",
        "not",
        "null",
        "or",
        "pass",
        "pub",
        "raise",
        "return",
        "self",
        "static",
        "struct",
        "super",
        "switch",
        "this",
        "throw",
        "true",
        "True",
        "try",
        "type",
        "typeof",
        "use",
        "var",
        "void",
        "while",
        "with",
        "yield",
        "select",
        "from",
        "where",
        "insert",
        "update",
        "delete",
        "create",
        "table",
    ]
)
_TOKEN = re.compile(
    r"""(?P<comment>\#[^\n]*|//[^\n]*|/\*.*?\*/|<!--.*?-->)
      |(?P<string>"(?:\\.|[^"\\\n])*"|'(?:\\.|[^'\\\n])*'|`(?:\\.|[^`\\])*`)
      |(?P<number>\b\d+(?:\.\d+)?\b)
      |(?P<word>[A-Za-z_][A-Za-z0-9_]*)
      |(?P<tag></?[A-Za-z][A-Za-z0-9-]*)
    """,
    re.X | re.S,
)
_HASH_COMMENT_LANGS = frozenset(
    {
        "python",
        "py",
        "sh",
        "bash",
        "shell",
        "ruby",
        "rb",
        "yaml",
        "yml",
        "toml",
        "r",
        "perl",
        "make",
        "makefile",
        "dockerfile",
    }
)


def highlight(code: str, lang: str = "") -> str:
    """Escaped HTML with ``<span class="hl-...">`` around keywords, strings, comments..."""
    hash_comments = lang.lower() in _HASH_COMMENT_LANGS
    out: list[str] = []
    pos = 0
    for m in _TOKEN.finditer(code):
        kind = m.lastgroup or ""
        text = m.group(0)
        if kind == "comment" and text.startswith("#") and not hash_comments:
            continue  # '#' is a selector or a colour outside hash-comment languages
        if kind == "word" and text not in _KEYWORDS:
            continue
        out.append(html.escape(code[pos : m.start()], quote=False))
        css = {"comment": "c", "string": "s", "number": "n", "word": "k", "tag": "t"}[kind]
        out.append(f'<span class="hl-{css}">{html.escape(text, quote=False)}</span>')
        pos = m.end()
    out.append(html.escape(code[pos:], quote=False))
    return "".join(out)


def _md_highlight(code: str, lang: str, _attrs: str) -> str:
    return highlight(code, lang)


@lru_cache(maxsize=1)
def _markdown() -> MarkdownIt:
    # "js-default" has html=False: raw HTML in an answer is escaped, shown as text.
    md = MarkdownIt(
        "js-default",
        {"html": False, "linkify": False, "typographer": False, "highlight": _md_highlight},
    )
    md.enable("table").enable("strikethrough")
    return md


_ALLOWED_TAGS = {
    "p",
    "br",
    "hr",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "strong",
    "em",
    "b",
    "i",
    "del",
    "s",
    "code",
    "pre",
    "blockquote",
    "ul",
    "ol",
    "li",
    "a",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "span",
    "sup",
    "sub",
}
_ALLOWED_ATTRS = {
    "a": {"href", "title"},
    "span": {"class"},
    "code": {"class"},
    "ol": {"start"},
    "th": {"style"},
    "td": {"style"},
}


def _filter_attr(tag: str, attr: str, value: str) -> str | None:
    if attr == "class":
        keep = [c for c in value.split() if c.startswith(("hl-", "language-"))]
        return " ".join(keep) or None
    if attr == "style":
        return value if re.fullmatch(r"text-align:\s*(left|right|center)", value) else None
    return value


def sanitize(fragment: str) -> str:
    return nh3.clean(
        fragment,
        tags=_ALLOWED_TAGS,
        attributes=_ALLOWED_ATTRS,
        attribute_filter=_filter_attr,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )


def render_markdown(text: str) -> str:
    """Safe HTML for a chat answer."""
    return sanitize(_markdown().render(text))


# ------------------------------------------------------------------------ designs
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
    (Path(__file__).parent / "static" / "design-guard.js")
    .read_text("utf-8")
    .replace("__FRAME_TAGS__", "|".join(FRAME_TAGS))
)


def design_url(battle_id: str, turn: int, side: str) -> str:
    """Where the sandbox frame loads one design answer from."""
    return f"/designs/{battle_id}/{turn}/{side}"


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
