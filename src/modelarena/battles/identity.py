"""The identity filter: an answer that says which model wrote it gives the battle away.

A battle whose answer identifies its author keeps its votes, stored with reason
``identity_leak`` and not counted. What counts as identifying:

- A *self-identification*: the answer names a model, a model family or a lab in a sentence
  about the answerer - "I am Claude", "I'm an AI assistant made by Meta", "As GPT-4, I",
  "My creators at Google", "Anthropic trained me", "我是通义千问，由阿里云开发", "作为千问，我",
  "我的开发者是深度求索", a signature line "- Claude".
- The same in disguise: the text is read through :func:`modelarena.battles.textfold.fold`
  (full-width, zero-width, accents and Cyrillic or Greek look-alikes undone), names match
  with or without separators ("GPT4", "gpt 4"), and spelled-out names ("C l a u d e") are
  joined up.

What does not: a name in the third person ("Google's public DNS is 8.8.8.8", "compare
Llama 3 and Qwen 2.5"), and a self-identification the prompt asked for - the prompt names
that lab or model and asks for a voice, a quote or a text ("pretend you are Claude",
"translate 'I am Qwen'", "write a dialogue where Llama says...").

The names come from the catalog (every lab and the first word of every display name, see
``catalog/models.toml``) and ``catalog/identity_names.toml`` (Chinese names, assistants,
short forms); the arena adds its configured contestants' names. Precision and recall on a
labelled set: ``benchmarks/identity_filter.py`` and ``docs/security.md``.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from modelarena.battles.textfold import fold
from modelarena.catalog import Catalog, load_catalog

_SEP = r"[\s\-_.]*"  # between the words of a name: "GPT-4", "gpt 4", "GPT4"
_VERSION = r"[a-z]{0,2}\d[a-z0-9]*(?:\.\d+[a-z0-9]*)*"  # "4o", "3.5", "v3", "72b", "8x7b"


@dataclass(frozen=True)
class Name:
    """One way to name a lab or a model: folded text, and the lab it stands for."""

    text: str
    lab: str
    needs_version: bool = False


# ----------------------------------------------------------------- the names
@dataclass(frozen=True)
class _NamesFile:
    needs_version: frozenset[str]
    labs: dict[str, tuple[str, ...]]


@lru_cache(maxsize=1)
def _names_file() -> _NamesFile:
    raw = resources.files("modelarena.catalog").joinpath("identity_names.toml").read_text("utf-8")
    data = tomllib.loads(raw)
    return _NamesFile(
        frozenset(fold(w) for w in data.get("needs_version", ())),
        {lab: tuple(v.get("names", ())) for lab, v in data.get("labs", {}).items()},
    )


def _lab_forms(lab: str) -> set[str]:
    """The forms of a lab's name: "Zhipu AI (Z.ai)" -> itself, "Zhipu AI", "Z.ai", "Zhipu"."""
    forms = {lab}
    for part in re.split(r"\s*/\s*|\s*[()]\s*", lab):
        if part:
            forms.add(part)
            short = re.fullmatch(r"(\S{3,}) (?:AI|Labs)", part)
            if short:
                forms.add(short.group(1))
    return forms


def _family(display_name: str) -> str:
    """The family of a display name: its first word without version digits."""
    first = re.split(r"[\s\-]", display_name.strip(), maxsplit=1)[0]
    return re.sub(r"[\d.]+$", "", first) or first


def catalog_names(catalog: Catalog) -> list[Name]:
    """Every lab and model family of the catalog: the lab names and the first word of each
    display name ("Claude" from "Claude 3.5 Sonnet")."""
    needs_version = _names_file().needs_version
    out: list[Name] = []
    for entry in catalog:
        out.extend(Name(fold(form), entry.lab) for form in _lab_forms(entry.lab))
        family = fold(_family(entry.display_name))
        out.append(Name(family, entry.lab, family in needs_version or len(family) < 2))
    return out


def listed_names() -> list[Name]:
    """The names ``catalog/identity_names.toml`` adds: Chinese names, assistants, short forms,
    labs not in the catalog."""
    data = _names_file()
    out: list[Name] = []
    for lab, names in data.labs.items():
        out.extend(Name(fold(form), lab) for form in _lab_forms(lab))
        out.extend(Name(fold(n), lab, fold(n) in data.needs_version) for n in names)
    return out


def _tail_words(catalog: Catalog) -> set[str]:
    """Words that follow a family in display names ("sonnet", "turbo", "instruct")."""
    words: set[str] = set()
    for entry in catalog:
        for word in re.findall(r"[^\W\d_]{2,}", fold(entry.display_name))[1:]:
            words.add(word)
    return words


# ---------------------------------------------------- sentences about oneself
_FILL = (
    r"(?:a|an|the|just|actually|really|indeed|simply|proudly|called|named|your|friendly|"
    r"helpful|ai|assistant|model|language|large|chatbot|chat|bot|version|of|latest|new|newest|"
    r"based|on|top|built|powered|running|run|by|developed|created|trained|made|designed|"
    r"fine-tuned|finetuned|pre-trained|pretrained|from|part|member|one|instance|variant|open|"
    r"source|open-source|open-weight|multimodal|conversational|virtual|digital|family|series|"
    r"originally|currently|known|as|specifically|llm|system|program|product|and|in|with|to|"
    r"released|launched|deployed|hosted|served|provided|which|that|was|is|been|being|"
    r"harmless|honest|safe|smart|intelligent|capable|powerful|advanced|general-purpose|"
    r"software|owned|operated|maintained|"
    r"knowledgeable|reliable|useful|trustworthy|ethical|creative|sophisticated|"
    r"brought\s+to\s+you|(?:team|researchers|engineers|folks|people|scientists)\s+at)"
)
_TAIL_FILL = rf"(?:[\s,]+{_FILL}){{0,8}}[\s,:\"'“]+\Z"
_I = (
    r"\b(?:i\s*am|i\s*'m|i\s*’m|im|i\s+was|i\s+have\s+been|i\s*'ve\s+been|i\s+come|i\s+run|"
    r"i\s+belong)"
)
_EN_LEFT = [
    re.compile(_I + _TAIL_FILL),
    re.compile(
        r"\b(?:my\s+name(?:\s+is|\s*'s|\s*’s)|call\s+me|i\s+go\s+by|"
        r"(?:you(?:\s*'re|\s*’re|\s+are)|this\s+(?:conversation|chat)\s+is)\s+"
        r"(?:(?:talking|chatting|speaking)\s+)?(?:to|with)|you(?:\s*'ve|\s*’ve|\s+have)\s+reached)"
        + _TAIL_FILL
    ),
    re.compile(
        r"\b(?:made|created|built|trained|developed|designed)\s+me"
        r"(?:[\s,:]+(?:is|are|was|were|at|from|the|a|an|team|company|lab|called|named))*[\s,:]+\Z"
    ),
    re.compile(r"\bit\s*(?:'s|’s|\s+is)\s+(?:just\s+)?me[\s,:\-—]+\Z"),
    # "(Summary by Claude.)", "This response was generated by Gemini"
    re.compile(
        r"(?:^|\n|\(|#|//|\bthis\s+)\s*(?:(?:summary|answer|response|reply|output|message|"
        r"text|translation|poem|story|essay|code)\s+(?:(?:was|is|has\s+been)\s+)?"
        r"(?:(?:generated|written|produced|created|composed|provided)\s+)?"
        r"|(?:generated|written|produced|created|composed|provided)\s+)by\s+\Z"
    ),
    re.compile(
        r"\bmy\s+(?:creators?|developers?|makers?|trainers?|parent\s+company|company|team|"
        r"authors?|designers?|builders?)(?:[\s,:\-]+(?:at|is|are|was|were|from|the|team))*"
        r"[\s,:\-]+\Z"
    ),
]
# "Hello! This is Copilot", "Hi, Claude here": after a greeting (across its "!")
_GREETING = r"(?:\b(?:hi|hello|hey|greetings)\b[\s!,.]*(?:there[\s!,.]*)?)"
_EN_GREETING = re.compile(_GREETING + r"(?:this\s+is|it\s*'s|it’s|it\s+is)\s+\Z")
_EN_HERE_LEFT = re.compile(r"(?:^|" + _GREETING + r")\s*(?:just|only)?\s*\Z")
_EN_HERE_RIGHT = re.compile(
    r"\s*,?\s+(?:here|signing\s+off|at\s+your\s+service|speaking|reporting(?:\s+for\s+duty)?)"
    r"\s*(?:[,!.:;—-]|\Z|\s+(?:to|ready|at|and)\b)"
)
# "Yep, this is ChatGPT!", "This is Gemini speaking.": "this is" opening a clause that ends
_EN_THIS = re.compile(r"(?:^|\b(?:yes|yep|yeah|sure|correct|indeed)\b[\s,!]*)this\s+is\s+\Z")
_EN_THIS_RIGHT = re.compile(r"\s*(?:[!.]|\Z|\s+speaking\b)")
# "As Claude, I ..." / "Trained by Google, I ...": the left part, then the right part
_EN_AS = re.compile(
    r"(?:\bas|(?:^|[\s,])(?:made|created|built|trained|developed|designed))" + _TAIL_FILL
)
_EN_AS_RIGHT = re.compile(
    r"(?:-(?:built|made|trained|developed|created|designed|based|powered))?"
    r"(?:\s+(?:myself|itself|model|assistant|ai|system|chatbot|llm|language\s+model))*"
    r"\s*,?\s*(?:i|i'm|i’m|i'd|i've|i'll|my|me)\b"
)
_EN_RIGHT = [
    re.compile(
        r"(?:\s+\w+){0,2}?\s+(?:created|made|built|trained|developed|designed|programmed)\s+me\b"
    ),
    re.compile(r"\s+is\s+my\s+name\b"),
]
_ZH_LEFT = [
    re.compile(
        r"我(?:是|叫|名叫|名为|就是|乃是|的名字(?:是|叫)|自称|来自|由|被|是基于|基于|源自|依托|"
        r"采用了?|用的是|使用的是|底层(?:模型)?是)"
        r"(?!说|指|想|觉得|认为|否|不)[^,;:。!?\n在]{0,16}\Z"
    ),
    re.compile(r"我[^。!?\n]{0,40}?(?:由|被)\s*\Z"),
    re.compile(
        r"我的(?:开发者|创造者|创建者|开发商|制造者|研发团队|开发团队|公司|母公司|训练者|开发公司|"
        r"研发公司|所属公司|东家|老板|底层模型|基础模型|基座模型|模型|底座)"
        r"(?:是|为|:|,)?\s*\Z"
    ),
    re.compile(r"(?:叫我|称呼我为?|称我为?)\s*\Z"),
    re.compile(r"(?:^|你好|您好|嗨)[\s,!.]*这里是\s*\Z"),
    re.compile(r"(?:开发|训练|创造|打造|创建|研发)我的(?:是|为)\s*\Z"),
    re.compile(r"本(?:模型|助手|ai|系统|机器人)(?:是|由|叫|名为|为)[^,。!?\n]{0,12}\Z"),
]
_ZH_AS = re.compile(r"作为\s*(?:一个|一款|一名)?[^,。!?\n]{0,12}\Z")
_ZH_AS_RIGHT = re.compile(r"[^,。!?\n]{0,12},\s*我")
_ZH_RIGHT = [
    re.compile(r"\s*(?:是|就是)我的名字"),
    re.compile(r"\s*(?:公司|团队)?\s*(?:开发|训练|创造|打造|创建|研发)了我"),
    re.compile(r"\s*(?:公司|团队)?\s*(?:做|开发|训练|创造|打造|创建|研发)的我"),
]
# "I am a Google engineer" is not about a model: after an article, the name must be
# followed by a word for an AI, or end the clause
_ARTICLE = re.compile(r"(?:\b(?:a|an)|一名|一个|一位|一款|这里是)\s*\Z")
_AI_NOUN = re.compile(
    r"[\s\-]*(?:ai\b|a\.i\.|models?\b|assistant|chatbot|bot\b|llm|language|system|product|"
    r"creation|based|powered|family|series|variant|version|release|\d|的|模型|大模型|助手|人工智能|"
    r"机器人|系统|产品)|\s*(?:[,.!?;:)]|\Z)"
)
_SIGNATURE = re.compile(
    r"(?:(?:^|\n|[。.!?])\s*[-—–~]+\s*|(?:^|\n)\s*(?:(?:best|kind|warm|warmest)\s+)?"
    r"(?:regards|wishes|sincerely|cheers|thanks|yours(?:\s+truly)?|best)[,!]?\s*\n\s*)\Z"
)
_CLAUSE_END = re.compile(r"[!?。\n;]|\.\s")
# When the prompt asks who the answerer is, a bare name ("Gemini.") or a field ("Name:
# Claude") answers it.
_WHO = re.compile(
    r"\b(?:who|what)\s+(?:are|r)\s+(?:you|u)\b|\byour\s+(?:name|creator|maker|developer|model|"
    r"company)\b|\byourself\b|\bwhich\s+(?:ai|model|llm|bot|assistant|company)\s+(?:are|r)\s+"
    r"(?:you|u)\b|\bwho\s+(?:made|created|built|trained|developed)\s+(?:you|u)\b"
    r"|你是谁|你叫|你的名字|谁(?:开发|训练|创造|制造)了你|你是哪|你自己|你来自|你的(?:开发者|模型)"
)
_FIELD = re.compile(
    r"(?:^|\n)\s*(?:name|model|assistant|ai|bot|developer|creator|made\s+by|developed\s+by|"
    r"名字|名称|模型|开发者|开发商|作者)\s*:\s*\Z"
)
_ONLY = " .!\"'“”。"


def _self_reference(text: str, start: int, end: int, asked_who: bool = False) -> bool:
    """Whether the name at text[start:end] is said of the answerer; ``asked_who``: the prompt
    asks who the answerer is."""
    left = ("\n" if start <= 120 else "") + text[max(0, start - 120) : start]
    cut = max((m.end() for m in _CLAUSE_END.finditer(left)), default=0)
    clause, right = left[cut:], text[end : end + 60]
    if _EN_GREETING.search(left) or (_EN_HERE_LEFT.search(clause) and _EN_HERE_RIGHT.match(right)):
        return True
    if _EN_THIS.search(clause) and _EN_THIS_RIGHT.match(right):
        return True
    if asked_who and (
        _FIELD.search(left) or not (text[:start].strip(_ONLY) or text[end:].strip(_ONLY))
    ):
        return True
    if any(p.search(clause) for p in (*_EN_LEFT, *_ZH_LEFT)):
        return not _ARTICLE.search(clause) or bool(_AI_NOUN.match(right))
    if any(p.match(right) for p in (*_EN_RIGHT, *_ZH_RIGHT)):
        return True
    if _EN_AS.search(clause) and _EN_AS_RIGHT.match(right):
        return True
    if _ZH_AS.search(clause) and _ZH_AS_RIGHT.match(right):
        return True
    return bool(_SIGNATURE.search(left) and not right.strip(" .!\n"))


# ------------------------------------------------ what the prompt asked for
_VOICE = re.compile(
    r"\b(?:pretend\w*|act(?:ing)?\s+as|role-?play\w*|imagine|persona|impersonat\w*|"
    r"in\s+the\s+voice\s+of|(?:speak|respond|answer|reply)\s+as|you\s+are|from\s+now\s+on|"
    r"translat\w*|repeat|quot\w*|say|says|said|saying|rewrite|paraphrase|story|poem|dialogu?e?|"
    r"script|character|simulat\w*|mimic|write|draft|compose|tweet|slogan|example|template)\b"
    r"|扮演|假装|你现在是|模仿|翻译|重复|复述|写|故事|诗|对话|剧本|角色|口吻|例句|造句"
)
# single letters spelled out with one separator: "c l a u d e", "c.l.a.u.d.e"
_SPELLED = re.compile(
    r"(?<![a-z0-9'’])[a-z0-9](?:[ .\-_*·][a-z0-9]){3,}(?![a-z0-9])"
    r"|[\u4e00-\u9fff](?: [\u4e00-\u9fff]){2,}"
)


def _read(text: str) -> str:
    """The folded text, line by line (lines matter for signatures), names spelled out joined."""
    lines = (fold(line) for line in text.splitlines())
    return "\n".join(
        _SPELLED.sub(lambda m: re.sub(r"[ .\-_*·]", "", m.group()), ln) for ln in lines
    )


_WORD = re.compile(r"[a-z0-9]+")
_LETTERS = re.compile(r"[a-z]+")


class IdentityFilter:
    """Finds self-identification in answers. Build once; :meth:`find` is cheap."""

    def __init__(self, names: Iterable[Name], tail_words: Iterable[str] = ()) -> None:
        by_text: dict[str, Name] = {}
        for name in names:
            if name.text:
                by_text.setdefault(name.text, name)
        ordered = sorted(by_text.values(), key=lambda n: len(n.text), reverse=True)
        self._names = ordered
        alternatives = [f"(?P<n{i}>{_name_pattern(n)})" for i, n in enumerate(ordered)]
        words = "|".join(sorted((re.escape(w) for w in tail_words), key=len, reverse=True))
        tail = rf"(?:[\s\-_.]?(?:{_VERSION}|{words or _VERSION})(?![a-z]))*"
        # a name ends at a non-letter; "Google-built" is a name, "meta-analysis" is not
        joined = r"(?:built|made|trained|developed|created|designed|based|powered)\b"
        end = rf"(?![a-z0-9]|-(?!{joined})[a-z])"
        self._pattern = re.compile(rf"(?:{'|'.join(alternatives)}){tail}{end}")
        # where a name can start, found without trying every name at every position: a
        # Latin word whose letters (or itself) begin some name, or a non-Latin name's text
        self._first_words = {_WORD.findall(n.text)[0] for n in ordered if _WORD.match(n.text)}
        self._other = sorted({n.text for n in ordered if not _WORD.match(n.text)})

    def _starts(self, text: str) -> list[int]:
        starts = set()
        for m in _WORD.finditer(text):
            word = m.group()
            letters = _LETTERS.match(word)
            head = letters.group() if letters else ""
            # "gpt4o" -> "gpt"; "deepseekv3" -> "deepseek" (a version may start with letters)
            heads = {head, head[:-1], head[:-2]} if len(head) < len(word) else {head}
            if word in self._first_words or heads & self._first_words:
                starts.add(m.start())
        for name in self._other:
            at = text.find(name)
            while at >= 0:
                starts.add(at)
                at = text.find(name, at + 1)
        return sorted(starts)

    def mentions(self, text: str) -> list[tuple[re.Match[str], Name]]:
        """Every name in already-read ``text``, with what it names."""
        found: list[tuple[re.Match[str], Name]] = []
        for start in self._starts(text):
            if found and start < found[-1][0].end():
                continue  # inside the name just found ("deepmind" in "google deepmind")
            m = self._pattern.match(text, start)
            if m:
                found.append((m, self._names[int((m.lastgroup or "n0")[1:])]))
        return found

    def find(self, text: str, prompt: str = "") -> str | None:
        """The first name ``text`` uses to identify its author (folded), or None."""
        read = _read(text)
        excused: set[str] = set()
        asked = _read(prompt)
        if asked and _VOICE.search(asked):
            excused = {name.lab for _, name in self.mentions(asked)}
        asked_who = bool(_WHO.search(asked))
        for m, name in self.mentions(read):
            if name.lab not in excused and _self_reference(read, m.start(), m.end(), asked_who):
                return m.group(0).strip()[:64]
        return None


def _name_pattern(name: Name) -> str:
    runs = re.findall(r"[^\W_]+", name.text)
    body = _SEP.join(re.escape(run) for run in runs)
    if name.needs_version:
        body += _SEP + _VERSION
    if re.match(r"[a-z0-9]", name.text):
        body = r"(?<![a-z0-9])" + body
    return body


@lru_cache(maxsize=32)
def identity_filter(extra_words: tuple[str, ...] = ()) -> IdentityFilter:
    """The filter for the built-in catalog plus ``extra_words`` (configured contestants)."""
    catalog = load_catalog()
    extra = [Name(fold(w), fold(w)) for w in extra_words if len(fold(w)) >= 3]
    names = [*catalog_names(catalog), *listed_names(), *extra]
    return IdentityFilter(names, _tail_words(catalog))


def find_identity_leak(text: str, extra_words: Iterable[str] = (), prompt: str = "") -> str | None:
    """The name ``text`` uses to identify its author, or None.

    ``prompt``: what the user wrote (every turn); a self-identification it asked for is not
    a leak. ``extra_words``: names beyond the catalog, e.g. the configured contestants'.
    """
    return identity_filter(tuple(sorted(set(extra_words)))).find(text, prompt)
