"""Persistence of battles and votes (SQLAlchemy 2 + Alembic; SQLite or PostgreSQL)."""

from modelarena.store.arrays import VoteArrays
from modelarena.store.bulk import ImportedBattle
from modelarena.store.cells import PairCells
from modelarena.store.engine import StoreError
from modelarena.store.repository import Store
from modelarena.store.rows import HUMAN
from modelarena.store.voting import Ballot, BattleNotFound, TurnRefused, VoteRejected

__all__ = [
    "HUMAN",
    "Ballot",
    "BattleNotFound",
    "ImportedBattle",
    "PairCells",
    "Store",
    "StoreError",
    "TurnRefused",
    "VoteArrays",
    "VoteRejected",
]
