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

import nh3
from markdown_it import MarkdownIt

# The design sandbox's document lives in battles/design_sandbox.py (the browser checks
# serve it too); re-exported here for the pages.
from modelarena.battles.design_sandbox import CUT_BEFORE_DOCUMENT as CUT_BEFORE_DOCUMENT
from modelarena.battles.design_sandbox import FRAME_TAGS as FRAME_TAGS
from modelarena.battles.design_sandbox import NO_DOCUMENT as NO_DOCUMENT
from modelarena.battles.design_sandbox import design_document as design_document
from modelarena.battles.design_sandbox import extract_design as extract_design

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
def design_url(battle_id: str, turn: int, side: str) -> str:
    """Where the sandbox frame loads one design answer from."""
    return f"/designs/{battle_id}/{turn}/{side}"
