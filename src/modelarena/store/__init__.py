"""Persistence of battles and votes (SQLAlchemy 2 + Alembic; SQLite or PostgreSQL)."""

from modelarena.store.engine import StoreError
from modelarena.store.repository import (
    HUMAN,
    BattleNotFound,
    ImportedBattle,
    PairCells,
    Store,
    VoteArrays,
    VoteRejected,
)

__all__ = [
    "HUMAN",
    "BattleNotFound",
    "ImportedBattle",
    "PairCells",
    "Store",
    "StoreError",
    "VoteArrays",
    "VoteRejected",
]
