"""Which rows of an import are new: an external id seen earlier in the file, or stored by an
earlier import, is not imported again; one that comes back with another verdict is a
conflict.

Every row is known by its external id (the log's own id, or one derived from the row's
content, see :meth:`ImportKeys.derive`) and its vote source (``human`` or
``judge:<model>``: our own exports carry both votes of a battle under one id). Memory stays
small for millions of rows: per id, one packed integer (where the row was and an index into
the distinct ``(model_a, model_b, verdict, source)`` combinations).
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable
from enum import Enum

from modelarena.battles.records import Verdict
from modelarena.io.exporters import WINNER
from modelarena.store import ImportedBattle
from modelarena.store.bulk import StoredImport, import_battle_digest

_COMBO_BITS = 24  # up to 16M distinct (model_a, model_b, verdict, source) combinations
_COMBO_MASK = (1 << _COMBO_BITS) - 1

_VALUE = {v: v.value for v in Verdict}  # faster than Enum.value, once per row


class Outcome(Enum):
    NEW_BATTLE = "new battle"  # store the battle and its vote
    NEW_VOTE = "new vote"  # the battle is there; add this vote (another vote source)
    DUPLICATE = "duplicate"  # the same vote earlier in this file
    ALREADY_STORED = "already stored"  # the same vote from an earlier import
    CONFLICT = "conflict"  # the same id with another verdict (or other models)


# (outcome, battle id for a new battle or vote, what disagrees for a conflict): a plain
# tuple, made once per row
Decision = tuple[Outcome, str, str]


class ImportKeys:
    """The external ids of one import: which row first had each, and what it said."""

    def __init__(self, source_label: str, where_label: str = "line") -> None:
        self.source_label = source_label
        self.where_label = where_label  # "line", "index" or "row": how rows are named
        # keyed by the 12-byte digest of the id (the battle id), smaller than the id itself
        self._seen: dict[bytes, int | list[int]] = {}
        self._combo_index: dict[tuple[str | None, str | None, str, str], int] = {}
        self._combos: list[tuple[str | None, str | None, str, str]] = []
        self._legacy_ids: dict[str, str] = {}  # stored battles whose id is not derived
        self._content: Counter[bytes] = Counter()

    def unseen(self, external_ids: Iterable[str | None]) -> list[str]:
        """The ids not met yet in this import (the only ones the database may know)."""
        seen, label = self._seen, self.source_label
        return [
            i for i in external_ids if i is not None and import_battle_digest(label, i) not in seen
        ]

    def derive(self, item: ImportedBattle, raw_a: str, raw_b: str) -> str:
        """A stable id for a row without one: a hash of what the row says (names as in the
        file, verdict, time, voter, source and texts), numbered when identical rows repeat
        (the second identical row is a second vote, and stays so in the next import)."""
        stamp = item.created_at.isoformat() if item.created_at else ""
        parts = (raw_a, raw_b, item.verdict.value, stamp, item.voter or "", item.source)
        text = "\x1f".join((*parts, item.prompt, item.answer_a, item.answer_b))
        digest = hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=10).digest()
        self._content[digest] += 1
        n = self._content[digest]
        return f"row-{digest.hex()}" + (f"-{n}" if n > 1 else "")

    def decide(self, item: ImportedBattle, where: int, stored: StoredImport | None) -> Decision:
        """What to do with ``item``, found at row ``where`` (its number in the file)."""
        key = item.external_id
        assert key is not None
        digest = import_battle_digest(self.source_label, key)
        combo_of_mine = (item.model_a, item.model_b, _VALUE[item.verdict], item.source)
        mine = self._combo_index.get(combo_of_mine)
        if mine is None:
            mine = self._combo(*combo_of_mine)
        previous = self._seen.get(digest)
        if previous is None:
            if stored is None:
                self._seen[digest] = ((where + 1) << _COMBO_BITS) | mine
                return Outcome.NEW_BATTLE, digest.hex(), ""
            previous = self._remember_stored(key, digest, stored)
        entries = previous if isinstance(previous, list) else [previous]
        for entry in entries:
            at, combo = self._unpack(entry)
            a, b, verdict, source = self._combos[combo]
            # the models of a stored battle are not compared: a catalog edit since the
            # earlier import may map its names differently
            models_differ = a is not None and (a, b) != (item.model_a, item.model_b)
            if source != item.source and not models_differ:
                continue
            if not models_differ and verdict == combo_of_mine[2]:
                return (Outcome.DUPLICATE if at is not None else Outcome.ALREADY_STORED), "", ""
            return Outcome.CONFLICT, "", self._describe(key, at, combo, where, mine)
        # another vote source on a battle seen before (our exports: human and judge votes)
        entries.append(self._pack(where, mine))
        self._seen[digest] = entries
        battle_id = self._legacy_ids.get(key) or digest.hex()
        return Outcome.NEW_VOTE, battle_id, ""

    def where(self, number: int) -> str:
        return f"{self.where_label} {number}"

    # ----------------------------------------------------------------- internals
    def _remember_stored(self, key: str, digest: bytes, stored: StoredImport) -> list[int]:
        if stored.battle_id != digest.hex():
            self._legacy_ids[key] = stored.battle_id  # imported before ids were derived
        entries = [
            self._pack(None, self._combo(None, None, verdict, source))
            for source, verdict in stored.votes.items()
        ]
        self._seen[digest] = entries
        return entries

    def _combo(self, a: str | None, b: str | None, verdict: str, source: str) -> int:
        combo = (a, b, verdict, source)
        index = self._combo_index.get(combo)
        if index is None:
            index = self._combo_index[combo] = len(self._combos)
            self._combos.append(combo)
        return index

    @staticmethod
    def _pack(where: int | None, combo: int) -> int:
        # 0 stands for "stored by an earlier import"; rows count from 1 in the packing
        return ((0 if where is None else where + 1) << _COMBO_BITS) | combo

    @staticmethod
    def _unpack(entry: int) -> tuple[int | None, int]:
        at = entry >> _COMBO_BITS
        return (None if at == 0 else at - 1), entry & _COMBO_MASK

    def _said(self, combo: int, *, models: bool) -> str:
        a, b, verdict, _ = self._combos[combo]
        word = WINNER[verdict]  # as the logs (and ``arena export``) write it
        return f"{a} vs {b}, {word}" if models else word

    def _describe(self, key: str, at: int | None, theirs: int, where: int, mine: int) -> str:
        a, b = self._combos[theirs][:2]
        models = a is not None and (a, b) != self._combos[mine][:2]
        now = f"{self.where(where)} says {self._said(mine, models=models)}"
        if at is None:
            return (
                f"id {key!r}: {now}, but an earlier import stored "
                f"{self._said(theirs, models=False)}"
            )
        return f"id {key!r}: {self.where(at)} says {self._said(theirs, models=models)}, {now}"
