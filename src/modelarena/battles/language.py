"""The language of a prompt: an ISO 639-1 code, or ``und`` (undetermined).

Two steps. The writing system decides most languages outright: Hangul is Korean, kana
Japanese, Han without kana Chinese, Cyrillic Russian, Arabic script Arabic (and Hebrew,
Greek, Thai, Devanagari). Text in the Latin script goes to ``py3langid`` (the ``language``
extra: a 4.6 MB offline model, loaded once, lazily) when it is installed, else to a small
count of the commonest words of English, French, German, Spanish, Portuguese, Italian and
Dutch. Short or mixed text can be wrong; a published log's own ``language`` column is kept
as it is (see :mod:`modelarena.io`).
"""

from __future__ import annotations

import functools
import re
import unicodedata
from typing import Any

UNDETERMINED = "und"

# (first code point, last code point, language) per script block
_BLOCKS = (
    (0xAC00, 0xD7AF, "ko"),
    (0x1100, 0x11FF, "ko"),
    (0x3130, 0x318F, "ko"),
    (0x3040, 0x30FF, "ja"),  # hiragana, katakana
    (0x4E00, 0x9FFF, "zh"),
    (0x3400, 0x4DBF, "zh"),
    (0x0400, 0x04FF, "ru"),
    (0x0600, 0x06FF, "ar"),
    (0x0590, 0x05FF, "he"),
    (0x0370, 0x03FF, "el"),
    (0x0E00, 0x0E7F, "th"),
    (0x0900, 0x097F, "hi"),
)

_WORDS = {
    "en": "the and is are you what how to of in for with this that it be write explain "
    "please can a an my me do does why which",
    "fr": "le la les et est vous que qui une un des pour dans avec ce cette pas sur comment "
    "écris écrire explique pourquoi je",
    "de": "der die das und ist sie ich nicht ein eine mit für auf wie was schreibe erkläre "
    "warum bitte den dem zu",
    "es": "el la los las y es que una un por para con como qué cómo escribe explica por qué "
    "del se no mi",
    "pt": "o a os as e é que um uma para com não como por do da em escreva explique você "
    "porque meu",
    "it": "il lo la gli e è che un una per con non come del della scrivi spiega perché di sono mi",
    "nl": "de het een en is dat van voor met niet hoe wat schrijf leg uit waarom ik je zijn op",
}
_WORD_SETS = {lang: frozenset(words.split()) for lang, words in _WORDS.items()}
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)


def _script_language(text: str) -> str | None:
    """The language the non-Latin letters name, or None when Latin letters dominate."""
    counts: dict[str, int] = {}
    latin = 0
    for ch in text:
        if not ch.isalpha():
            continue
        code = ord(ch)
        for lo, hi, lang in _BLOCKS:
            if lo <= code <= hi:
                counts[lang] = counts.get(lang, 0) + 1
                break
        else:
            if code < 0x250 or "LATIN" in unicodedata.name(ch, ""):
                latin += 1
    if counts.get("ja"):  # Japanese mixes kana with Han: any kana makes it Japanese
        counts["ja"] += counts.pop("zh", 0)
    if not counts:
        return None
    lang, n = max(counts.items(), key=lambda kv: kv[1])
    # one Han character costs a word in Latin letters: weigh them alike
    weight = 4 if lang in ("zh", "ja") else 1
    return lang if n * weight >= latin else None


@functools.cache
def _langid() -> Any:
    try:
        import py3langid  # type: ignore[import-untyped,unused-ignore]
    except ImportError:
        return None
    return py3langid


def load_detector() -> None:
    """Load the language model now (benchmarks/language_detection.py times it), so the first battle
    does not wait for it: py3langid reads its model at its first classification)."""
    model = _langid()
    if model is not None:
        model.classify("a sentence to load the model")


def _latin_language(text: str) -> str:
    model = _langid()
    if model is not None:
        lang, _ = model.classify(text)
        return str(lang)
    words = [w.lower() for w in _WORD.findall(text)]
    if not words:
        return UNDETERMINED
    scores = {lang: sum(w in s for w in words) for lang, s in _WORD_SETS.items()}
    best, hits = max(scores.items(), key=lambda kv: kv[1])
    return best if hits else UNDETERMINED


def detect_language(text: str) -> str:
    """The language of ``text``: an ISO 639-1 code, or ``und`` when there is too little
    text (no letters) to tell."""
    sample = text[:2000]
    if not any(ch.isalpha() for ch in sample):
        return UNDETERMINED
    return _script_language(sample) or _latin_language(sample)


def normalise_language(value: object) -> str | None:
    """A language label from a published log, as stored: lower-case ISO code when it is
    one (``English`` -> ``en`` for the common names the arena logs use), else None."""
    if not isinstance(value, str):
        return None
    v = value.strip()
    if not v:
        return None
    named = _NAMES.get(v.lower())
    if named:
        return named
    if re.fullmatch(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})?", v):
        return v.lower()[:16]
    return None


_NAMES = {
    "english": "en",
    "chinese": "zh",
    "japanese": "ja",
    "korean": "ko",
    "russian": "ru",
    "arabic": "ar",
    "french": "fr",
    "german": "de",
    "spanish": "es",
    "portuguese": "pt",
    "italian": "it",
    "dutch": "nl",
    "polish": "pl",
    "vietnamese": "vi",
    "turkish": "tr",
    "hebrew": "he",
    "greek": "el",
    "thai": "th",
    "hindi": "hi",
    "indonesian": "id",
    "persian": "fa",
    "ukrainian": "uk",
    "unknown": UNDETERMINED,
}
