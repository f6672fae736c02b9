"""Model backends: turn a configured contestant into something that streams answers.

``build_backend`` looks the configuration's ``backend`` name up in a small registry; each
entry is a factory that checks what it needs (an extra, a file, a key) before any battle.
Its errors are for the operator at start-up, so they name the contestant's id and the
missing environment variable, never the key itself.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping

from modelarena.backends.base import (
    AnswerStats,
    Backend,
    BackendAuthError,
    BackendBadStream,
    BackendError,
    BackendRateLimited,
    BackendServerError,
    BackendTimeout,
    BackendUnavailable,
    Chunk,
    GenerationSettings,
    Message,
    Role,
)
from modelarena.config import ModelConfig

__all__ = [
    "AnswerStats",
    "Backend",
    "BackendAuthError",
    "BackendBadStream",
    "BackendError",
    "BackendRateLimited",
    "BackendServerError",
    "BackendTimeout",
    "BackendUnavailable",
    "Chunk",
    "GenerationSettings",
    "Message",
    "Role",
    "BACKENDS",
    "build_backend",
]

Factory = Callable[[ModelConfig, Mapping[str, str]], Backend]


def _openai(cfg: ModelConfig, environ: Mapping[str, str]) -> Backend:
    from modelarena.backends.openai_compat import OpenAICompatBackend

    if not cfg.base_url:
        raise BackendUnavailable(f"model {cfg.id!r}: backend 'openai' needs base_url")
    api_key: str | None = None
    if cfg.api_key_env:
        api_key = environ.get(cfg.api_key_env) or None
        if api_key is None:
            raise BackendUnavailable(
                f"model {cfg.id!r}: environment variable {cfg.api_key_env} is not set "
                "(it should hold the API key)"
            )
    return OpenAICompatBackend(base_url=cfg.base_url, model=cfg.model or cfg.id, api_key=api_key)


def _gguf(cfg: ModelConfig, environ: Mapping[str, str]) -> Backend:
    # Imported here: the module is light, but keeps llama_cpp out of the import graph.
    from modelarena.backends.local_gguf import LocalGGUFBackend

    if not cfg.path:
        raise BackendUnavailable(f"model {cfg.id!r}: backend 'gguf' needs path")
    try:
        return LocalGGUFBackend(cfg.path, n_ctx=cfg.n_ctx, n_threads=cfg.n_threads)
    except BackendUnavailable as exc:
        raise BackendUnavailable(f"model {cfg.id!r}: {exc}") from exc


# Backend name (ModelConfig.backend) -> factory.
BACKENDS: dict[str, Factory] = {"openai": _openai, "gguf": _gguf}


def build_backend(cfg: ModelConfig, *, environ: Mapping[str, str] | None = None) -> Backend:
    """The backend that serves ``cfg``; BackendUnavailable if it cannot run here.

    The backend does not apply ``cfg.system_prompt`` or ``cfg.generation_settings()``:
    the caller passes those with each conversation.
    """
    factory = BACKENDS.get(cfg.backend)
    if factory is None:
        known = ", ".join(sorted(BACKENDS))
        raise BackendUnavailable(f"model {cfg.id!r}: unknown backend {cfg.backend!r} ({known})")
    return factory(cfg, os.environ if environ is None else environ)
