"""Turn one row of a published vote log (or of our own export) into an ``ImportedBattle``.

Column names follow the published LMArena datasets; see docs/import-export.md for the table.
Every problem raises :class:`RowError` with the reason; the caller adds the file and line.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from modelarena.battles.categories import CATEGORY_IDS
from modelarena.battles.records import Verdict
from modelarena.battles.style import StyleCounts, approx_tokens, style_counts
from modelarena.store import HUMAN, ImportedBattle

ONE_HOT = ("winner_model_a", "winner_model_b", "winner_tie")
_ONE_HOT_BOTH_BAD = ("winner_both_bad", "winner_bothbad", "winner_tie_bothbad")
ID_COLUMNS = ("external_id", "question_id", "id")
TIME_COLUMNS = ("tstamp", "timestamp", "created_at")
VOTER_COLUMNS = ("voter", "judge")

# Every column the mapper reads (Parquet reads only these).
KNOWN_COLUMNS = frozenset(
    {
        "model_a",
        "model_b",
        "winner",
        *ONE_HOT,
        *_ONE_HOT_BOTH_BAD,
        *ID_COLUMNS,
        *TIME_COLUMNS,
        *VOTER_COLUMNS,
        "conversation_a",
        "conversation_b",
        "prompt",
        "response_a",
        "response_b",
        "answer_a",
        "answer_b",
        "conv_metadata",
        "category",
        "category_tag",
        "anony",
        "counted",
        "source",
        "reason",
        "language",
    }
)


class RowError(ValueError):
    """This row cannot be imported; the message is the reason."""


@dataclass(frozen=True)
class Skip:
    """A well-formed row that is deliberately not imported, and why (a short code)."""

    reason: str


def missing_columns(columns: Iterable[str]) -> list[str]:
    """Required columns absent from a header: model_a, model_b and a winner encoding."""
    have = set(columns)
    missing = [c for c in ("model_a", "model_b") if c not in have]
    if "winner" not in have:
        one_hot = [c for c in ONE_HOT if c not in have]
        if len(one_hot) == len(ONE_HOT):
            missing.append("winner")
        else:
            missing.extend(one_hot)
    return missing


class RowMapper:
    """Maps rows to battles with the catalog's names. Holds a cache of resolved names."""

    def __init__(
        self,
        resolve: Callable[[str], str | None],
        *,
        category_default: str = "chat",
        text_style: bool = True,
    ) -> None:
        self._resolve = resolve
        self._names: dict[str, str | None] = {}
        self._verdicts: dict[str, Verdict] = {}
        # the last row's model names as written (before the catalog maps them)
        self.raw_a = self.raw_b = ""
        self.category_default = category_default
        # False: leave style None where it would be computed from the answer text (a
        # checking pass that does not need it, and regexes over every answer are slow)
        self.text_style = text_style

    def resolve(self, name: str) -> str | None:
        """The catalog id for a name, or None when the catalog does not know it."""
        try:
            return self._names[name]
        except KeyError:
            found = self._names[name] = self._resolve(name)
            return found

    def map(self, row: Mapping[str, Any]) -> ImportedBattle | Skip:
        if "winner" not in row or "model_a" not in row or "model_b" not in row:
            missing = missing_columns(row.keys())
            if missing:
                raise RowError(
                    f"missing column {_and(missing)} (columns found: {', '.join(row) or 'none'})"
                )
        raw_a = self.raw_a = _model_name(row, "model_a")
        raw_b = self.raw_b = _model_name(row, "model_b")
        if raw_a == raw_b:
            raise RowError(f"model_a and model_b are the same model ({raw_a!r})")
        verdict = self._verdict(row)
        source = _optional_text(row, "source") or HUMAN
        if source != HUMAN and not source.startswith("judge:"):
            raise RowError(f"source must be 'human' or 'judge:<model>', not {source!r}")
        model_a = self.resolve(raw_a) or raw_a
        model_b = self.resolve(raw_b) or raw_b
        if model_a == model_b:
            return Skip("same_catalog_model")
        anonymous = _flag(row, "anony", default=True)
        # our own export: keep why a vote did not count
        reason = _optional_text(row, "reason", limit=64)
        if reason is None and not _flag(row, "counted", default=True):
            reason = "not_counted"
        prompt, texts_a, texts_b = _texts(row)
        style_a, style_b = _styles(row.get("conv_metadata"), texts_a, texts_b, self.text_style)
        extra = {}
        language = row.get("language")
        if isinstance(language, str) and language:
            extra["language"] = language
        return ImportedBattle(
            model_a=model_a,
            model_b=model_b,
            verdict=verdict,
            category=self._category(row),
            prompt=prompt,
            answer_a=texts_a[0] if texts_a else "",
            answer_b=texts_b[0] if texts_b else "",
            anonymous=anonymous,
            voter=_first_text(row, VOTER_COLUMNS),
            created_at=_created_at(row),
            external_id=_first_text(row, ID_COLUMNS),
            style_a=style_a,
            style_b=style_b,
            source=source,
            not_counted_reason=reason,
            extra=extra,
        )

    def _verdict(self, row: Mapping[str, Any]) -> Verdict:
        """The row's verdict; a log spells it a handful of ways, each parsed once."""
        value = row.get("winner")
        if type(value) is str:
            try:
                return self._verdicts[value]
            except KeyError:
                found = self._verdicts[value] = _verdict(row)
                return found
        return _verdict(row)

    def _category(self, row: Mapping[str, Any]) -> str:
        for key in ("category", "category_tag"):
            value = row.get(key)
            if isinstance(value, str) and value.strip().lower() in CATEGORY_IDS:
                return value.strip().lower()
        return self.category_default


# --------------------------------------------------------------------------- fields
def _and(names: list[str]) -> str:
    return ", ".join(repr(n) for n in names)


def _describe(value: object) -> str:
    if value is None:
        return "null"
    return f"{value!r} ({type(value).__name__})"


def _model_name(row: Mapping[str, Any], key: str) -> str:
    value = row.get(key)
    if value is None:
        raise RowError(f"{key} is empty (null)")
    if not isinstance(value, str):
        raise RowError(f"{key} must be a model name (text), not {_describe(value)}")
    name = value.strip()
    if not name:
        raise RowError(f"{key} is an empty model name")
    return _storable(key, name)


TEXT_LIMIT = 128  # model names, ids, voters and sources: the width of their columns


def _storable(key: str, text: str, limit: int = TEXT_LIMIT) -> str:
    """A name or id as every database stores it: no NUL, at most ``limit`` characters."""
    if len(text) > limit:
        raise RowError(f"{key} is longer than {limit} characters ({text[:40]!r}...)")
    if "\x00" in text:
        raise RowError(f"{key} contains a NUL character")
    return text


def _verdict(row: Mapping[str, Any]) -> Verdict:
    if "winner" in row:
        value = row["winner"]
        if value is None:
            raise RowError("winner is empty (null)")
        if not isinstance(value, str):
            raise RowError(
                f"winner must be text such as 'model_a', 'model_b', 'tie' or "
                f"'tie (bothbad)', not {_describe(value)}"
            )
        try:
            return Verdict.parse(value)
        except ValueError:
            raise RowError(
                f"unknown winner value {value!r}; expected model_a, model_b, tie, "
                f"tie (bothbad) or both_bad"
            ) from None
    keys = [*ONE_HOT, *(k for k in _ONE_HOT_BOTH_BAD if k in row)]
    verdicts = [Verdict.A, Verdict.B, Verdict.TIE] + [Verdict.BOTH_BAD] * (len(keys) - 3)
    chosen = [v for k, v in zip(keys, verdicts, strict=True) if _one_hot(row, k)]
    if len(chosen) != 1:
        shown = ", ".join(f"{k}={row.get(k)!r}" for k in keys)
        raise RowError(f"the one-hot winner columns must hold exactly one 1 ({shown})")
    return chosen[0]


def _one_hot(row: Mapping[str, Any], key: str) -> bool:
    value = row.get(key)
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip() in ("0", "1", "0.0", "1.0"):
        return float(value) == 1
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise RowError(f"{key} must be 0 or 1, not {_describe(value)}")


_TRUE = {"true", "1", "yes", "t", "y"}
_FALSE = {"false", "0", "no", "f", "n"}


def _flag(row: Mapping[str, Any], key: str, *, default: bool) -> bool:
    value = row.get(key)
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    raise RowError(f"{key} must be true or false, not {_describe(value)}")


def _optional_text(row: Mapping[str, Any], key: str, limit: int = TEXT_LIMIT) -> str | None:
    value = row.get(key)
    if value is None:
        return None
    if type(value) is str:  # the common case, first
        text = value.strip()
        return _storable(key, text, limit) if text else None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise RowError(f"{key} must be text, not {_describe(value)}")
    text = str(value).strip()
    return _storable(key, text, limit) if text else None


def _first_text(row: Mapping[str, Any], keys: tuple[str, ...]) -> str | None:
    for key in keys:
        text = _optional_text(row, key)
        if text is not None:
            return text
    return None


def _created_at(row: Mapping[str, Any]) -> datetime | None:
    for key in TIME_COLUMNS:
        value = row.get(key)
        if value is None or value == "":
            continue
        return _to_utc(key, value)
    return None


def _to_utc(key: str, value: object) -> datetime:
    if type(value) is float or type(value) is int:  # a unix time: the common case, first
        try:
            return datetime.fromtimestamp(value, UTC)
        except (ValueError, OverflowError, OSError):
            raise RowError(f"{key} {value!r} is out of range for a unix time") from None
    if isinstance(value, datetime):  # also pandas.Timestamp, a datetime subclass
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    if isinstance(value, bool):
        raise RowError(f"{key} must be a unix time or an ISO date-time, not {_describe(value)}")
    if isinstance(value, str):
        text = value.strip()
        try:
            value = float(text)
        except ValueError:
            try:
                return _to_utc(key, datetime.fromisoformat(text))
            except ValueError:
                raise RowError(
                    f"{key} {value!r} is neither a unix time nor an ISO date-time"
                ) from None
    if isinstance(value, int | float):
        try:
            return datetime.fromtimestamp(float(value), UTC)
        except (ValueError, OverflowError, OSError):
            raise RowError(f"{key} {value!r} is out of range for a unix time") from None
    raise RowError(f"{key} must be a unix time or an ISO date-time, not {_describe(value)}")


# ------------------------------------------------------------------------- texts
def _decode(key: str, value: object) -> object:
    """Structured columns arrive JSON-encoded from CSV (and in the 55k dataset)."""
    if isinstance(value, str) and value.lstrip()[:1] in ("[", "{"):
        try:
            return json.loads(value)
        except ValueError:
            raise RowError(f"{key} is not valid JSON") from None
    return value


def _content(key: str, value: object) -> str:
    """Message content: text, or a list of parts ({"type": "text", "text": ...} or text)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping):
        return _content(key, value.get("text"))
    if isinstance(value, list):
        return "\n".join(t for t in (_content(key, part) for part in value) if t)
    raise RowError(f"{key}: message content must be text, not {_describe(value)}")


def _conversation(key: str, value: object) -> tuple[list[str], list[str]]:
    """(user turns, assistant turns) of a list of {role, content} messages."""
    value = _decode(key, value)
    if value is None:
        return [], []
    if not isinstance(value, list):
        raise RowError(
            f"{key} must be a list of {{role, content}} messages, not {_describe(value)}"
        )
    users: list[str] = []
    assistants: list[str] = []
    for message in value:
        if not isinstance(message, Mapping):
            raise RowError(
                f"{key} must be a list of {{role, content}} messages; found {_describe(message)}"
            )
        role = message.get("role")
        text = _content(key, message.get("content"))
        if role == "user":
            users.append(text)
        elif role == "assistant":
            assistants.append(text)
    return users, assistants


def _turn_list(key: str, value: object) -> list[str]:
    """The 55k dataset's prompt/response columns: JSON-encoded lists of strings."""
    value = _decode(key, value)
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [_content(key, v) for v in value]
    raise RowError(f"{key} must be text or a list of texts, not {_describe(value)}")


def _plain(key: str, value: object) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, str):
        raise RowError(f"{key} must be text, not {_describe(value)}")
    return [value]


def _texts(row: Mapping[str, Any]) -> tuple[str, list[str], list[str]]:
    """The first prompt, and every answer of each side (first turn first)."""
    if row.get("conversation_a") is not None or row.get("conversation_b") is not None:
        users_a, texts_a = _conversation("conversation_a", row.get("conversation_a"))
        users_b, texts_b = _conversation("conversation_b", row.get("conversation_b"))
        prompts = users_a or users_b
        return (prompts[0] if prompts else ""), texts_a, texts_b
    if "response_a" in row or "response_b" in row:  # arena-human-preference-55k
        prompts = _turn_list("prompt", row.get("prompt"))
        return (
            prompts[0] if prompts else "",
            _turn_list("response_a", row.get("response_a")),
            _turn_list("response_b", row.get("response_b")),
        )
    prompt = _plain("prompt", row.get("prompt"))
    return (
        prompt[0] if prompt else "",
        _plain("answer_a", row.get("answer_a")),
        _plain("answer_b", row.get("answer_b")),
    )


# ------------------------------------------------------------------------- style
_TOKEN_KEYS = ("sum_assistant_{s}_tokens", "assistant_{s}_tokens", "{s}_tokens", "tokens_{s}")
_COUNT_KEYS = {
    "headers": ("header_count_{s}", "{s}_headers", "headers_{s}"),
    "lists": ("list_count_{s}", "{s}_lists", "lists_{s}"),
    "bold": ("bold_count_{s}", "{s}_bold", "bold_{s}"),
}


def _styles(
    metadata: object, texts_a: list[str], texts_b: list[str], from_text: bool
) -> tuple[StyleCounts | None, StyleCounts | None]:
    if metadata is None and not texts_a and not texts_b:
        return None, None
    meta = _decode("conv_metadata", metadata)
    if meta is not None and not isinstance(meta, Mapping):
        raise RowError(f"conv_metadata must be an object, not {_describe(meta)}")
    meta = meta or {}
    if not meta and not from_text:
        return None, None
    return _style(meta, "a", texts_a, from_text), _style(meta, "b", texts_b, from_text)


def _style(
    meta: Mapping[str, Any], side: str, texts: list[str], from_text: bool
) -> StyleCounts | None:
    """Counts from conv_metadata where it has them, else from all of this side's answers."""
    tokens: int | None = None
    counts: dict[str, int | None] = dict.fromkeys(_COUNT_KEYS)
    if meta:
        tokens = _meta_count(meta, _TOKEN_KEYS, side)
        counts = {name: _meta_count(meta, keys, side) for name, keys in _COUNT_KEYS.items()}
    if not from_text:
        return None
    text = "\n\n".join(t for t in texts if t)
    if tokens is None and all(v is None for v in counts.values()):
        return style_counts(text) if text else None
    if any(v is None for v in counts.values()):
        computed = style_counts(text, tokens)
        counts = {
            name: (v if v is not None else getattr(computed, name)) for name, v in counts.items()
        }
    return StyleCounts(
        tokens=tokens if tokens is not None else approx_tokens(text),
        headers=counts["headers"] or 0,
        lists=counts["lists"] or 0,
        bold=counts["bold"] or 0,
    )


def _meta_count(meta: Mapping[str, Any], patterns: tuple[str, ...], side: str) -> int | None:
    for pattern in patterns:
        key = pattern.format(s=side)
        if key in meta and meta[key] is not None:
            return _sum_leaves(f"conv_metadata.{key}", meta[key])
    return None


def _sum_leaves(key: str, value: object) -> int:
    """A count, or a breakdown of counts ({h1: 2, h2: 0}, {ordered: 1, unordered: 3})."""
    if value is None:
        return 0
    if isinstance(value, bool):
        raise RowError(f"{key} must be a count, not {_describe(value)}")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    if isinstance(value, Mapping):
        return sum(_sum_leaves(f"{key}.{k}", v) for k, v in value.items())
    raise RowError(f"{key} must be a count, not {_describe(value)}")
