"""One text normalisation for every rule that compares what people or models wrote.

:func:`fold` is what the identity filter reads and what the per-prompt cap key is made
of, so a disguise that beats one beats neither:

1. NFKC: full-width letters, ligatures, mathematical and circled letters become plain ones.
2. Invisible characters go: format characters (zero-width space and joiners, word joiner,
   soft hyphen, bidi controls, tags) and combining marks (so "Ĉlaude" reads "Claude"),
   plus the fillers that render as blank (Hangul fillers, braille blank).
3. Letters that look like Latin ones (Cyrillic "а", Greek "ο", Armenian "օ", ...) become
   the Latin letter: the subset of Unicode's confusables.txt (UTS #39) whose target is a
   single ASCII letter, for the scripts such look-alikes are drawn from.
4. Case is folded (``str.casefold``) and whitespace runs become one space.

:func:`prompt_key` also drops punctuation, symbols and spaces, so "Same prompt!",
"same  prompt" and "Same\u200bprompt" are one prompt under the cap. Stored battles keep
it in ``battles.prompt_hash``; changing it needs a migration like ``0003_prompt_key``.
"""

from __future__ import annotations

import hashlib
import unicodedata

# Look-alikes of ASCII letters: pairs of (characters, the Latin letter they look like).
_CONFUSABLES = (
    # Cyrillic
    ("аАӐӑӒӓ", "a"),
    ("ВвЬ", "b"),
    ("сСϲϹᏟⅽ", "c"),
    ("ԁ", "d"),
    ("еЕѐЀёЁҽ", "e"),
    ("һҺНн", "h"),
    ("іІїЇ", "i"),
    ("јЈ", "j"),
    ("кКκΚ", "k"),
    ("мМΜ", "m"),
    ("оОӧӦ", "o"),
    ("рРρΡϱ", "p"),
    ("ԛԚ", "q"),
    ("ѕЅ", "s"),
    ("тТτΤ", "t"),
    ("уУүҮΥϒ", "y"),
    ("хХχΧ", "x"),
    ("ԝԜ", "w"),
    ("Ԍԍɡ", "g"),
    # Greek
    ("αΑάἀ", "a"),
    ("Β", "b"),
    ("Η", "h"),
    ("εΕέ", "e"),
    ("η", "n"),
    ("ιΙίϊΐ", "i"),
    ("Ζ", "z"),
    ("Ν", "n"),
    ("ν", "v"),
    ("οΟόσ", "o"),
    ("υύϋ", "u"),
    # Armenian
    ("օՕ", "o"),
    ("սՍ", "u"),
    ("ց", "g"),
    ("հ", "h"),
    ("ո", "n"),
    ("զ", "q"),
    ("ԼլӀӏ", "l"),
    # Latin letters outside ASCII that render like ASCII ones
    ("ıɩ", "i"),
    ("ȷ", "j"),
    ("ɑ", "a"),
    ("ʏ", "y"),
    ("ʟ", "l"),
    ("ɴ", "n"),
    ("ʀ", "r"),
    ("ꜱ", "s"),
    ("ᴄ", "c"),
    ("ᴏ", "o"),
    ("ᴠ", "v"),
    ("ᴡ", "w"),
    ("ᴢ", "z"),
    ("ᴜ", "u"),
    # Cherokee capitals
    ("Ꭺ", "a"),
    ("Ᏼ", "b"),
    ("Ꭼ", "e"),
    ("Ꮋ", "h"),
    ("Ꭻ", "j"),
    ("Ꮶ", "k"),
    ("Ꮮ", "l"),
    ("Ꮇ", "m"),
    ("Ꮲ", "p"),
    ("Ꮪ", "s"),
    ("Ꭲ", "t"),
    ("Ꮃ", "w"),
)
_TO_LATIN = str.maketrans({ch: latin for chars, latin in _CONFUSABLES for ch in chars})

# Characters that render as nothing or as a blank but are not whitespace or format (Cf).
_INVISIBLE = frozenset("\u115f\u1160\u3164\uffa0\u2800\u180e")


def _visible(ch: str) -> bool:
    return ch not in _INVISIBLE and unicodedata.category(ch) not in ("Cf", "Mn", "Me")


def fold(text: str) -> str:
    """``text`` as the identity filter and the prompt cap compare it (see the module)."""
    # NFKD (compatibility forms folded, as NFKC would) splits letters from their accents so
    # the accents can go; NFC rejoins the rest
    text = unicodedata.normalize("NFKD", text)
    text = unicodedata.normalize("NFC", "".join(ch for ch in text if _visible(ch)))
    text = text.translate(_TO_LATIN).casefold()
    return " ".join(text.split())


def prompt_key(prompt: str) -> str:
    """The per-prompt cap's key: the folded prompt's letters and digits, hashed.

    Prompts that differ only by punctuation, symbols, spaces, invisible characters, case,
    width or look-alike letters share a key. A prompt with no letter or digit at all keys
    on its folded text instead, so "???" and "!!!" stay apart.
    """
    folded = fold(prompt)
    core = "".join(ch for ch in folded if ch.isalnum()) or folded
    return hashlib.sha256(core.encode()).hexdigest()[:32]
