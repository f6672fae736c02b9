"""Published leaderboards stored as dated snapshots (reads and writes)."""

from __future__ import annotations

from sqlalchemy import Engine


class LandscapeSnapshots:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
