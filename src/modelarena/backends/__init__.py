"""Model backends: turn a configured contestant into something that streams answers.

Backends are registered by name (:func:`register_backend`); a contestant's ``backend`` field
names one.  The built-in ones (``openai``, ``gguf``, ``scripted``) are registered here like
any other, each by the ``from_config`` factory of its own module, imported only when a
contestant uses it.  A factory checks what it needs (an extra, a file, a key) before any
battle; its errors are for the operator, so they name the contestant's id and the missing
environment variable, never the key itself.
"""

from __future__ import annotations

import dataclasses
import importlib
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
    "Factory",
    "GenerationSettings",
    "Message",
    "Role",
    "backend_names",
    "build_backend",
    "generation_settings",
    "judging_settings",
    "register_backend",
    "unregister_backend",
]

Factory = Callable[[ModelConfig, Mapping[str, str]], Backend]

# Backend name (ModelConfig.backend) -> factory, or the module whose from_config is it.
_registry: dict[str, Factory | str] = {}


def register_backend(name: str, factory: Factory | str) -> None:
    """Make ``backend = "<name>"`` in a config build its contestants with ``factory``.

    ``factory`` is a callable ``(config, environ) -> Backend``, or the dotted name of a
    module with a ``from_config`` function of that shape (imported on first use).
    Registering a name again replaces the earlier factory.
    """
    _registry[name] = factory


def unregister_backend(name: str) -> None:
    """Forget a registered backend (a plugin unloading, a test cleaning up)."""
    _registry.pop(name, None)


def backend_names() -> tuple[str, ...]:
    """The registered backend names, sorted."""
    return tuple(sorted(_registry))


def _factory(name: str) -> Factory | None:
    entry = _registry.get(name)
    if isinstance(entry, str):
        module = importlib.import_module(entry)
        entry = _registry[name] = module.from_config
    return entry


def build_backend(cfg: ModelConfig, *, environ: Mapping[str, str] | None = None) -> Backend:
    """The backend that serves ``cfg``; BackendUnavailable if it cannot run here.

    The backend does not apply ``cfg.system_prompt`` or :func:`generation_settings`: the
    caller passes those with each conversation.
    """
    factory = _factory(cfg.backend)
    if factory is None:
        raise BackendUnavailable(
            f"model {cfg.id!r}: unknown backend {cfg.backend!r} "
            f"(registered: {', '.join(backend_names())})"
        )
    return factory(cfg, os.environ if environ is None else environ)


def generation_settings(cfg: ModelConfig) -> GenerationSettings:
    """The sampling settings a contestant's configuration asks for."""
    return GenerationSettings(
        temperature=cfg.temperature,
        top_p=cfg.top_p,
        max_tokens=cfg.max_tokens,
        seed=cfg.seed,
        timeout_s=cfg.timeout_s,
    )


def judging_settings(cfg: ModelConfig, max_tokens: int | None = None) -> GenerationSettings:
    """The sampling settings of a model used as a judge: greedy (temperature 0, no top-p),
    with ``max_tokens`` (``--judge-max-tokens``) or else the model's own."""
    return dataclasses.replace(
        generation_settings(cfg),
        temperature=0.0,
        top_p=None,
        max_tokens=max_tokens or cfg.max_tokens,
    )


register_backend("openai", "modelarena.backends.openai_compat")
register_backend("gguf", "modelarena.backends.local_gguf")
register_backend("scripted", "modelarena.backends.scripted")
