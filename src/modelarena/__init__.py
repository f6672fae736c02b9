"""modelarena: a self-hostable arena for comparing AI models by blind pairwise votes.

The public surface is re-exported here; everything else is internal.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from modelarena.arena import Arena, ArenaError, ModelInfo
    from modelarena.battles.records import Battle, Verdict
    from modelarena.catalog import Catalog, CatalogEntry, load_catalog
    from modelarena.config import ModelConfig, Settings, load_settings
    from modelarena.leaderboard import Leaderboard, LeaderboardFilters, compute_leaderboard
    from modelarena.store import Store

_LAZY = {
    "Arena": "modelarena.arena",
    "ArenaError": "modelarena.arena",
    "ModelInfo": "modelarena.arena",
    "Battle": "modelarena.battles.records",
    "Verdict": "modelarena.battles.records",
    "Catalog": "modelarena.catalog",
    "CatalogEntry": "modelarena.catalog",
    "load_catalog": "modelarena.catalog",
    "ModelConfig": "modelarena.config",
    "Settings": "modelarena.config",
    "load_settings": "modelarena.config",
    "Leaderboard": "modelarena.leaderboard",
    "LeaderboardFilters": "modelarena.leaderboard",
    "compute_leaderboard": "modelarena.leaderboard",
    "Store": "modelarena.store",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    # Lazy, so `import modelarena` stays cheap for the CLI.
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(name)
