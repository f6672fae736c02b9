"""Tables of the audits (created by their migration; see schema.py)."""

from __future__ import annotations

from modelarena.store.schema import metadata

__all__ = ["metadata"]
