"""Settings: one TOML file plus ``ARENA_*`` environment overrides.

Example ``arena.toml``::

    database_url = "sqlite:///arena.db"

    [[models]]
    id = "deepseek-v3.2"            # the contestant's id on the leaderboard
    catalog = "deepseek-v3.2"       # catalog entry for its facts (defaults to id)
    backend = "openai"
    base_url = "https://api.deepseek.com"
    model = "deepseek-chat"         # the provider's model name
    api_key_env = "DEEPSEEK_API_KEY"  # the NAME of the variable, never the key

    [[models]]
    id = "my-gguf"
    backend = "gguf"
    path = "/models/qwen2.5-0.5b-instruct-q4_k_m.gguf"
    catalog = "qwen2.5-0.5b-instruct"

    [[catalog]]                     # add or override catalog entries
    id = "qwen2.5-0.5b-instruct"
    display_name = "Qwen2.5 0.5B Instruct"
    ...
"""

from __future__ import annotations

import ipaddress
import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

DEFAULT_CONFIG_FILES = ("arena.toml",)
DEFAULT_DATABASE_URL = "sqlite:///arena.db"


class ConfigError(ValueError):
    """The configuration is invalid. The message says where and why."""


class ModelConfig(BaseModel):
    """One contestant: a catalog entry served by a backend with given settings."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:@/+-]{0,127}$")
    catalog: str | None = None
    display_name: str | None = None  # defaults to the catalog's display name
    # a registered backend: openai, gguf, scripted, or one a plugin registers
    backend: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
    # openai-compatible
    base_url: str | None = None
    model: str | None = None
    api_key_env: str | None = None
    # gguf
    path: str | None = None
    n_ctx: int = 4096
    n_threads: int | None = None
    # generation
    system_prompt: str | None = None  # prepended to the category's own system prompt
    temperature: float | None = None
    top_p: float | None = None
    max_tokens: int = 1024
    seed: int | None = None
    timeout_s: float = 120.0
    max_concurrency: int = 4
    weight: float = 1.0  # pairing weight
    description: str = ""  # shown at reveal, e.g. how this configuration differs
    options: dict[str, Any] = Field(default_factory=dict)  # backend-specific settings

    @field_validator("api_key_env")
    @classmethod
    def _looks_like_a_name(cls, value: str | None) -> str | None:
        if value is not None and not value.replace("_", "").isalnum():
            raise ValueError(
                "api_key_env must be the NAME of an environment variable (e.g. "
                "DEEPSEEK_API_KEY), not the key itself"
            )
        return value

    @property
    def catalog_id(self) -> str:
        return self.catalog or self.id

    def __hash__(self) -> int:
        # frozen, so hashable, although ``options`` is a dict
        return hash(self.model_dump_json())


class Settings(BaseModel):
    """Everything modelarena reads from the config file and the environment."""

    model_config = ConfigDict(extra="forbid")

    database_url: str = DEFAULT_DATABASE_URL
    host: str = "127.0.0.1"
    port: int = 8000
    secret_key: str | None = None  # signs session cookies; generated and kept if unset
    admin_token: str | None = None
    redis_url: str | None = None
    models: list[ModelConfig] = Field(default_factory=list)
    # the bundled pair joins configured models when true; None: only when none are configured
    include_bundled: bool | None = None
    catalog: list[dict[str, Any]] = Field(default_factory=list)
    max_prompt_chars: int = 8000
    # the most the app takes of one answer, whatever the backend sends (a cut answer is
    # marked cut), and of one battle's conversation (follow-ups are refused past either)
    max_answer_tokens: int = Field(8192, ge=1)
    max_answer_chars: int = Field(40_000, ge=1)
    max_turns: int = Field(10, ge=1)
    max_context_chars: int = Field(100_000, ge=1)
    battles_per_minute: int = 20
    votes_per_day: int = 1000
    sessions_per_day: int = 20  # new voter ids per address a day (at their first battle)
    votes_per_prompt: int = 50
    # behind a reverse proxy: the client is the right-most X-Forwarded-For hop not written
    # by a trusted proxy (trusted_proxies empty: only the direct peer is trusted)
    trust_proxy: bool = False
    trusted_proxies: list[str] = Field(default_factory=list)
    secure_cookies: bool = False  # session cookie marked Secure (HTTPS deployments)
    pairing: Literal["weighted", "adaptive"] = "weighted"
    source_path: str | None = None  # where these settings were read from

    @field_validator("trusted_proxies")
    @classmethod
    def _addresses_or_networks(cls, values: list[str]) -> list[str]:
        for value in values:
            try:
                ipaddress.ip_network(value.strip(), strict=False)
            except ValueError:
                raise ValueError(
                    f"{value!r} is not an IP address or CIDR network (e.g. 10.0.0.1 or "
                    "10.0.0.0/8); a wildcard is not accepted, since trusting every hop lets "
                    "clients choose their own address"
                ) from None
        return [v.strip() for v in values if v.strip()]


_ENV_FIELDS: dict[str, type] = {
    "database_url": str,
    "host": str,
    "port": int,
    "secret_key": str,
    "admin_token": str,
    "redis_url": str,
    "max_prompt_chars": int,
    "max_answer_tokens": int,
    "max_answer_chars": int,
    "max_turns": int,
    "max_context_chars": int,
    "battles_per_minute": int,
    "votes_per_day": int,
    "sessions_per_day": int,
    "votes_per_prompt": int,
    "pairing": str,
    "trust_proxy": bool,
    "trusted_proxies": list,
    "secure_cookies": bool,
}
_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")


def _env_value(kind: type, raw: str) -> Any:
    if kind is bool:
        if raw.strip().lower() in _TRUE + _FALSE:
            return raw.strip().lower() in _TRUE
        raise ValueError(raw)
    if kind is list:  # comma-separated
        return [part.strip() for part in raw.split(",") if part.strip()]
    return kind(raw)


def _env_overrides(environ: Mapping[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, kind in _ENV_FIELDS.items():
        raw = environ.get(f"ARENA_{name.upper()}")
        if raw is None or raw == "":
            continue
        try:
            out[name] = _env_value(kind, raw)
        except ValueError as exc:
            hint = " (use 1 or 0)" if kind is bool else ""
            raise ConfigError(
                f"ARENA_{name.upper()}={raw!r} is not a valid {kind.__name__}{hint}"
            ) from exc
    return out


def _format_validation_error(exc: ValidationError, where: str) -> str:
    lines = [f"{where} is invalid:"]
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"])
        lines.append(f"  {loc}: {err['msg']}")
    return "\n".join(lines)


def load_settings(
    path: str | os.PathLike[str] | None = None,
    *,
    environ: Mapping[str, str] | None = None,
) -> Settings:
    """Read the config file (explicit, ``$ARENA_CONFIG``, or ``./arena.toml``) and the env.

    With no file at all, the settings are empty of models; :func:`modelarena.contestants`
    then falls back to the bundled local model.
    """
    env = os.environ if environ is None else environ
    chosen = path or env.get("ARENA_CONFIG")
    data: dict[str, Any] = {}
    where = "defaults"
    if chosen:
        file = Path(chosen)
        if not file.is_file():
            raise ConfigError(f"config file {str(file)!r} does not exist")
    else:
        file = next((Path(p) for p in DEFAULT_CONFIG_FILES if Path(p).is_file()), Path())
    if file != Path() and file.is_file():
        where = str(file)
        try:
            data = tomllib.loads(file.read_text("utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{where}: not valid TOML: {exc}") from exc
        except UnicodeDecodeError as exc:
            raise ConfigError(f"{where}: not UTF-8 text") from exc
        data["source_path"] = where
    data.update(_env_overrides(env))
    try:
        settings = Settings.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_format_validation_error(exc, where)) from exc
    ids = [m.id for m in settings.models]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise ConfigError(f"{where}: model id(s) configured twice: {', '.join(dupes)}")
    return settings
