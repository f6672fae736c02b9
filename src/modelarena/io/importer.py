"""Import a vote log in one pass and one transaction: every row is mapped, checked and
written; the first bad row rolls everything back, so a failed import leaves the database as
it was.

Rows are known by their external id (see :mod:`modelarena.io.dedupe`): a row imported
before, or repeated in the file, is counted and skipped; a row whose id comes back with
another verdict is a conflict, which refuses the file (``on_conflict="refuse"``) or is
skipped and reported (``"skip"``).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from modelarena.battles.categories import CATEGORY_IDS
from modelarena.catalog import Catalog
from modelarena.io import columnar
from modelarena.io.dedupe import ImportKeys, Outcome
from modelarena.io.errors import VoteLogError
from modelarena.io.formats import Format, detect_format
from modelarena.io.mapping import KNOWN_COLUMNS, RowError, RowMapper, Skip, missing_columns
from modelarena.io.readers import RowSource, open_log
from modelarena.store import ImportedBattle, Store
from modelarena.store.bulk import LOOKUP_BATCH, ImportWriter

SOURCE_LABEL = "import"
ON_CONFLICT = ("refuse", "skip")
CONFLICTS_SHOWN = 10
BYTES_PER_ROW_AT_LEAST = 150  # a published log's rows without text: to guess a file's rows

# Progress hooks: ``start(phase, total)`` then ``advance(rows)``; the CLI draws bars.
ProgressStart = Callable[[str, int | None], None]
ProgressAdvance = Callable[[int], None]

SKIP_REASONS = {
    "not_human": "judge (non-human) votes: import stores human votes only",
    "same_catalog_model": "both names resolve to the same catalog model",
    "duplicate": "the same vote as an earlier row of this file",
    "already_imported": "already in the database from an earlier import",
    "conflict": "conflicting: the id came before with another verdict (--on-conflict skip)",
}


@dataclass
class ImportReport:
    path: Path
    format: Format
    rows: int = 0  # data rows read
    imported: int = 0  # stored (or, in a dry run, that would be stored)
    counted: int = 0
    not_counted: int = 0  # stored with a reason (imported_non_anonymous, or the file's)
    skipped: Counter[str] = field(default_factory=Counter)  # reason code -> rows
    conflicts: list[str] = field(default_factory=list)  # the first few, described
    unknown_models: Counter[str] = field(default_factory=Counter)  # name -> battles
    resolved_models: Counter[str] = field(default_factory=Counter)  # catalog id -> battles
    seconds: float = 0.0
    dry_run: bool = False


@dataclass
class _Progress:
    start: ProgressStart | None = None
    advance: ProgressAdvance | None = None
    pending: int = 0
    every: int = 5000  # report in steps: a call per row would cost more than the row

    def begin(self, phase: str, total: int | None) -> None:
        self.flush()
        if self.start:
            self.start(phase, total)

    def step(self, rows: int = 1) -> None:
        self.pending += rows
        if self.pending >= self.every:
            self.flush()

    def flush(self) -> None:
        if self.advance and self.pending:
            self.advance(self.pending)
        self.pending = 0


# (number of the row in the file, raw model_a, raw model_b, what it maps to)
_Mapped = tuple[int, str, str, ImportedBattle | Skip]


def import_file(
    path: str | Path,
    *,
    catalog: Catalog,
    store: Store | None,
    fmt: str | None = None,
    category_default: str = "chat",
    dry_run: bool = False,
    on_conflict: str = "refuse",
    on_start: ProgressStart | None = None,
    on_advance: ProgressAdvance | None = None,
) -> ImportReport:
    """Import every vote in ``path`` into ``store`` (nothing is written when ``dry_run``).

    Raises :class:`VoteLogError` naming the file, the row and the reason at the first bad
    row, or listing the conflicting rows; the database is then left as it was.
    """
    began = time.perf_counter()
    path = Path(path)
    if category_default not in CATEGORY_IDS:
        raise VoteLogError(
            f"unknown category {category_default!r}; choose one of: {', '.join(CATEGORY_IDS)}"
        )
    if on_conflict not in ON_CONFLICT:
        raise VoteLogError(
            f"unknown conflict policy {on_conflict!r}; choose one of: {', '.join(ON_CONFLICT)}"
        )
    if store is None:
        raise ValueError("a store is needed (a dry run reads it to find what is already there)")
    source = open_log(path, detect_format(path, fmt))
    if source.columns is not None:
        missing = missing_columns(source.columns)
        if missing:
            raise VoteLogError(
                f"{path}: missing column {', '.join(repr(m) for m in missing)} "
                f"(columns found: {', '.join(source.columns)})"
            )
        source.wanted = KNOWN_COLUMNS
    progress = _Progress(on_start, on_advance)
    report = ImportReport(path=path, format=source.format, dry_run=dry_run)
    mapper = RowMapper(catalog.resolve, category_default=category_default)
    keys = ImportKeys(SOURCE_LABEL, source.where_label)

    names: Counter[str] = Counter()  # raw model names -> battles
    fast = None
    if source.format is Format.JSONL:
        progress.begin("reading", None)
        fast = columnar.read(path, SOURCE_LABEL)
    total = fast.rows if fast is not None else source.total
    progress.begin("checking" if dry_run else "importing", total)
    expected = total or path.stat().st_size // BYTES_PER_ROW_AT_LEAST
    with store.bulk_import(
        source_label=SOURCE_LABEL, dry_run=dry_run, expected_rows=expected
    ) as writer:
        if fast is not None:
            _import_columns(fast, writer, keys, mapper, names, report, on_conflict, progress)
        else:
            for chunk in _chunks(_mapped(source, mapper, progress), LOOKUP_BATCH):
                _import_chunk(chunk, writer, keys, names, report, dry_run, on_conflict)
        progress.flush()
        for raw, n in names.items():
            resolved = mapper.resolve(raw)
            if resolved is None:
                report.unknown_models[raw] += n
            else:
                report.resolved_models[resolved] += n
        if report.rows == 0:
            raise VoteLogError(f"{path}: no votes in the file (it has no data rows)")
        if report.conflicts and on_conflict == "refuse":
            raise VoteLogError(_conflict_message(path, report))
    report.seconds = time.perf_counter() - began
    return report


def _import_chunk(
    chunk: list[_Mapped],
    writer: ImportWriter,
    keys: ImportKeys,
    names: Counter[str],
    report: ImportReport,
    dry_run: bool,
    on_conflict: str,
) -> None:
    for _, raw_a, raw_b, item in chunk:
        if type(item) is ImportedBattle and item.external_id is None:
            item.external_id = keys.derive(item, raw_a, raw_b)
    stored = {}
    if writer.had_imports:  # only then can a row be in the database already
        stored = writer.stored(
            keys.unseen(i.external_id for *_, i in chunk if type(i) is ImportedBattle)
        )
    skipped = report.skipped
    imported = counted = 0
    refused = on_conflict == "refuse"
    for where, raw_a, raw_b, item in chunk:
        if type(item) is Skip:
            skipped[item.reason] += 1
            continue
        assert isinstance(item, ImportedBattle) and item.external_id is not None
        names[raw_a] += 1
        names[raw_b] += 1
        outcome, battle_id, conflict = keys.decide(item, where, stored.get(item.external_id))
        if outcome is Outcome.DUPLICATE:
            skipped["duplicate"] += 1
        elif outcome is Outcome.ALREADY_STORED:
            skipped["already_imported"] += 1
        elif outcome is Outcome.CONFLICT:
            skipped["conflict"] += 1
            if len(report.conflicts) < CONFLICTS_SHOWN:
                report.conflicts.append(conflict)
        else:
            imported += 1
            if item.not_counted_reason is None and item.anonymous:
                counted += 1
            # a refused import writes nothing more once it knows it will roll back
            if not dry_run and not (refused and report.conflicts):
                writer.add(item, battle_id=battle_id, new_battle=outcome is Outcome.NEW_BATTLE)
    report.rows += len(chunk)
    report.imported += imported
    report.counted += counted
    report.not_counted += imported - counted


def _import_columns(
    cols: columnar.Columns,
    writer: ImportWriter,
    keys: ImportKeys,
    mapper: RowMapper,
    names: Counter[str],
    report: ImportReport,
    on_conflict: str,
    progress: _Progress,
) -> None:
    """The fast path (see :mod:`modelarena.io.columnar`), into the same report."""
    done = columnar.import_columns(
        cols,
        writer=writer,
        keys=keys,
        resolve=mapper.resolve,
        category=mapper.category_default,
        write=not report.dry_run,
        on_conflict=on_conflict,
        describe_limit=CONFLICTS_SHOWN,
        step=progress.step,
    )
    cols.release()
    report.rows += done.rows
    report.imported += done.imported
    report.counted += done.counted
    report.not_counted += done.imported - done.counted
    report.skipped.update(done.skipped)
    report.conflicts.extend(done.conflicts)
    names.update(done.names)


def _conflict_message(path: Path, report: ImportReport) -> str:
    n = report.skipped["conflict"]
    lines = [
        f"{path}: {n:,} row{'s' if n != 1 else ''} repeat an id with another verdict "
        f"(or other models):"
    ]
    lines += [f"  {c}" for c in report.conflicts]
    if n > len(report.conflicts):
        lines.append(f"  ... and {n - len(report.conflicts):,} more")
    lines.append(
        "fix the file, or import the rest with --on-conflict skip (the first verdict of each "
        "id is kept and the conflicting rows are listed)"
    )
    return "\n".join(lines)


def _chunks(rows: Iterator[_Mapped], size: int) -> Iterator[list[_Mapped]]:
    chunk: list[_Mapped] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _mapped(source: RowSource, mapper: RowMapper, progress: _Progress) -> Iterator[_Mapped]:
    for where, row in source.rows():
        try:
            item = mapper.map(row)
        except RowError as exc:
            raise VoteLogError(f"{source.path}, {source.where_label} {where}: {exc}") from None
        progress.step()
        yield where, mapper.raw_a, mapper.raw_b, item
