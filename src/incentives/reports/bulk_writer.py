"""Streams the bulk sheets (`bulk_sheets`) from the run folder into the workbook's package.

results.csv holds every policy's rows, interleaved by employee: it is read once, each
policy's rows going, as sheet XML, to a temporary file per worksheet, copied into the package
afterwards. Each breakdown file follows its policy's rows of results.csv (the same employees
in the same order), which give each row's currency and complete the employee's facts.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator, Mapping, Sequence
from itertools import chain
from pathlib import Path
from typing import IO

import attrs

from incentives.reports.bulk_sheets import BulkSheet, widths
from incentives.reports.run_source import FactGatherer, RunSource, fault
from incentives.reports.sheet_xml import SheetRows, sheet_head, sheet_tail
from incentives.reports.styles import Styles
from incentives.reports.zip_entries import DeflateFile, EntryWriter

__all__ = [
    "Spooled", "entry", "gather_breakdown", "spool_results", "style_ids", "write_bulk",
    "write_streamed",
]  # fmt: skip

_FIXED_TIME = (1980, 1, 1, 0, 0, 0)  # zip entries: same inputs, same bytes
_CHUNK = 2000  # rows joined per write
_SAMPLE = 50  # rows that size the columns


def entry(name: str) -> zipfile.ZipInfo:
    """A zip entry with a fixed date, deflated fast (these parts are large)."""
    info = zipfile.ZipInfo(name, _FIXED_TIME)
    info.compress_type = zipfile.ZIP_DEFLATED
    info._compresslevel = 1  # type: ignore[attr-defined]
    return info


@attrs.define
class _Spool:
    """One policy's Results sheet being written into temporary files, a file per part."""

    sheet: BulkSheet
    rows: SheetRows
    folder: Path
    index: int
    per: int  # data rows per part
    files: list[Path] = attrs.Factory(list)
    sample: list[list[str]] = attrs.Factory(list)
    part: int = -1
    in_part: int = 0
    stream: IO[str] | None = None
    pending: list[str] = attrs.Factory(list)

    def add(self, cells: list[str], currency: str) -> None:
        if self.stream is None or self.in_part == self.per:
            self._next_part()
        if len(self.sample) < _SAMPLE:
            self.sample.append(cells)
        self.in_part += 1
        self.pending.append(self.rows.row(self.in_part + 1, cells, currency))
        if len(self.pending) >= _CHUNK:
            self.flush()

    def flush(self) -> None:
        if self.stream is not None and self.pending:
            self.stream.write("".join(self.pending))
        self.pending = []

    def _next_part(self) -> None:
        self.flush()
        if self.stream is not None:
            self.stream.close()
        self.part += 1
        self.in_part = 0
        path = self.folder / f"{self.index}-{self.part}.xml"
        self.files.append(path)
        self.stream = path.open("w", encoding="utf-8")

    def close(self) -> None:
        self.flush()
        if self.stream is not None:
            self.stream.close()


@attrs.frozen
class Spooled:
    """results.csv read: each policy's Results sheet in temporary files (a file per part),
    the currency of each of its rows (for its breakdown), and its rows counted."""

    spools: Mapping[str, _Spool]
    currencies: Mapping[str, list[str]]

    @property
    def counts(self) -> dict[str, int]:
        return {policy: len(found) for policy, found in self.currencies.items()}


def spool_results(
    source: RunSource,
    sheets: Sequence[BulkSheet],
    gatherers: Mapping[str, FactGatherer],
    styles: Styles,
    folder: Path,
    max_rows: int,
) -> Spooled:
    """Read results.csv once: each policy's rows as sheet XML into ``folder``, their facts
    begun in ``gatherers``."""
    sheets = [s for s in sheets if s.file == "results.csv"]
    currencies: dict[str, list[str]] = {}
    rows = source.rows("results.csv", ("employee_id", "policy", "currency"))
    header = next(rows)
    policy_at, currency_at = header.index("policy"), header.index("currency")
    spools = {
        str(s.policy): _Spool(
            s, SheetRows(s.columns, styles.bulk, styles.bulk_money()), folder, n, max_rows - 1
        )
        for n, s in enumerate(sheets)
    }
    for gatherer in gatherers.values():
        gatherer.results_header(header)
    found = {policy: currencies.setdefault(policy, []) for policy in spools}
    for row in rows:
        policy = row[policy_at]
        spool = spools.get(policy)
        if spool is None:
            raise fault(source.path / "results.csv", f"policy '{policy}' is not in rulebook.json")
        gatherers[policy].result(row)
        currency = row[currency_at]
        found[policy].append(currency)
        spool.add([row[i] for i in spool.sheet.keep], currency)
    for spool in spools.values():
        spool.close()
    return Spooled(spools, currencies)


def _write_part(
    writer: EntryWriter | DeflateFile,
    name: str,
    sheet: BulkSheet,
    rows: int,
    body: Iterator[bytes],
    styles: Styles | _Ids,
) -> None:
    writer.open(entry(name))
    head = sheet_head(sheet.columns, header_style=styles.bulk["header"], freeze=sheet.freeze)
    writer.write(head.encode())
    for block in body:
        writer.write(block)
    writer.write(sheet_tail(len(sheet.columns), rows).encode())
    writer.close()


def _file_blocks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as stream:
        while block := stream.read(1 << 20):
            yield block


def _streamed(
    source: RunSource,
    sheet: BulkSheet,
    gatherer: FactGatherer | None,
    currencies: Sequence[str] | None,
    styles: Styles | _Ids,
) -> tuple[BulkSheet, Iterator[tuple[int, Iterator[bytes]]]]:
    """A breakdown, Rejected or Not covered sheet: sized, and per part its rows as XML (each
    row in the money format of ``currencies``' row, when given)."""
    rows = source.rows(sheet.file, ())
    header = next(rows)
    sample = [next(rows) for _ in range(min(_SAMPLE, sheet.rows))]
    sized = attrs.evolve(sheet, columns=widths(sheet, sample))
    path = source.path / sheet.file
    if gatherer is not None:
        gatherer.breakdown_header(header)
    if currencies is not None and len(currencies) != sheet.rows:
        raise fault(path, "the file does not match results.csv: rows differ")
    writer = SheetRows(sized.columns, styles.bulk, styles.bulk_money()).row
    source_rows = chain(sample, rows)
    at = 0

    def part(count: int) -> Iterator[bytes]:
        nonlocal at
        pending = []
        for n in range(2, count + 2):
            row = next(source_rows, None)
            if row is None:
                raise fault(path, "the file does not match results.csv: rows are missing")
            currency = currencies[at] if currencies is not None else ""
            if gatherer is not None:
                gatherer.breakdown(row, path)
            at += 1
            pending.append(writer(n, row, currency))
            if len(pending) >= _CHUNK:
                yield "".join(pending).encode("utf-8")
                pending = []
        if pending:
            yield "".join(pending).encode("utf-8")

    def parts() -> Iterator[tuple[int, Iterator[bytes]]]:
        for p in sized.parts:
            yield p.rows, part(p.rows)
        if next(source_rows, None) is not None:
            raise fault(path, "the file does not match results.csv: it has more rows")
        if gatherer is not None:
            gatherer.finish(path)

    return sized, parts()


@attrs.frozen
class _Ids:
    """The style ids of `Styles` that the bulk sheets use, without the workbook (for a worker
    process)."""

    bulk: Mapping[str, int]
    money: Mapping[str, int]

    def bulk_money(self) -> Mapping[str, int]:
        return self.money


def style_ids(styles: Styles) -> _Ids:
    return _Ids(styles.bulk, styles.bulk_money())


def write_streamed(
    writer: EntryWriter | DeflateFile,
    source: RunSource,
    sheet: BulkSheet,
    names: Sequence[str],
    currencies: Sequence[str] | None,
    styles: Styles | _Ids,
    gatherer: FactGatherer | None = None,
) -> None:
    """A sheet streamed from its file into ``writer``, a zip entry per part (``names``)."""
    sized, parts = _streamed(source, sheet, gatherer, currencies, styles)
    for name, (count, body) in zip(names, parts, strict=True):
        _write_part(writer, name, sized, count, body, styles)


def gather_breakdown(
    source: RunSource, sheet: BulkSheet, gatherer: FactGatherer, currencies: Sequence[str]
) -> None:
    """A policy's facts completed from its breakdown file (its sheet written elsewhere), with
    the checks and messages of `write_streamed`."""
    rows = source.rows(sheet.file, ())
    path = source.path / sheet.file
    gatherer.breakdown_header(next(rows))
    if len(currencies) != sheet.rows:
        raise fault(path, "the file does not match results.csv: rows differ")
    add = gatherer.breakdown
    for at, row in enumerate(rows):
        if at == sheet.rows:
            raise fault(path, "the file does not match results.csv: it has more rows")
        add(row, path)
    gatherer.finish(path)


def write_bulk(
    writer: EntryWriter,
    source: RunSource,
    sheets: Sequence[BulkSheet],
    entries: Sequence[Sequence[str]],
    gatherers: Mapping[str, FactGatherer],
    styles: Styles,
    spooled: Spooled,
) -> None:
    """Every bulk sheet into ``writer``, ``entries`` naming each part's zip entry: the Results
    sheets copied from ``spooled``, the others streamed from their files."""
    by_file = {g.policy.breakdown: g for g in gatherers.values()}
    for sheet, names in zip(sheets, entries, strict=True):
        if sheet.file == "results.csv":
            spool = spooled.spools[str(sheet.policy)]
            sized = attrs.evolve(sheet, columns=widths(sheet, spool.sample, kept=True))
            for part, name, path in zip(sheet.parts, names, spool.files, strict=False):
                _write_part(writer, name, sized, part.rows, _file_blocks(path), styles)
            for name in names[len(spool.files) :]:  # a policy without rows
                _write_part(writer, name, sized, 0, iter(()), styles)
            continue
        gatherer = by_file.get(sheet.file)
        found = spooled.currencies.get(gatherer.policy.id, []) if gatherer else None
        write_streamed(writer, source, sheet, names, found, styles, gatherer)
