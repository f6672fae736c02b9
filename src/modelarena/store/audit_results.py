"""Audit runs, their transcripts and their metrics (reads and writes)."""

from __future__ import annotations

from sqlalchemy import Engine


class AuditResults:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
