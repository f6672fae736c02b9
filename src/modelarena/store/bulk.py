"""Votes in bulk: importing a published log in one transaction, and the export query.

An imported battle is known by its source label and its external id (the id in the log,
or one derived from the row): its id is derived from the pair, so the primary key holds
each pair once and a second import of the same row finds the battle by its id instead of
adding one. ``import_sources`` lists the labels imports wrote under: a label not there has
nothing stored to look up. Rows are written with plain ``executemany`` on prepared
statements (COPY on PostgreSQL with psycopg), in batches, inside the caller's transaction;
the pair counts are added once at the end from what was written.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from operator import itemgetter
from typing import Any

from sqlalchemy import Select, and_, func, insert, select, update
from sqlalchemy.engine import Connection

from modelarena.battles.language import normalise_language
from modelarena.battles.records import BattleStatus, Verdict, VoteReason
from modelarena.battles.style import StyleCounts
from modelarena.store import pair_count_cache
from modelarena.store.bulk_sql import bulk_pragmas, row_writer, serialise, time_processor
from modelarena.store.rows import HUMAN, OUTCOME, new_battle_id, now, prompt_hash, storable_text
from modelarena.store.schema import answers, battles, import_sources, votes

BATCH = 50_000  # rows per executemany
LOOKUP_BATCH = 2000  # external ids per query for what is already stored
BULK_INDEX_ROWS = 50_000  # SQLite: from this size an import rebuilds indexes (see below)


@dataclass
class ImportedBattle:
    """One row of a published vote log, ready to store."""

    model_a: str
    model_b: str
    verdict: Verdict
    category: str = "chat"
    prompt: str = ""
    answer_a: str = ""
    answer_b: str = ""
    anonymous: bool = True
    voter: str | None = None
    created_at: datetime | None = None
    external_id: str | None = None
    style_a: StyleCounts | None = None
    style_b: StyleCounts | None = None
    source: str = HUMAN  # "human" or "judge:<model>" (our own exports carry judge votes)
    not_counted_reason: str | None = None  # keep an exported vote's reason on re-import
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class StoredImport:
    """What the database already holds for one external id: its battle and its votes."""

    battle_id: str
    model_a: str
    model_b: str
    votes: dict[str, str]  # vote source -> verdict value


IMPORT_ID_PERSON = b"arena-import"  # the salt of imported battle ids: changing it moves them


def import_battle_digest(source_label: str, external_id: str) -> bytes:
    """The 12 bytes of an imported row's battle id (see :func:`import_battle_id`)."""
    key = f"{source_label}\x1f{external_id}".encode("utf-8", "surrogatepass")
    return hashlib.blake2b(key, digest_size=12, person=IMPORT_ID_PERSON).digest()


def import_battle_id(source_label: str, external_id: str) -> str:
    """The battle id of an imported row: derived from its source and external id, so the
    same row always lands on the same battle (and says nothing about models or order)."""
    return import_battle_digest(source_label, external_id).hex()


_BATTLE_COLUMNS = (
    "id",
    "created_at",
    "category",
    "model_a",
    "model_b",
    "status",
    "anonymous",
    "source",
    "external_id",
    "prompt_hash",
    "language",
)
_VOTE_COLUMNS = (
    "battle_id",
    "created_at",
    "voter",
    "source",
    "verdict",
    "counted",
    "reason",
    "model_a",
    "model_b",
    "category",
    "a_tokens",
    "b_tokens",
    "a_headers",
    "b_headers",
    "a_lists",
    "b_lists",
    "a_bold",
    "b_bold",
)
_ANSWER_COLUMNS = (
    "battle_id",
    "turn",
    "side",
    "prompt",
    "content",
    "reasoning",
    "style_tokens",
    "style_headers",
    "style_lists",
    "style_bold",
)
# a vote without style counts: the columns after these stay NULL
_VOTE_COLUMNS_NO_STYLE = _VOTE_COLUMNS[:10]
_COMPLETE = BattleStatus.COMPLETE.value
_first = itemgetter(0)
_VERDICT_VALUE = {v: v.value for v in Verdict}  # faster than Enum.value per row
_NON_ANONYMOUS = VoteReason.IMPORTED_NON_ANONYMOUS.value


class ImportWriter:
    """Writes imported battles and votes on one connection, a batch at a time.

    The caller's transaction makes the whole import all or nothing; :meth:`finish` writes
    what is buffered and adds the pair counts of the counted votes written.
    """

    def __init__(
        self, conn: Connection, source_label: str, expected_rows: int = 0, *, write: bool = True
    ) -> None:
        self.conn = conn
        if write:
            serialise(conn)
        self.source_label = source_label
        self.written = 0
        self.battles_added = 0
        self._stamp = now()
        self._battles: list[tuple[Any, ...]] = []
        self._votes: list[tuple[Any, ...]] = []
        self._answers: list[tuple[Any, ...]] = []
        self._inc: pair_count_cache.Increments = defaultdict(lambda: [0, 0, 0, 0])
        self._time = time_processor(conn)
        self._write = row_writer(conn)
        # only a database that already holds imported battles needs asking about each row
        self.had_imports = (
            conn.execute(
                select(import_sources.c.source).where(import_sources.c.source == source_label)
            ).first()
            is not None
        )
        self._rebuild = self._set_indexes_aside(expected_rows)

    def stored(self, external_ids: Sequence[str]) -> dict[str, StoredImport]:
        """The battles (and their votes) already stored under these external ids."""
        found: dict[str, StoredImport] = {}
        if not self.had_imports:
            return found
        for start in range(0, len(external_ids), LOOKUP_BATCH):
            ids = {
                import_battle_id(self.source_label, e): e
                for e in external_ids[start : start + LOOKUP_BATCH]
            }
            query = (
                select(
                    battles.c.id,
                    battles.c.model_a,
                    battles.c.model_b,
                    votes.c.source,
                    votes.c.verdict,
                )
                .select_from(battles.outerjoin(votes, votes.c.battle_id == battles.c.id))
                .where(battles.c.id.in_(list(ids)))
            )
            for bid, a, b, source, verdict in self.conn.execute(query):
                entry = found.setdefault(ids[bid], StoredImport(bid, a, b, {}))
                if source is not None:
                    entry.votes[source] = verdict
        return found

    def add(self, item: ImportedBattle, *, battle_id: str, new_battle: bool = True) -> None:
        """Buffer one battle (unless it is already stored) with its answers and its vote."""
        created = self._time(item.created_at or self._stamp)
        if new_battle:
            self.battles_added += 1
            self._battles.append(
                (
                    battle_id,
                    created,
                    item.category,
                    item.model_a,
                    item.model_b,
                    _COMPLETE,
                    item.anonymous,
                    self.source_label,
                    item.external_id,
                    prompt_hash(item.prompt) if item.prompt else None,
                    normalise_language(item.extra.get("language")),
                )
            )
            for side, text, st in (
                ("a", item.answer_a, item.style_a),
                ("b", item.answer_b, item.style_b),
            ):
                if text:  # no text, no answer row: the vote carries the style counts
                    self._answers.append(
                        (
                            battle_id,
                            0,
                            side,
                            storable_text(item.prompt),
                            storable_text(text),
                            "",
                            st.tokens if st else None,
                            st.headers if st else None,
                            st.lists if st else None,
                            st.bold if st else None,
                        )
                    )
        reason = item.not_counted_reason or (None if item.anonymous else _NON_ANONYMOUS)
        sa, sb = item.style_a, item.style_b
        self._votes.append(
            (
                battle_id,
                created,
                item.voter,
                item.source,
                _VERDICT_VALUE[item.verdict],
                reason is None,
                reason,
                item.model_a,
                item.model_b,
                item.category,
                sa.tokens if sa else None,
                sb.tokens if sb else None,
                sa.headers if sa else None,
                sb.headers if sb else None,
                sa.lists if sa else None,
                sb.lists if sb else None,
                sa.bold if sa else None,
                sb.bold if sb else None,
            )
        )
        if reason is None:
            self._inc[(item.source, item.category, item.model_a, item.model_b)][
                OUTCOME[item.verdict]
            ] += 1
        self.written += 1
        if len(self._votes) >= BATCH:
            self.flush()

    def unix_times(self, seconds: Any) -> list[Any]:
        """Unix times (a numpy array) as ``add`` writes ``datetime.fromtimestamp(t, UTC)``:
        on SQLite its text, made by pyarrow at once (rounded alike: to the nearest
        microsecond, ties to even; a cast to text, twenty times faster than ``strftime``,
        writes the same ``YYYY-MM-DD HH:MM:SS.ffffff``); elsewhere through the column
        type, one at a time."""
        import numpy as np

        if self.conn.dialect.name != "sqlite":
            utc = datetime.fromtimestamp
            return [self._time(utc(t, UTC)) for t in seconds.tolist()]
        import pyarrow as pa

        whole = np.floor(seconds)
        micros = whole.astype(np.int64) * 1_000_000 + np.rint((seconds - whole) * 1e6).astype(
            np.int64
        )
        stamps = pa.array(micros, pa.timestamp("us")).cast(pa.string())
        return list(stamps.to_pylist())

    def add_battles(
        self,
        battle_ids: list[str],
        created: list[Any],
        category: str,
        model_a: list[str],
        model_b: list[str],
        anonymous: list[bool],
        external_ids: list[str],
        languages: list[str | None] | None = None,
    ) -> None:
        """Write new battles given as columns (one entry a battle), without answers;
        ``languages``: the log's language of each (ISO codes, see normalise_language)."""
        self.flush()
        n = len(battle_ids)
        langs = languages if languages is not None else [None] * n
        self.battles_added += n
        if n:
            self._write(
                battles,
                _BATTLE_COLUMNS,
                list(
                    zip(
                        battle_ids, created, [category] * n, model_a, model_b,
                        [_COMPLETE] * n, anonymous, [self.source_label] * n, external_ids,
                        [None] * n, langs, strict=True,
                    )
                ),
            )  # fmt: skip

    def add_votes(
        self,
        battle_ids: list[str],
        created: list[Any],
        category: str,
        model_a: list[str],
        model_b: list[str],
        anonymous: list[bool],
        voters: list[str | None],
        verdicts: list[str],
    ) -> None:
        """Write human votes given as columns, without style counts; a vote that is not
        anonymous does not count. The caller adds their pair counts (:meth:`add_increments`)."""
        self.flush()
        n = len(battle_ids)
        if n:
            reasons = [None if a else _NON_ANONYMOUS for a in anonymous]
            self._write(
                votes,
                _VOTE_COLUMNS_NO_STYLE,
                list(
                    zip(
                        battle_ids, created, voters, [HUMAN] * n, verdicts, anonymous, reasons,
                        model_a, model_b, [category] * n, strict=True,
                    )
                ),
            )  # fmt: skip
            self.written += n

    def add_increments(self, increments: pair_count_cache.Increments) -> None:
        """Pair counts of votes written by :meth:`add_votes`, added at :meth:`finish`."""
        for key, row in increments.items():
            cell = self._inc[key]
            for i, v in enumerate(row):
                cell[i] += v

    def flush(self) -> None:
        # battles first: answers and votes refer to them. Battles in id order: the random
        # ids then land near each other in the index, which grows faster so. Votes keep
        # the file's order (their ids are the order of the vote log).
        self._battles.sort(key=_first)
        if self._battles:
            self._write(battles, _BATTLE_COLUMNS, self._battles)
        if self._answers:
            self._write(answers, _ANSWER_COLUMNS, self._answers)
        if self._votes:
            self._write(votes, _VOTE_COLUMNS, self._votes)
        self._battles.clear()
        self._answers.clear()
        self._votes.clear()

    def _set_indexes_aside(self, expected_rows: int) -> list[str]:
        """SQLite, a large import into a database holding fewer battles than it brings:
        drop the secondary indexes of the tables written and build them again at the end,
        in the same transaction (sorting once costs a third of updating them row by row).
        Only when no row needs looking up: the lookups use one of these indexes."""
        if (
            self.conn.dialect.name != "sqlite"
            or self.had_imports
            or expected_rows < BULK_INDEX_ROWS
            or expected_rows
            < (self.conn.exec_driver_sql("SELECT max(rowid) FROM battles").scalar() or 0)
        ):
            return []
        found = self.conn.exec_driver_sql(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
            "AND tbl_name IN ('battles', 'answers', 'votes')"
        ).all()
        for name, _ in found:
            self.conn.exec_driver_sql(f'DROP INDEX "{name}"')
        return [sql for _, sql in found]

    def finish(self) -> None:
        self.flush()
        for sql in self._rebuild:
            self.conn.exec_driver_sql(sql)
        self._rebuild = []
        pair_count_cache.bump(self.conn, dict(self._inc))
        self._inc.clear()
        if self.battles_added:
            self._count_source()

    def _count_source(self) -> None:
        """Add the battles written to this import's label in ``import_sources``."""
        label, stamp = self.source_label, now()
        added = self.conn.execute(
            update(import_sources)
            .where(import_sources.c.source == label)
            .values(battles=import_sources.c.battles + self.battles_added, imported_at=stamp)
        ).rowcount
        if not added:
            self.conn.execute(
                insert(import_sources).values(
                    source=label, battles=self.battles_added, imported_at=stamp
                )
            )
        self.battles_added = 0

    def close(self) -> None:
        """Drop what is buffered (after an error: the transaction is rolled back)."""
        self._battles.clear()
        self._answers.clear()
        self._votes.clear()


def insert_imported(conn: Connection, rows: Iterable[ImportedBattle], source_label: str) -> int:
    """Insert every row (a battle, its first-turn answers and its vote) and bump the pair
    counts, on ``conn``: the caller's transaction makes it all or nothing. A row with an
    external id gets the battle of that id (see :func:`import_battle_id`); deduplicating
    rows is the importer's job (``modelarena.io``)."""
    writer = ImportWriter(conn, source_label)
    with bulk_pragmas(conn), contextlib.closing(writer):
        for item in rows:
            bid = (
                import_battle_id(source_label, item.external_id)
                if item.external_id is not None
                else new_battle_id()
            )
            writer.add(item, battle_id=bid)
        writer.finish()
    return writer.written


def export_query(*, counted_only: bool) -> Select[Any]:
    """Votes with their battle's first-turn prompt and answers, oldest first."""
    aa, ab = answers.alias("aa"), answers.alias("ab")
    query = (
        select(
            votes,
            battles.c.external_id,
            battles.c.anonymous,
            func.coalesce(aa.c.prompt, ab.c.prompt, "").label("prompt"),
            func.coalesce(aa.c.content, "").label("answer_a"),
            func.coalesce(ab.c.content, "").label("answer_b"),
        )
        .join(battles, votes.c.battle_id == battles.c.id)
        .outerjoin(aa, and_(aa.c.battle_id == votes.c.battle_id, aa.c.turn == 0, aa.c.side == "a"))
        .outerjoin(ab, and_(ab.c.battle_id == votes.c.battle_id, ab.c.turn == 0, ab.c.side == "b"))
        .order_by(votes.c.id)
    )
    if counted_only:
        query = query.where(votes.c.counted.is_(True))
    return query
