"""Import a vote log: validate every row, then store them all in one transaction, or none.

Two passes over the file keep memory flat for large logs: the first maps and checks every
row and gathers the report; only when it found no error does the second map them again
straight into :meth:`Store.import_battles`, which writes them in a single transaction.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from modelarena.battles.categories import CATEGORY_IDS
from modelarena.catalog import Catalog
from modelarena.io.errors import VoteLogError
from modelarena.io.formats import Format, detect_format
from modelarena.io.mapping import KNOWN_COLUMNS, RowError, RowMapper, Skip, missing_columns
from modelarena.io.readers import RowSource, open_log
from modelarena.store import ImportedBattle, Store

SOURCE_LABEL = "import"

# Progress hooks: ``start(phase, total)`` then ``advance(rows)``; the CLI draws bars.
ProgressStart = Callable[[str, int | None], None]
ProgressAdvance = Callable[[int], None]

SKIP_REASONS = {
    "not_human": "judge (non-human) votes: import stores human votes only",
    "same_catalog_model": "both names resolve to the same catalog model",
}


@dataclass
class ImportReport:
    path: Path
    format: Format
    rows: int = 0  # data rows read
    imported: int = 0  # stored (or, in a dry run, that would be stored)
    counted: int = 0
    not_counted: int = 0  # non-anonymous: stored with reason imported_non_anonymous
    skipped: Counter[str] = field(default_factory=Counter)  # reason code -> rows
    unknown_models: Counter[str] = field(default_factory=Counter)  # name -> battles
    resolved_models: Counter[str] = field(default_factory=Counter)  # catalog id -> battles
    seconds: float = 0.0
    dry_run: bool = False


@dataclass
class _Progress:
    start: ProgressStart | None = None
    advance: ProgressAdvance | None = None
    pending: int = 0
    every: int = 1000  # report in steps: a call per row would cost more than the row

    def begin(self, phase: str, total: int | None) -> None:
        self.flush()
        if self.start:
            self.start(phase, total)

    def step(self) -> None:
        self.pending += 1
        if self.pending >= self.every:
            self.flush()

    def flush(self) -> None:
        if self.advance and self.pending:
            self.advance(self.pending)
        self.pending = 0


def import_file(
    path: str | Path,
    *,
    catalog: Catalog,
    store: Store | None,
    fmt: str | None = None,
    category_default: str = "chat",
    dry_run: bool = False,
    on_start: ProgressStart | None = None,
    on_advance: ProgressAdvance | None = None,
) -> ImportReport:
    """Import every vote in ``path`` into ``store`` (nothing is written when ``dry_run``).

    Raises :class:`VoteLogError` naming the file, the row and the reason at the first bad
    row, before anything is written.
    """
    began = time.perf_counter()
    path = Path(path)
    if category_default not in CATEGORY_IDS:
        raise VoteLogError(
            f"unknown category {category_default!r}; choose one of: {', '.join(CATEGORY_IDS)}"
        )
    if store is None and not dry_run:
        raise ValueError("a store is needed unless dry_run is set")
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

    progress.begin("checking", source.total)
    mapper = RowMapper(catalog.resolve, category_default=category_default, text_style=False)
    for raw_a, raw_b, item in _mapped(source, mapper, progress):
        report.rows += 1
        if isinstance(item, Skip):
            report.skipped[item.reason] += 1
            continue
        report.imported += 1
        if item.anonymous:
            report.counted += 1
        else:
            report.not_counted += 1
        for raw, resolved in ((raw_a, item.model_a), (raw_b, item.model_b)):
            if mapper.resolve(raw) is None:
                report.unknown_models[raw] += 1
            else:
                report.resolved_models[resolved] += 1
    if report.rows == 0:
        raise VoteLogError(f"{path}: no votes in the file (it has no data rows)")

    if not dry_run and report.imported:
        assert store is not None
        progress.begin("storing", report.rows)
        mapper.text_style = True
        battles = (
            item
            for _, _, item in _mapped(source, mapper, progress)
            if isinstance(item, ImportedBattle)
        )
        # a row that fails now (the file changed) raises inside the transaction: rolled back
        store.import_battles(battles, source_label=SOURCE_LABEL)
    report.seconds = time.perf_counter() - began
    return report


def _mapped(
    source: RowSource, mapper: RowMapper, progress: _Progress
) -> Iterator[tuple[str, str, ImportedBattle | Skip]]:
    for where, row in source.rows():
        try:
            item = mapper.map(row)
        except RowError as exc:
            raise VoteLogError(f"{source.path}, {where}: {exc}") from None
        progress.step()
        yield str(row["model_a"]).strip(), str(row["model_b"]).strip(), item
    progress.flush()
