"""Which models play: the configured ones, the bundled pair, each checked before any battle.

A config lists models; the bundled pair (two settings of the bundled SmolLM2) plays when
no model is configured, or alongside them with ``include_bundled = true``. Every
contestant must name a registered backend and, when it names a catalog entry, one the
catalog knows: a typo is refused with the nearest names instead of silently playing a
model without facts.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from modelarena.backends import backend_names
from modelarena.backends.bundled import default_model_configs
from modelarena.catalog import Catalog
from modelarena.config import ConfigError, ModelConfig, Settings


def contestant_configs(settings: Settings, catalog: Catalog) -> list[ModelConfig]:
    """The contestants ``settings`` asks for; ConfigError naming the model and the fix."""
    models = list(settings.models)
    if settings.include_bundled or (settings.include_bundled is None and not models):
        taken = {m.id for m in models}
        models += [m for m in default_model_configs() if m.id not in taken]
    for cfg in models:
        check_contestant(cfg, catalog)
    return models


def bundled_pair_notice(settings: Settings) -> str | None:
    """A note for the operator when a config's models silently replaced the bundled pair."""
    if not settings.models or settings.include_bundled is not None:
        return None
    if not default_model_configs():
        return None
    where = settings.source_path or "the config"
    return (
        f"{where} lists models, so the bundled SmolLM2 pair does not play; add "
        "`include_bundled = true` at the top of the file to keep it (or "
        "`include_bundled = false` to silence this note)"
    )


def near(name: str, candidates: Iterable[str], n: int = 3) -> list[str]:
    """The candidates closest to ``name`` (difflib), best first."""
    pool = list(candidates)
    lowered = {c.lower(): c for c in pool}
    hits = difflib.get_close_matches(name.lower(), list(lowered), n=n, cutoff=0.6)
    return [lowered[h] for h in hits]


def did_you_mean(name: str, candidates: Iterable[str], first: str | None = None) -> str:
    """`` (did you mean 'a' or 'b'?)``, or nothing when no candidate is near."""
    hits = near(name, candidates)
    if first:
        hits = [first, *(h for h in hits if h != first)][:3]
    return f" (did you mean {' or '.join(repr(h) for h in hits)}?)" if hits else ""


def check_contestant(cfg: ModelConfig, catalog: Catalog) -> None:
    names = backend_names()
    if cfg.backend not in names:
        raise ConfigError(
            f"model {cfg.id!r}: unknown backend {cfg.backend!r}"
            f"{did_you_mean(cfg.backend, names)}; registered: {', '.join(names)}"
        )
    if cfg.catalog is None or cfg.catalog in catalog:
        return
    hint = did_you_mean(cfg.catalog, [e.id for e in catalog], first=catalog.resolve(cfg.catalog))
    raise ConfigError(
        f"model {cfg.id!r}: catalog = {cfg.catalog!r} is not in the catalog{hint}. Use a "
        "catalog id (`arena models --catalog` lists them) or describe the model under "
        f"[[catalog]] with id = {cfg.catalog!r}"
    )
