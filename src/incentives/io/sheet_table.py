"""Input tables that are not plain CSV files: an .xlsx sheet, or a CSV export with a mapping.

Either becomes, once, a temporary CSV file holding the same text cells a CSV export of it
would hold, each record on the line of its sheet row (the lines above the header and the
blank rows are blank lines, which the CSV reader skips): so the roster, the keyed files and the
plan inputs read it with the CSV code as it is, and every check, message and rejection works
unchanged, its line being the sheet's row. `SheetTable` is that file's `CsvTable`, named for
the workbook and sheet (``employees.xlsx[Roster]``), and hashed as the workbook.

A sheet's header is the first row (of the top `HEADER_ROWS`) naming every required column:
the rows above it (a title block) are skipped. A header cell merged down over several rows
heads a two-row header whose merged-across cells name groups: each column is named by the
texts above it joined (``Goal 1`` over ``Target`` gives ``Goal 1 Target``). A header cell
merged across columns with nothing below it names the first of them; the others are not read.
The table spans from the first to the last named column; cells outside it are not read.
"""

from __future__ import annotations

import csv
import itertools
import os
import re
import shutil
import tempfile
import weakref
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from pathlib import Path
from typing import IO, Any

import attrs

from incentives.errors import InputFileError
from incentives.io.column_map import ColumnMap, folded
from incentives.io.csvread import CsvTable, _missing_message, open_csv
from incentives.io.sheet_cells import (
    DATE,
    NUMBER,
    CellReader,
    SheetError,
    cell_name,
    sheet_ref,
    sheet_rows,
)
from incentives.io.workbook import (
    HEADER_ROWS,
    is_workbook,
    merged_ranges,
    open_workbook,
    pick_sheet,
)
from incentives.model import Rejection

__all__ = [
    "GOALS_KINDS",
    "HISTORY_KINDS",
    "SheetTable",
    "cell_locator",
    "field_kinds",
    "open_table",
]

Cells = list[dict[str, Any]]
GOALS_KINDS = {"target": NUMBER, "actual": NUMBER, "weight": NUMBER}
HISTORY_KINDS = {"effective_date": DATE}
_GOAL_FIGURE = re.compile(r"goal\d+_(?:target|actual|weight)")
_KIND_OF_TYPE = {"integer": NUMBER, "decimal": NUMBER, "percent": NUMBER, "date": DATE}


def field_kinds(types: Mapping[str, str]) -> dict[str, str]:
    """The kind of each field (`NUMBER`, `DATE`) by its declared type (field name -> type)."""
    return {name: _KIND_OF_TYPE[kind] for name, kind in types.items() if kind in _KIND_OF_TYPE}


@attrs.frozen
class SheetTable(CsvTable):
    """The `CsvTable` of a converted input: its records are read from the temporary CSV file
    (``path``), its name and hash are the input's (``origin``)."""

    shown: str = attrs.field(kw_only=True)
    origin: Path = attrs.field(kw_only=True)
    sheet: str = attrs.field(kw_only=True, default="")
    # the sheet column (letter) of each column, for messages naming a cell
    letters: Mapping[str, str] = attrs.field(kw_only=True, factory=dict, eq=False)

    @property
    def name(self) -> str:
        return self.shown

    @property
    def source(self) -> Path:
        return self.origin

    def fault(self, column: str, message: str, line: int) -> InputFileError:
        letter = self.letters.get(column)
        if letter is None or not self.sheet:
            return super().fault(column, message, line)
        return SheetError(str(self.origin), self.sheet, f"{letter}{line}", message)


def cell_locator(tables: Iterable[CsvTable]) -> Callable[[Rejection], Rejection] | None:
    """What names the cell of a rejected row read from a sheet: its reason then starts with
    ``Roster!D17:`` (the sheet, the column of the rejection's field, its line) instead of the
    field's name; None when no table is a sheet. Rejections of other files are left as they
    are."""
    sheets = {t.name: t for t in tables if isinstance(t, SheetTable) and t.sheet}
    if not sheets:
        return None

    def locate(rejection: Rejection) -> Rejection:
        table = sheets.get(rejection.file)
        letter = table.letters.get(rejection.column) if table is not None else None
        if table is None or letter is None or rejection.line <= 0:
            return rejection
        where = sheet_ref(table.sheet, f"{letter}{rejection.line}")
        # the cell names the column: "base_salary: '12O,000' is not…" loses its "base_salary: "
        reason = rejection.reason.removeprefix(f"{rejection.column}: ")
        return attrs.evolve(rejection, reason=f"{where}: {reason}")

    return locate


def open_table(
    path: str | Path,
    *,
    required: Collection[str] = (),
    what: str = "file",
    sheet: str | None = None,
    kinds: Mapping[str, str] | None = None,
    columns: ColumnMap | None = None,
) -> CsvTable:
    """Open an input table: a CSV file as `open_csv` does, an .xlsx sheet (``sheet``, or the
    first), or a CSV file through a column mapping. ``kinds`` gives the columns holding numbers
    or dates (`sheet_cells.NUMBER`, `DATE`): how a sheet's text cells in them are read."""
    if is_workbook(path):
        return _from_sheet(Path(path), required, what, sheet, kinds or {}, columns)
    if sheet is not None:
        raise InputFileError(str(path), f"--sheet {sheet} is given but the {what} is not .xlsx")
    if columns is None:
        return open_csv(path, required=required, what=what)
    return _from_mapped_csv(Path(path), required, what, columns)


class _Lines:
    """A temporary CSV file written so that each record starts on the line it is given."""

    def __init__(self, shown: str) -> None:
        self.shown = shown  # the input's name, for messages
        self.folder = tempfile.mkdtemp(prefix="incentives-table-")
        self.path = Path(self.folder) / "table.csv"
        self._stream: IO[str] = self.path.open("w", encoding="utf-8", newline="")
        self._writer = csv.writer(self._stream, lineterminator="\n")
        self.line = 0  # lines written

    def write(self, line: int, fields: Sequence[str]) -> None:
        if line <= self.line:  # a damaged sheet: rows out of order
            raise InputFileError(self.shown, f"row {line} comes after row {self.line}", line)
        self._stream.write("\n" * (line - 1 - self.line))
        self._writer.writerow(fields)
        self.line = line + sum(field.count("\n") for field in fields)

    def close(self) -> None:
        self._stream.close()

    def table(self, required: Collection[str], what: str, **named: Any) -> SheetTable:
        """The written file's table, named and hashed as the input it was made from."""
        self.close()
        try:
            plain = open_csv(self.path, required=required, what=what)
        except InputFileError as error:  # named for the input, not the temporary file
            message = str(error).split(": ", 1)[1]
            raise InputFileError(self.shown, message, error.line) from None
        table = SheetTable(plain.path, plain.columns, plain.header_line, **named)
        # the temporary file goes with the table (and never from a forked worker's exit)
        weakref.finalize(table, _remove, self.folder, os.getpid())
        return table

    def discard(self) -> None:
        self.close()
        _remove(self.folder, os.getpid())


def _remove(folder: str, pid: int) -> None:
    if os.getpid() == pid:
        shutil.rmtree(folder, ignore_errors=True)


def _from_mapped_csv(
    path: Path, required: Collection[str], what: str, columns: ColumnMap
) -> SheetTable:
    """A CSV export with its headers renamed and its codes recoded, on the same lines."""
    plain = open_csv(path, what=what)  # the checks of the file and of its header
    names = columns.rename(plain.columns, str(path))
    _require(names, required, columns, list(plain.columns), str(path), plain.header_line)
    recode = [columns.recoder(name) for name in names]
    lines = _Lines(str(path))
    try:
        lines.write(plain.header_line, names)
        for record in plain.records():
            fields = list(record.fields)
            for k, codes in enumerate(recode):
                if codes is not None and k < len(fields):
                    fields[k] = codes.get(folded(fields[k]), fields[k])
            lines.write(record.line, fields)
        return lines.table(required, what, shown=str(path), origin=path)
    except BaseException:
        lines.discard()
        raise


def _require(
    names: Sequence[str],
    required: Collection[str],
    columns: ColumnMap | None,
    original: list[str],
    file: str,
    line: int,
    sheet: str = "",
) -> None:
    """Every required column missing, in one error (a sheet's names its header row)."""
    missing = [column for column in required if column not in names]
    if not missing:
        return
    table = f"{file} sheet {sheet}" if sheet else file
    if columns is not None:
        raise columns.missing(missing, original, table)
    message = _missing_message(missing, tuple(names))
    if sheet:
        raise SheetError(file, sheet, f"{line}:{line}", f"the header row: {message}")
    raise InputFileError(file, message, line=line)


def _from_sheet(
    path: Path,
    required: Collection[str],
    what: str,
    sheet: str | None,
    kinds: Mapping[str, str],
    columns: ColumnMap | None,
) -> SheetTable:
    file = str(path)
    with open_workbook(path, file) as book:
        found = pick_sheet(book, sheet, file)
        title = found.title
        reader = CellReader(book, file, title, columns.date_formats if columns else ())
        rows = sheet_rows(book, found)
        top: list[tuple[int, Cells]] = []  # the rows the header is looked for in
        for number, cells in rows:
            top.append((number, cells))
            if number >= HEADER_ROWS:
                break
        merges = merged_ranges(book, found)
        header = _Header(top, merges, reader, title, file)
        wanted = _wanted(required, columns)
        row, last = header.find(wanted, what)
        named = header.names(row, last)
        original = [name for _, name in named]
        names = columns.rename(original, f"{file} sheet {title}") if columns else original
        _check_names(named, names, row, title, file)
        _require(names, required, columns, original, file, row, title)
        places = [column for column, _ in named]
        column_kinds = [
            kinds.get(name) or (NUMBER if _GOAL_FIGURE.fullmatch(name) else "") for name in names
        ]
        recode = [columns.recoder(name) if columns else None for name in names]
        text = reader.text
        lines = _Lines(f"{file}[{title}]")
        try:
            lines.write(row, names)
            for number, cells in itertools.chain(top, rows):
                if number <= last:
                    continue
                by_column = {cell["column"]: cell for cell in cells}
                fields = []
                for at, kind, codes in zip(places, column_kinds, recode, strict=True):
                    cell = by_column.get(at)
                    value = "" if cell is None else text(cell, kind)
                    if codes is not None:
                        value = codes.get(folded(value), value)
                    fields.append(value)
                if any(field.strip() for field in fields):
                    lines.write(number, fields)
            letters = {name: cell_name(at, 1)[:-1] for at, name in zip(places, names, strict=True)}
            return lines.table(
                required, what, shown=f"{file}[{title}]", origin=path, sheet=title, letters=letters
            )
        except BaseException:
            lines.discard()
            raise


def _wanted(required: Collection[str], columns: ColumnMap | None) -> list[str]:
    """The header texts that must appear in the header row, folded."""
    mapped = columns.headers if columns else {}
    return [folded(mapped.get(name, name)) for name in required]


def _check_names(
    named: list[tuple[int, str]], names: list[str], row: int, sheet: str, file: str
) -> None:
    seen: dict[str, int] = {}
    for (column, _), name in zip(named, names, strict=True):
        if not name:
            raise SheetError(
                file,
                sheet,
                cell_name(column, row),
                "this header cell is empty; name the column or delete it",
            )
        if name in seen:
            raise SheetError(
                file,
                sheet,
                cell_name(column, row),
                f"the column '{name}' appears twice ({cell_name(seen[name], row)} too); rename "
                "or delete one of them",
            )
        seen[name] = column


class _Header:
    """The top rows of a sheet, where its header is looked for."""

    def __init__(
        self,
        top: list[tuple[int, Cells]],
        merges: list[tuple[int, int, int, int]],
        reader: CellReader,
        sheet: str,
        file: str,
    ) -> None:
        self.rows: dict[int, dict[int, str]] = {}
        for number, cells in top:
            texts = {}
            for cell in cells:
                try:
                    value = reader.text(cell)
                except SheetError:  # a formula without a value above the data: no name
                    value = ""
                if value.strip():
                    texts[cell["column"]] = " ".join(value.split())
            self.rows[number] = texts
        self.merges = merges
        self.sheet = sheet
        self.file = file

    def _last_row(self, row: int) -> int:
        """The header's last row: the lowest a merge starting on ``row`` reaches."""
        return max((m[3] for m in self.merges if m[1] == row), default=row)

    def names(self, row: int, last: int) -> list[tuple[int, str]]:
        """(column, name) of each column of the header on rows ``row`` to ``last``, from its
        first named column to its last; a column inside a merge across columns that has no
        name of its own below the merge is left out, an unnamed one is named ""."""
        spread = [c for r in range(row, last + 1) for c in self.rows.get(r, {})]
        spread += [
            c
            for low_col, low_row, high_col, high_row in self.merges
            if low_row <= last and high_row >= row
            for c in (low_col, high_col)
        ]
        if not spread:
            return []
        named: list[tuple[int, str]] = []
        for column in range(min(spread), max(spread) + 1):
            parts: list[str] = []
            owned = False
            for r in range(row, last + 1):
                text, first = self._at(r, column)
                if text and (not parts or parts[-1] != text):
                    parts.append(text)
                    owned = owned or first
                elif not text:
                    owned = owned or (first and r == last and not parts)
            if owned:
                named.append((column, " ".join(parts)))
        while named and not named[-1][1]:
            named.pop()
        return named

    def _at(self, row: int, column: int) -> tuple[str, bool]:
        """The text shown at a cell (a merged range's, if it lies in one) and whether the cell
        is its range's first column (a merge across columns names only its first by itself)."""
        for low_col, low_row, high_col, high_row in self.merges:
            if low_col <= column <= high_col and low_row <= row <= high_row:
                return self.rows.get(low_row, {}).get(low_col, ""), column == low_col
        return self.rows.get(row, {}).get(column, ""), True

    def find(self, wanted: list[str], what: str) -> tuple[int, int]:
        """The header's first and last row: the first row naming every wanted column."""
        best: tuple[int, int] | None = None  # (names found, row)
        for row in sorted(self.rows):
            if not self.rows[row]:
                continue
            last = self._last_row(row)
            found = {folded(name) for _, name in self.names(row, last)}
            count = sum(1 for name in wanted if name in found)
            if count == len(wanted):
                return row, last
            if best is None or count > best[0]:
                best = (count, row)
        if best is None:
            raise InputFileError(
                self.file, f"sheet '{self.sheet}' is empty; expected a header row and rows below it"
            )
        count, row = best
        if count:  # the row that names most of them: which are missing is said by the caller
            return row, self._last_row(row)
        first = min(r for r in self.rows if self.rows[r])
        shown = ", ".join(self.rows[first].values())
        return_names = ", ".join(wanted)
        raise InputFileError(
            self.file,
            f"sheet '{self.sheet}': no row of the first {HEADER_ROWS} names the column(s) "
            f"{return_names} of the {what}; its first row with text (row {first}) holds: {shown}",
        )
