"""The fast path of ``arena import``: a published JSON Lines log, a column at a time.

pyarrow's JSON reader (multi-threaded C++) parses the file into columns; the checks and the
mapping of the row-by-row importer then run once per column (model names once per distinct
name, verdicts once per distinct spelling, times with numpy), and rows are built as plain
tuples only a batch at a time. It takes the files that make up the published logs
(``question_id``, ``model_a``, ``model_b``, ``winner``, ``judge``, ``anony``, ``tstamp``,
and columns the importer does not read); any other file, and any file with a value the
checks do not accept as is, goes the row-by-row way (:mod:`modelarena.io.importer`), which
stores the same rows, or names the line that is wrong. Both give the same database.

pyarrow comes with ``pip install 'modelarena[parquet]'``; without it every file takes the
row-by-row way.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from modelarena.battles.language import normalise_language
from modelarena.battles.records import Verdict
from modelarena.io.dedupe import Outcome as Decided
from modelarena.io.mapping import TEXT_LIMIT
from modelarena.store import HUMAN, ImportedBattle
from modelarena.store.bulk import IMPORT_ID_PERSON, LOOKUP_BATCH, ImportWriter
from modelarena.store.rows import OUTCOME

if TYPE_CHECKING:
    from modelarena.io.dedupe import ImportKeys

# the columns the fast path reads; a file with another column the importer reads goes the
# row-by-row way
REQUIRED = ("question_id", "model_a", "model_b", "winner", "tstamp")
OPTIONAL = ("judge", "anony", "language")
MAX_UNIX_TIME = 253_402_300_799  # 9999-12-31T23:59:59Z, the last time datetime holds
SCAN_CHUNK = 8 << 20
STORED_BATCH = 10 * LOOKUP_BATCH  # rows looked up at a time when earlier imports exist
BATCH = 20_000  # rows a batch: only the rows of one batch are Python objects
READ_BLOCK = 1 << 20  # bytes of JSON parsed at a time: larger blocks take more memory
# Python's str.strip() whitespace: a value that starts or ends with one is left to the
# row-by-row way (which strips it)
SPACE = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004"
    "\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
_EDGE_SPACE = f"^[{re.escape(SPACE)}]|[{re.escape(SPACE)}]$"
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")


@dataclass
class Columns:
    """A log read into columns, checked: one entry per data row, in file order."""

    table: Any  # pyarrow.Table
    rows: int
    battle_ids: Any  # numpy array of each row's battle id (ASCII bytes)

    def release(self) -> None:
        """Give the memory back (before the indexes are built, which take some)."""
        import pyarrow as pa

        self.table = self.battle_ids = None
        pa.default_memory_pool().release_unused()


@dataclass
class FastResult:
    """What the fast path did, for the import report."""

    rows: int = 0
    imported: int = 0
    counted: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    names: Counter[str] = field(default_factory=Counter)  # raw names -> battles not skipped
    conflicts: list[str] = field(default_factory=list)


def read(path: Path, source_label: str) -> Columns | None:
    """The log as checked columns, or None when it is not for the fast path (no pyarrow,
    another column, a value to strip or to refuse, blank lines, repeated ids)."""
    try:
        import pyarrow as pa
        import pyarrow.compute as pc
        import pyarrow.json as pj
    except ImportError:
        return None
    newlines, last_byte, escaped = _scan(path)
    if escaped:  # an escaped UTF-16 surrogate: the row-by-row way checks them
        return None
    table = _read_columns(pa, pj, path)
    if table is None:
        return None
    n = table.num_rows
    # one row a line, no blank line: row i is line i + 1 (error messages name lines)
    if n == 0 or newlines != n - (last_byte != b"\n"):
        return None
    names = set(table.column_names)
    string, boolean = pa.string(), pa.bool_()
    for name in ("question_id", "model_a", "model_b", "winner", "judge"):
        if name not in names:
            continue
        col = table.column(name)
        if col.type != string:
            return None
        if name != "judge" and col.null_count:
            return None
        try:
            col.validate(full=True)  # UTF-8
        except pa.ArrowInvalid:
            return None
        if name == "winner":
            try:  # each spelling once; one the parser refuses: the row-by-row way names it
                for value in pc.unique(col).to_pylist():
                    Verdict.parse(value)
            except ValueError:
                return None
            continue
        if (
            pc.any(pc.equal(pc.utf8_length(col), 0)).as_py()
            or pc.any(pc.greater(pc.utf8_length(col), TEXT_LIMIT)).as_py()
            or pc.any(pc.match_substring(col, "\x00")).as_py()
            or pc.any(pc.match_substring_regex(col, _EDGE_SPACE)).as_py()
        ):
            return None
    if "anony" in names and table.column("anony").type != boolean:
        return None
    ts = table.column("tstamp")
    if not (pa.types.is_floating(ts.type) or pa.types.is_integer(ts.type)) or ts.null_count:
        return None
    if pa.types.is_floating(ts.type) and pc.any(pc.is_nan(ts)).as_py():
        return None
    low, high = pc.min_max(ts).values()
    if low.as_py() < 0 or high.as_py() > MAX_UNIX_TIME:
        return None
    if pc.any(pc.equal(table.column("model_a"), table.column("model_b"))).as_py():
        return None
    import numpy as np

    battle_ids = _battle_ids(np, source_label, table.column("question_id"))
    ordered = np.sort(battle_ids)
    if (ordered[1:] == ordered[:-1]).any():  # an id repeated (the row-by-row way tells)
        return None
    del ordered
    pa.default_memory_pool().release_unused()  # what the checks took, back to the system
    return Columns(table, n, battle_ids)


def _read_columns(pa: Any, pj: Any, path: Path) -> Any:
    """The columns the fast path reads, a block of the file at a time (only those are
    kept: a third of the memory of the whole table); None for a file not for it."""
    from modelarena.io.mapping import KNOWN_COLUMNS

    batches = []
    keep: list[str] = []
    try:
        for batch in pj.open_json(path, read_options=pj.ReadOptions(block_size=READ_BLOCK)):
            names = set(batch.schema.names)
            if not set(REQUIRED) <= names or (names & KNOWN_COLUMNS) - {*REQUIRED, *OPTIONAL}:
                return None
            keep = keep or [c for c in (*REQUIRED, *OPTIONAL) if c in names]
            batches.append(batch.select(keep))
        return pa.Table.from_batches(batches) if batches else None
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError, KeyError, OSError):
        return None


def _scan(path: Path) -> tuple[int, bytes, bool]:
    """Newlines in the file, its last byte, and whether it escapes a UTF-16 surrogate."""
    newlines, last, escaped, tail = 0, b"", False, b""
    with path.open("rb", buffering=0) as f:
        while block := f.read(SCAN_CHUNK):
            newlines += block.count(b"\n")
            escaped = escaped or _SURROGATE_ESCAPE.search(tail + block) is not None
            tail, last = block[-5:], block[-1:]
    return newlines, last, escaped


def import_columns(
    cols: Columns,
    *,
    writer: ImportWriter,
    keys: ImportKeys,
    resolve: Callable[[str], str | None],
    category: str,
    write: bool,
    on_conflict: str,
    describe_limit: int,
    step: Callable[[int], None],
) -> FastResult:
    """Map, deduplicate and write every row of ``cols`` (nothing when ``write`` is False)."""
    import numpy as np
    import pyarrow as pa

    table, n = cols.table, cols.rows
    names_in = table.column_names
    out = FastResult(rows=n)
    # model names: each distinct name resolved once, then codes
    names, name_a, name_b = _name_codes(np, table)
    models = [resolve(name) or name for name in names]
    model_ids = sorted(set(models))
    index = {m: i for i, m in enumerate(model_ids)}
    model_code = np.array([index[m] for m in models], dtype=np.int32)
    ma, mb = model_code[name_a], model_code[name_b]
    kept = ma != mb  # else both names resolve to one catalog model: skipped
    if skipped := int(n - kept.sum()):
        out.skipped["same_catalog_model"] = skipped
    counts = np.bincount(name_a[kept], minlength=len(names))
    counts += np.bincount(name_b[kept], minlength=len(names))
    out.names.update({names[i]: int(c) for i, c in enumerate(counts.tolist()) if c})
    del name_a, name_b

    winner = table.column("winner").combine_chunks().dictionary_encode()
    spelled = [Verdict.parse(w) for w in winner.dictionary.to_pylist()]
    verdict_of = winner.indices.to_numpy(zero_copy_only=False)
    outcome = np.array([OUTCOME[v] for v in spelled], dtype=np.int8)[verdict_of]
    values = [v.value for v in spelled]
    if "anony" in names_in:
        anony = table.column("anony").fill_null(True).to_numpy(zero_copy_only=False)
    else:
        anony = np.ones(n, dtype=bool)
    tstamp = table.column("tstamp").to_numpy().astype(np.float64)
    languages = _language_codes(np, table) if "language" in names_in else None
    # what is left to read a batch at a time: the rest is in numpy arrays now
    cols.table = table = table.select([c for c in ("question_id", "judge") if c in names_in])
    pa.default_memory_pool().release_unused()

    m = len(model_ids)
    increments = np.zeros((m * m, 4), dtype=np.int64)  # pair counts of counted votes
    ids = table.column("question_id")
    voters = table.column("judge") if "judge" in table.column_names else None
    refused = on_conflict == "refuse"
    bids = cols.battle_ids
    take = kept.copy()
    if writer.had_imports:  # rows an earlier import stored: decided one by one
        for start in range(0, n, STORED_BATCH):
            size = min(n, start + STORED_BATCH) - start
            voter = voters.slice(start, size).to_pylist() if voters else [None] * size
            rows = _Batch(
                start, ids.slice(start, size).to_pylist(), voter, tstamp, model_ids, ma, mb,
                spelled, verdict_of, anony,
            )  # fmt: skip
            special = _stored_rows(writer, keys, rows, take, category, out, describe_limit)
            if write and not (refused and out.conflicts):
                for item, battle_id in special:
                    writer.add(item, battle_id=battle_id, new_battle=False)
    picked = np.flatnonzero(take)
    out.imported += len(picked)
    out.counted += int(anony[picked].sum())
    write = write and not (refused and out.conflicts)
    if not write:
        step(n)
        return out
    counted = picked[anony[picked]]
    np.add.at(increments, (ma[counted] * m + mb[counted], outcome[counted]), 1)

    def columns(at: Any) -> tuple[list[str], list[Any], list[str], list[str], list[bool]]:
        return (
            bids[at].astype(str).tolist(),
            writer.unix_times(tstamp[at]),
            [model_ids[i] for i in ma[at].tolist()],
            [model_ids[i] for i in mb[at].tolist()],
            anony[at].tolist(),
        )

    # battles in id order: their random ids then land at the end of the primary key index
    # (a third faster than a batch at a time); votes in the file's order, which their ids
    # keep (the export and the vote log list them so)
    in_id_order = picked[np.argsort(bids[picked], kind="stable")]
    for start in range(0, len(picked), BATCH):
        at = in_id_order[start : start + BATCH]
        battle_ids, created, a_names, b_names, flags = columns(at)
        external = ids.take(at).to_pylist()
        langs = languages[at].tolist() if languages is not None else None
        writer.add_battles(battle_ids, created, category, a_names, b_names, flags, external, langs)
        step(len(at) // 2)
    for start in range(0, len(picked), BATCH):
        at = picked[start : start + BATCH]
        battle_ids, created, a_names, b_names, flags = columns(at)
        voter = voters.take(at).to_pylist() if voters is not None else [None] * len(at)
        verdict = [values[i] for i in verdict_of[at].tolist()]
        writer.add_votes(battle_ids, created, category, a_names, b_names, flags, voter, verdict)
        step(len(at) - len(at) // 2)
    step(n - len(picked))
    if write and not (refused and out.conflicts):
        writer.add_increments(
            {
                (HUMAN, category, model_ids[k // m], model_ids[k % m]): row
                for k, row in enumerate(increments.tolist())
                if any(row)
            }
        )
    return out


def _battle_ids(np: Any, source_label: str, ids: Any) -> Any:
    """Every row's battle id (:func:`modelarena.store.bulk.import_battle_id`), as ASCII
    bytes in a numpy array (24 bytes a row)."""
    label = source_label.encode("utf-8") + b"\x1f"
    found = np.empty(len(ids), dtype="S24")
    for start in range(0, len(ids), BATCH):
        chunk = ids.slice(start, BATCH).to_pylist()
        found[start : start + len(chunk)] = [
            hashlib.blake2b(label + e.encode("utf-8"), digest_size=12, person=IMPORT_ID_PERSON)
            .hexdigest()
            .encode("ascii")
            for e in chunk
        ]
    return found


def _name_codes(np: Any, table: Any) -> tuple[list[str], Any, Any]:
    """The distinct model names of both columns, and each row's code into them."""
    a = table.column("model_a").combine_chunks().dictionary_encode()
    b = table.column("model_b").combine_chunks().dictionary_encode()
    da, db = a.dictionary.to_pylist(), b.dictionary.to_pylist()
    names = sorted(set(da) | set(db))
    code = {name: i for i, name in enumerate(names)}
    ca = np.array([code[x] for x in da], dtype=np.int32)[a.indices.to_numpy(zero_copy_only=False)]
    cb = np.array([code[x] for x in db], dtype=np.int32)[b.indices.to_numpy(zero_copy_only=False)]
    return names, ca, cb


@dataclass
class _Batch:
    """One batch of rows, for the few decided one by one."""

    start: int
    ext: list[str]
    voter: list[str | None]
    tstamp: Any
    model_ids: list[str]
    ma: Any
    mb: Any
    spelled: list[Verdict]
    verdict_of: Any
    anony: Any

    def item(self, i: int, category: str) -> ImportedBattle:
        at = self.start + i
        return ImportedBattle(
            model_a=self.model_ids[self.ma[at]],
            model_b=self.model_ids[self.mb[at]],
            verdict=self.spelled[self.verdict_of[at]],
            category=category,
            anonymous=bool(self.anony[at]),
            voter=self.voter[i],
            created_at=datetime.fromtimestamp(float(self.tstamp[at]), UTC),
            external_id=self.ext[i],
        )


def _stored_rows(
    writer: ImportWriter,
    keys: ImportKeys,
    rows: _Batch,
    take: Any,
    category: str,
    out: FastResult,
    describe_limit: int,
) -> list[tuple[ImportedBattle, str]]:
    """Rows of this batch an earlier import stored: the row-by-row importer's rules decide
    (already imported, a conflict, or another vote on a stored battle); they leave ``take``."""
    found = writer.stored(rows.ext)
    special: list[tuple[ImportedBattle, str]] = []
    for i, e in enumerate(rows.ext):
        stored = found.get(e)
        if stored is None or not take[rows.start + i]:
            continue
        take[rows.start + i] = False
        at = rows.start + i
        if stored.votes.get(HUMAN) == rows.spelled[rows.verdict_of[at]].value:
            # what keys.decide says for it, without remembering the id (no id repeats)
            out.skipped["already_imported"] += 1
            continue
        item = rows.item(i, category)
        decision, battle_id, conflict = keys.decide(item, rows.start + i + 1, stored)
        if decision is Decided.ALREADY_STORED:
            out.skipped["already_imported"] += 1
        elif decision is Decided.CONFLICT:
            out.skipped["conflict"] += 1
            if len(out.conflicts) < describe_limit:
                out.conflicts.append(conflict)
        else:  # another vote source on a stored battle
            out.imported += 1
            out.counted += item.anonymous
            special.append((item, battle_id))
    return special


def _language_codes(np: Any, table: Any) -> Any:
    """The log's ``language`` column as stored (ISO codes, or None), one entry a row: each
    distinct label normalised once (``English`` -> ``en``)."""
    import pyarrow.compute as pc

    column = table.column("language").combine_chunks()
    if column.type != "string":
        column = pc.cast(column, "string")
    encoded = column.dictionary_encode()
    labels = [normalise_language(x) for x in encoded.dictionary.to_pylist()] + [None]
    codes = pc.fill_null(encoded.indices, len(labels) - 1).to_numpy(zero_copy_only=False)
    return np.array(labels, dtype=object)[codes]
