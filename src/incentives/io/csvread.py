"""Opening CSV input files: UTF-8 (with or without BOM), CRLF or LF, a header row required.

Every file-level fault becomes an `InputFileError` that says what is wrong and what to do.
Data records carry their record number (1 = first data row) and the *physical* line they start
on, so a quoted cell holding a newline does not shift the line numbers of later records.
Blank lines (and rows whose cells are all blank) are skipped.
"""

from __future__ import annotations

import codecs
import csv
import difflib
import hashlib
import io
import itertools
from collections.abc import Collection, Iterator, Sequence
from pathlib import Path
from typing import IO, Any, AnyStr, NamedTuple

import attrs

from incentives.errors import InputFileError
from incentives.io.plain_cells import plain_column

__all__ = [
    "MAX_COLUMNS",
    "MAX_LINE_CHARS",
    "CsvRecord",
    "CsvTable",
    "PlainBlocks",
    "bounded_lines",
    "csv_fault",
    "file_sha256",
    "open_csv",
    "suggest",
]

_BOM = b"\xef\xbb\xbf"
_CHUNK = 1 << 16

MAX_LINE_CHARS = 1_000_000
"""Characters in one line of an input CSV file."""
MAX_COLUMNS = 10_000
"""Columns in the header of an input CSV file."""


class CsvRecord(NamedTuple):
    """One data record: its number (1 = first data row), the line it starts on, its raw fields.
    A named tuple: one is built per record per pass, and a tuple is built fastest."""

    record: int
    line: int
    fields: Sequence[str]


_BLOCK = 1 << 18  # bytes read at a time by the quick full read of `CsvTable.raw_rows`
_BATCH = 4096  # records per batch of `CsvTable.column` where the CSV reader reads


@attrs.frozen
class CsvTable:
    """An opened CSV file whose header has been checked; `records()` re-reads it each call."""

    path: Path
    columns: tuple[str, ...]
    header_line: int
    # where records start, found by a full read (`raw_rows`): (data records before, byte
    # offset, lines before), so that `records(start)` starts near ``start`` (a worker's share)
    _marks: list[tuple[int, int, int]] = attrs.field(factory=list, eq=False, repr=False)

    @property
    def name(self) -> str:
        return str(self.path)

    def index(self, column: str) -> int:
        return self.columns.index(column)

    def fault(self, column: str, message: str, line: int) -> InputFileError:
        """A fault of the cell of ``column`` on ``line`` that stops the read (a sheet names
        the cell: `io.sheet_table.SheetTable`)."""
        return InputFileError(self.name, f"column '{column}': {message}", line=line)

    @property
    def source(self) -> Path:
        """The file the user gave, whose hash the manifest records (a table converted from a
        workbook or through a column mapping reads another file: `io.sheet_table`)."""
        return self.path

    def raw_rows(self) -> Iterator[list[str]]:
        """The fields of each data record, nothing else: the quickest full read (for scans).

        Blocks of whole lines holding no quote, carriage return or NUL are split at line ends
        and commas (what the CSV reader gives for them); from the first other block on, the
        CSV reader reads. A full read also marks where the plain blocks start (see `records`).
        """
        marks: list[tuple[int, int, int]] = []
        rows = _plain_rows(self.path, marks)
        next(rows, None)  # the header: the first non-blank row
        yield from rows
        self._marks[:] = marks

    def column(self, index: int) -> Iterator[list[str]]:
        """The cell in column ``index`` ("" past a short record's end) of each data record, in
        batches (a block of the file each): `raw_rows` taken down to one column, the quickest
        full read for a scan of ids. Plain blocks (see `PlainBlocks`) are cut at C speed
        (`plain_column`), the rest read by the CSV reader; marks are left as `raw_rows` does."""
        marks: list[tuple[int, int, int]] = []
        rows = -1  # data records before the block, -1 before the header (as in `_plain_rows`)
        blocks = PlainBlocks(self.path)
        for _chunk, lines in blocks:
            marks.append((rows, blocks.offset, blocks.line))
            cells = plain_column(lines, index)
            if rows < 0 and cells:  # the header: the first non-blank row
                del cells[0]
                rows = 0
            rows += len(cells)
            yield cells
        if not blocks.complete:
            if rows < 0:  # no plain block with the header: the CSV reader reads it all
                marks.clear()
                rest = _rows(self.path)
                next(rest, None)
            else:
                rest = _rows(self.path, blocks.offset, blocks.line)
            while batch := [
                fields[index] if index < len(fields) else ""
                for _line, fields in itertools.islice(rest, _BATCH)
            ]:
                yield batch
        self._marks[:] = marks

    def records(self, start: int = 0) -> Iterator[CsvRecord]:
        """Stream the data records in file order (the header and blank rows skipped), from
        the ``start``-th (0-based; the ones before are parsed but not built, from the last
        place a full read marked before it, if any)."""
        new = tuple.__new__  # a CsvRecord built without its Python-level __new__ (per record)
        for number, (line, fields) in enumerate(self.lines_and_fields(start), start=start + 1):
            yield new(CsvRecord, (number, line, fields))

    def lines_and_fields(self, start: int = 0) -> Iterator[tuple[int, list[str]]]:
        """`records` without the records: (first line, fields) of each, from the ``start``-th
        (a reader numbering them itself builds no `CsvRecord` per row)."""
        before, offset, lines = max(
            (m for m in self._marks if m[0] <= start), default=(-1, 0, 0)
        )
        rows = _plain_then_csv(self.path, offset, lines) if self._marks else _rows(self.path)
        if before < 0:
            next(rows, None)  # the header: the first non-blank row
            before = 0
        if start > before:
            next(itertools.islice(rows, start - before - 1, start - before), None)
        return rows


def file_sha256(path: str | Path) -> str:
    """The SHA-256 of a file's bytes, in hex."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as stream:
        while chunk := stream.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def suggest(name: str, candidates: Collection[str]) -> str:
    """The closest candidate to ``name`` (ignoring case), or "" when none is close."""
    folded = {candidate.casefold(): candidate for candidate in candidates}
    match = difflib.get_close_matches(name.casefold(), list(folded), n=1, cutoff=0.6)
    return folded[match[0]] if match else ""


def open_csv(path: str | Path, *, required: Collection[str] = (), what: str = "file") -> CsvTable:
    """Open ``path``, read and check its header; ``what`` names the file in messages ("roster")."""
    file = str(path)
    path = Path(path)
    if not path.exists():
        raise InputFileError(file, f"{what} not found; check the path")
    if path.is_dir():
        raise InputFileError(file, f"{what} is a folder, not a CSV file")
    first = next(_rows(path), None)
    if first is None:
        raise InputFileError(
            file, f"{what} is empty; expected a header row with column names", line=1
        )
    header_line, fields = first
    if len(fields) > MAX_COLUMNS:
        raise InputFileError(
            file,
            f"the header has {len(fields):,} columns; the limit is {MAX_COLUMNS:,}",
            line=header_line,
        )
    header = tuple(field.strip() for field in fields)
    if header and header[0].startswith("\ufeff"):  # utf-8-sig removed the first one
        raise InputFileError(
            file,
            "the header starts with a second byte-order mark (U+FEFF, an invisible character "
            "some tools add twice); save the file again as CSV UTF-8",
            line=header_line,
        )
    _check_names(file, header, header_line)
    missing = [column for column in required if column not in header]
    if missing:
        raise InputFileError(file, _missing_message(missing, header), line=header_line)
    return CsvTable(path, header, header_line)


def _check_names(file: str, header: tuple[str, ...], line: int) -> None:
    seen: dict[str, int] = {}
    for position, column in enumerate(header, start=1):
        if not column:
            raise InputFileError(
                file, f"column {position} of the header has no name; name it or delete it", line
            )
        if column in seen:
            raise InputFileError(
                file,
                f"column '{column}' appears twice (columns {seen[column]} and {position}); "
                "rename or delete one of them",
                line,
            )
        seen[column] = position


def _missing_message(missing: list[str], header: tuple[str, ...]) -> str:
    parts = []
    for column in missing:
        close = suggest(column, header)
        parts.append(f"'{column}'" + (f" (did you mean '{close}'?)" if close else ""))
    noun = "column" if len(missing) == 1 else "columns"
    shown = ", ".join(header)
    return f"missing required {noun} {', '.join(parts)}; the file has columns: {shown}"


def bounded_lines(stream: IO[AnyStr], file: str, lines: int = 0) -> Iterator[AnyStr]:
    """The lines of ``stream``, each read with a bound: a line longer than `MAX_LINE_CHARS` or
    holding a NUL is a fault of the file, found without reading the whole line into memory.
    ``lines``: the lines of the file before the stream's start (for the messages)."""
    readline = stream.readline
    number = lines
    nul: Any = None
    while text := readline(MAX_LINE_CHARS + 1):
        number += 1
        if nul is None:
            nul = b"\0" if isinstance(text, bytes) else "\0"
        if len(text) > MAX_LINE_CHARS:
            raise InputFileError(
                file,
                f"line {number} is longer than {MAX_LINE_CHARS:,} characters (the limit); "
                "is this a CSV file?",
                line=number,
            )
        if nul in text:
            raise InputFileError(
                file,
                f"line {number} holds a NUL character; is this a CSV file? (save it as CSV UTF-8)",
                line=number,
            )
        yield text


def csv_fault(file: str, error: csv.Error, line: int) -> InputFileError:
    """The fault of a file the csv module cannot read at ``line``, in words."""
    if "field limit" in str(error):
        message = (
            f"a field is longer than {csv.field_size_limit():,} characters (the limit); "
            "check for an unclosed quote"
        )
    else:
        message = f"cannot be read as CSV: {error}"
    return InputFileError(file, message, line=line)


@attrs.define
class PlainBlocks:
    """The blocks of whole lines at the start of a CSV file that the CSV reader would read as
    lines split at commas: no quote, carriage return or NUL, UTF-8, no line longer than the
    reader's bounds. Iterating yields each block (its bytes, and its lines decoded); during
    a block `offset` and `line` say where it starts (a byte offset, lines before it), after
    the last one where the CSV reader must take over, unless `complete` (the file ended)."""

    path: Path
    offset: int = 0
    line: int = 0
    complete: bool = False

    def __iter__(self) -> Iterator[tuple[bytes, list[str]]]:
        limit = min(MAX_LINE_CHARS, csv.field_size_limit()) - 2  # the CSV reader's own bounds
        with self.path.open("rb") as stream:
            if self.offset:  # from a line's start a full read found (see `CsvTable.records`)
                stream.seek(self.offset)
                rest = b""
            else:
                rest = stream.read(len(_BOM))
                if rest == _BOM:
                    rest, self.offset = b"", len(_BOM)
            while True:
                block = stream.read(_BLOCK)
                data = rest + block
                cut = data.rfind(b"\n") + 1 if block else len(data)
                if not cut and block and len(data) <= limit:  # a line longer than a block
                    rest = data
                    continue
                chunk = data[:cut]
                if not chunk or b'"' in chunk or b"\r" in chunk or b"\0" in chunk:
                    return
                try:
                    text = chunk.decode("utf-8")
                except UnicodeDecodeError:
                    return
                lines = text.split("\n")
                if text.endswith("\n"):
                    lines.pop()
                if (
                    len(text) > limit
                    and not _short_lines(text, limit)
                    and max(map(len, lines)) > limit
                ):
                    return
                yield chunk, lines
                self.offset += cut
                self.line += len(lines)
                rest = data[cut:]
                if not block:
                    self.complete = True
                    return


def _short_lines(text: str, limit: int) -> bool:
    """Whether each stretch of ``limit // 2`` characters of ``text`` from its start holds a
    line end (a few searches): then no line (split at ``\\n``) spans two stretches, so none is
    longer than ``limit``. False when a stretch holds none (a long line, or the last stretch of
    a file without a final line end): then the caller measures the lines one by one."""
    stretch = max(limit // 2, 1)
    return all(
        text.find("\n", start, start + stretch) >= 0 for start in range(0, len(text), stretch)
    )


def _plain_rows(path: Path, marks: list[tuple[int, int, int]]) -> Iterator[list[str]]:
    """The fields of every non-blank row (the header too), as `_rows` reads them; plain blocks
    (see `PlainBlocks`) are split here, and where each one starts is added to ``marks`` as
    (data records before, or -1 before the header; byte offset; lines before)."""
    rows = -1  # non-blank rows before the block, less the header
    blocks = PlainBlocks(path)
    for _chunk, lines in blocks:
        marks.append((rows, blocks.offset, blocks.line))
        for line in lines:
            fields = line.split(",")
            first = fields[0]
            if first and not first.isspace():  # as in `_rows`: the usual row
                rows += 1
                yield fields
                continue
            joined = line.replace(",", "")
            if joined and not joined.isspace():  # blank rows (even ' , ,') are skipped
                rows += 1
                yield fields
    if blocks.complete:
        return
    if rows < 0:  # no plain block with the header: the CSV reader reads it all
        marks.clear()
        yield from (fields for _line, fields in _rows(path))
        return
    yield from (fields for _line, fields in _rows(path, blocks.offset, blocks.line))


def _plain_then_csv(path: Path, offset: int, lines: int) -> Iterator[tuple[int, list[str]]]:
    """`_rows` from byte ``offset`` (the start of a line, ``lines`` lines into the file), the
    plain blocks from there split at line ends and commas as `_plain_rows` splits them (the
    quick path of a roster without quotes), the rest by the CSV reader."""
    blocks = PlainBlocks(path, offset, lines)
    for _chunk, block in blocks:
        line = blocks.line  # the lines before this block
        for text in block:
            line += 1
            fields = text.split(",")
            first = fields[0]
            if first and not first.isspace():  # as in `_rows`: the usual row
                yield line, fields
                continue
            joined = text.replace(",", "")
            if joined and not joined.isspace():  # blank rows (even ' , ,') are skipped
                yield line, fields
    if not blocks.complete:
        yield from _rows(path, blocks.offset, blocks.line)


def _rows(path: Path, offset: int = 0, lines: int = 0) -> Iterator[tuple[int, list[str]]]:
    """Yield (physical start line, fields) for every non-blank row, translating read faults;
    from byte ``offset`` (the start of a line, ``lines`` lines into the file) if given."""
    file = str(path)
    line = lines
    try:
        with path.open("rb") as binary:
            binary.seek(offset)
            stream = io.TextIOWrapper(
                binary, encoding="utf-8" if offset else "utf-8-sig", errors="strict", newline=""
            )
            reader = csv.reader(bounded_lines(stream, file, lines), strict=True)
            for fields in reader:
                start = line + 1
                line = lines + reader.line_num
                first = fields[0] if fields else ""
                if first and not first.isspace():  # the usual row: its first cell is not blank
                    yield start, fields
                    continue
                text = "".join(fields)
                if text and not text.isspace():  # blank rows (even ' , ,') are skipped
                    yield start, fields
    except UnicodeDecodeError:
        where, byte = _find_bad_byte(path)
        raise InputFileError(
            file,
            f"is not UTF-8 text (byte 0x{byte:02x} at line {where}); save it as CSV UTF-8",
            line=where,
        ) from None
    except csv.Error as error:
        raise csv_fault(file, error, line + 1) from None
    except OSError as error:
        raise InputFileError(file, f"cannot be read: {error.strerror or error}") from None


def _find_bad_byte(path: Path) -> tuple[int, int]:
    """The line and value of the first byte that is not valid UTF-8.

    Read in chunks, so a file that is one huge line is not read into memory whole; a newline
    byte never occurs inside a UTF-8 sequence, so the lines before the fault are counted whole.
    """
    decoder = codecs.getincrementaldecoder("utf-8-sig")()
    newlines = 0
    with path.open("rb") as stream:
        while True:
            chunk = stream.read(_CHUNK)
            try:
                decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError as error:
                data = bytes(error.object)
                return newlines + data[: error.start].count(b"\n") + 1, data[error.start]
            if not chunk:
                return 1, 0  # pragma: no cover - only called after a decoding error
            newlines += chunk.count(b"\n")
