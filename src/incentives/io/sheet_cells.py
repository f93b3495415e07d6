"""The cells of a worksheet as the text a CSV export of it would hold, for the engine to convert.

A number reaches the engine as the exact decimal of the value the cell stores, at Excel's 15
significant digits (a cell holding 0.1+0.2, stored as 0.30000000000000004, gives ``0.3``),
never its display format (``1,500.00`` shown for 1500 gives ``1500``); a number formatted
with leading zeros (``00000``) keeps them (``00042``), so an id survives either way it was
stored. A cell Excel shows as a date gives its ISO date; a plain number in a date column is an
Excel serial date, read in the workbook's own date system (1900, or 1904 for workbooks from
old Macs). In a number column, text such as ``1,500.00`` (a number stored as text) loses its
thousands separators; in a date column, text in a declared or unambiguous format becomes ISO.
Anything else is passed on as it is, so the engine's own checks and messages apply to it.

A formula whose value was never saved (a workbook written by a program that does not
calculate) is a `SheetError`: its value is unknown.
"""

from __future__ import annotations

import datetime
import decimal
import re
from collections.abc import Iterable, Iterator
from typing import Any

from incentives.errors import InputFileError

__all__ = [
    "DATE",
    "NUMBER",
    "CellReader",
    "SheetError",
    "cell_name",
    "excel_decimal",
    "sheet_ref",
    "sheet_rows",
]

NUMBER = "number"
DATE = "date"
_SIGNIFICANT = 15  # what Excel keeps of a number
_CONTEXT = decimal.Context(prec=40, rounding=decimal.ROUND_HALF_EVEN)
_GROUPED = re.compile(r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d*)?%?", re.ASCII)
_ZEROS = re.compile(r"0+")
_ISO = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
# text dates read without being declared: none of them can be read two ways
_TEXT_DATES = ("%Y/%m/%d", "%d %b %Y", "%d-%b-%Y", "%d %B %Y", "%b %d, %Y", "%B %d, %Y")
_BREAKS = re.compile(r"\r\n|[\r\n]")


class SheetError(InputFileError):
    """A cell of a worksheet that cannot be used; the message names it as ``Sheet!Cell``."""

    def __init__(self, file: str, sheet: str, cell: str, message: str) -> None:
        self.sheet = sheet
        self.cell = cell
        super().__init__(file, f"{sheet_ref(sheet, cell)}: {message}")


def sheet_ref(sheet: str, cell: str) -> str:
    """``Roster!D17``; a sheet name that is not one plain word is quoted (``'Q4 data'!D17``)."""
    return f"{_quoted(sheet)}!{cell}"


def _quoted(sheet: str) -> str:
    """A sheet's name as a reference writes it: quoted when it is not one plain word."""
    return (
        sheet if re.fullmatch(r"[A-Za-z_][\w.]*", sheet) else "'" + sheet.replace("'", "''") + "'"
    )


def cell_name(column: int, row: int) -> str:
    """``D17`` for column 4, row 17."""
    from openpyxl.utils.cell import get_column_letter

    return f"{get_column_letter(column)}{row}"


def sheet_rows(book: Any, sheet: Any) -> Iterator[tuple[int, list[dict[str, Any]]]]:
    """(row number, its cells) of every row the sheet's XML holds, in order; a cell is the
    dictionary openpyxl's parser gives (row, column, value, data_type, style_id), streamed by
    `incentives.io.sheet_xml`. Hidden and filtered rows are read."""
    from incentives.io.sheet_xml import xml_rows

    with sheet._get_source() as stream:
        yield from xml_rows(
            stream, sheet._shared_strings, book.epoch, book._date_formats, book._timedelta_formats
        )


class CellReader:
    """A cell's text by the kind of its column (`NUMBER`, `DATE` or "" for any other)."""

    def __init__(self, book: Any, file: str, sheet: str, date_formats: Iterable[str] = ()) -> None:
        from openpyxl.styles.numbers import BUILTIN_FORMATS, BUILTIN_FORMATS_MAX_SIZE

        self.file = file
        self.sheet = sheet
        self.epoch = book.epoch
        self.date_formats = (*date_formats, *_TEXT_DATES)
        # style id -> width, for the styles whose number format is only zeros ("00000")
        self.padded: dict[int, int] = {}
        for style_id, style in enumerate(book._cell_styles):
            number_format_id = style.numFmtId
            if number_format_id < BUILTIN_FORMATS_MAX_SIZE:
                shown = BUILTIN_FORMATS.get(number_format_id, "General")
            else:
                shown = book._number_formats[number_format_id - BUILTIN_FORMATS_MAX_SIZE]
            if _ZEROS.fullmatch(shown) and len(shown) > 1:
                self.padded[style_id] = len(shown)

    def text(self, cell: dict[str, Any], kind: str = "") -> str:
        value = cell["value"]
        if value is None:
            return ""
        data_type = cell["data_type"]
        if data_type == "n":
            return self._number(value, cell, kind)
        if data_type == "s":
            return self._text(str(value), kind)
        if data_type == "d":
            return _date_text(value)
        if data_type == "b":
            return "true" if value else "false"
        if data_type == "f":
            raise SheetError(
                self.file,
                self.sheet,
                cell_name(cell["column"], cell["row"]),
                f"a formula (={value}) without a saved value: the workbook was saved by a "
                "program that does not calculate; open it in Excel and save it, or paste the "
                "values in",
            )
        return str(value)  # an error value (#N/A, #DIV/0!): the engine refuses it as a number

    def _number(self, stored: str, cell: dict[str, Any], kind: str) -> str:
        try:
            number = decimal.Decimal(stored)
        except decimal.InvalidOperation:
            raise SheetError(
                self.file,
                self.sheet,
                cell_name(cell["column"], cell["row"]),
                f"the stored number '{stored[:40]}' cannot be read",
            ) from None
        if not number.is_finite():
            return stored
        if kind == DATE:
            return self._serial(number, cell)
        width = self.padded.get(cell["style_id"])
        if width is not None and number == number.to_integral_value() and number >= 0:
            return str(int(number)).zfill(width)
        return excel_decimal(number)

    def _serial(self, number: decimal.Decimal, cell: dict[str, Any]) -> str:
        from openpyxl.utils.datetime import from_excel

        try:
            moment = from_excel(float(number), self.epoch)
        except (OverflowError, ValueError):
            moment = None
        if not isinstance(moment, datetime.datetime):
            raise SheetError(
                self.file,
                self.sheet,
                cell_name(cell["column"], cell["row"]),
                f"{excel_decimal(number)} is not a date (as an Excel serial date it is out of range)",
            )
        return _date_text(moment)

    def _text(self, text: str, kind: str) -> str:
        if "\n" in text or "\r" in text:
            text = _BREAKS.sub(" ", text)  # a sheet row is one record: a line break is a space
        if kind == NUMBER:
            stripped = text.strip()
            if _GROUPED.fullmatch(stripped):
                return stripped.replace(",", "")
        elif kind == DATE:
            stripped = text.strip()
            if stripped and not _ISO.fullmatch(stripped):
                for shape in self.date_formats:
                    try:
                        return datetime.datetime.strptime(stripped, shape).date().isoformat()
                    except ValueError:
                        continue
        return text


def excel_decimal(number: decimal.Decimal) -> str:
    """``number`` at 15 significant digits, without exponent or trailing zeros."""
    if not number:
        return "0"
    rounded = number.quantize(
        decimal.Decimal(1).scaleb(number.adjusted() - _SIGNIFICANT + 1), context=_CONTEXT
    )
    text = format(rounded.normalize(_CONTEXT), "f")
    return text


def _date_text(value: object) -> str:
    if isinstance(value, datetime.datetime):
        if value.time() == datetime.time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    return str(value)  # a duration (a [h]:mm format)
