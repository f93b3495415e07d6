"""Plan-level input files: result figures (``--results``) and dated currency rates (``--rates``).

Both are small and read whole. Unlike roster rows, one bad line stops the run: a wrong figure
or rate would change every payout that reads it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import attrs

from incentives.errors import InputFileError, RowError
from incentives.io.csvread import CsvRecord, CsvTable, file_sha256
from incentives.io.sheet_cells import DATE, NUMBER
from incentives.io.sheet_table import open_table
from incentives.rulebook.language.values import not_ascii_digits, parse_number

__all__ = ["FIELDS", "MissingRate", "RateTable", "ResultFigure", "read_rates", "read_results"]

FIELDS: tuple[str, ...] = (
    *("threshold", "target", "maximum", "actual", "attainment", "stated_payout"),
    *("peer", "rank_value"),  # a ranked result's peers (unit: the peer's name) and own value
)
_RESULT_COLUMNS = ("policy", "result", "unit", "field", "value")
_RATE_COLUMNS = ("date", "from", "to", "rate_type", "rate")
_RESULT_KINDS = {"value": NUMBER}  # how a sheet's text cells are read (`io.sheet_cells`)
_RATE_KINDS = {"date": DATE, "rate": NUMBER}
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
_CURRENCY = re.compile(r"[A-Z]{3}")
_SHOWN_RATES = 6


@attrs.frozen
class ResultFigure:
    """One figure of a plan-level result; ``unit`` is "" for a whole-plan result."""

    policy: str
    result: str
    unit: str
    field: str
    value: Decimal
    line: int


def _cells(table: CsvTable) -> Iterator[tuple[CsvRecord, dict[str, str]]]:
    """Each record as column -> stripped text; a wrong field count stops the read."""
    expected = len(table.columns)
    for record in table.records():
        if len(record.fields) != expected:
            raise InputFileError(
                table.name,
                f"record has {len(record.fields)} fields, the header has {expected}",
                line=record.line,
            )
        yield record, {c: v.strip() for c, v in zip(table.columns, record.fields, strict=True)}


def read_results(path: str | Path, sheet: str | None = None) -> list[ResultFigure]:
    """Read a results file (columns policy, result, unit, field, value) in file order; an
    .xlsx workbook's ``sheet`` (or its first)."""
    table = open_table(
        path, required=_RESULT_COLUMNS, what="results file", sheet=sheet, kinds=_RESULT_KINDS
    )
    figures: list[ResultFigure] = []
    seen: dict[tuple[str, str, str, str], int] = {}
    for record, cells in _cells(table):

        def fault(column: str, message: str, line: int = record.line) -> InputFileError:
            return table.fault(column, message, line)

        for column in ("policy", "result"):
            if not cells[column]:
                raise fault(column, f"{column} is blank")
        field = cells["field"]
        if field not in FIELDS:
            raise fault("field", f"'{field}' is not one of {', '.join(FIELDS)}")
        try:
            value = parse_number(cells["value"])
        except ValueError as error:
            raise fault("value", str(error)) from None
        key = (cells["policy"], cells["result"], cells["unit"], field)
        if key in seen:
            unit = f" unit {key[2]}" if key[2] else ""
            raise fault(
                "field",
                f"{key[0]}.{key[1]}{unit} {field} is given twice (lines {seen[key]} and "
                f"{record.line}); keep one",
            )
        seen[key] = record.line
        figures.append(ResultFigure(key[0], key[1], key[2], field, value, record.line))
    return figures


class MissingRate(RowError):
    """No rate for a conversion: the row that needed it is rejected."""

    def __init__(self, reason: str, pair: str) -> None:
        super().__init__(reason, column="fx", value=pair)


_RateKey = tuple[date, str, str, str]  # (date, from, to, rate_type)


class RateTable:
    """Dated exchange rates. A lookup needs the exact date, pair and type: nothing is guessed."""

    def __init__(
        self, rates: dict[_RateKey, Decimal], path: Path | None = None, sha256: str | None = None
    ) -> None:
        self._rates = dict(rates)
        self.path = path
        self.sha256 = sha256

    @classmethod
    def empty(cls) -> RateTable:
        """The table of a run without a rates file: only same-currency conversions work."""
        return cls({})

    def __len__(self) -> int:
        return len(self._rates)

    def __repr__(self) -> str:
        return f"RateTable({str(self.path) if self.path else None!r}, rates={len(self._rates)})"

    def rate(self, from_ccy: str, to_ccy: str, rate_type: str, on: date) -> Decimal:
        """The rate that converts ``from_ccy`` into ``to_ccy``; raises `MissingRate`."""
        if from_ccy == to_ccy:
            return Decimal(1)
        found = self._rates.get((on, from_ccy, to_ccy, rate_type))
        if found is not None:
            return found
        pair = f"{from_ccy}→{to_ccy}"
        wanted = f"{pair} {rate_type} {on.isoformat()}"
        if self.path is None:
            raise MissingRate(
                f"no {rate_type} rate {pair} on {on}: no rates file given (--rates)", wanted
            )
        raise MissingRate(self._missing_reason(from_ccy, to_ccy, rate_type, on), wanted)

    def _missing_reason(self, from_ccy: str, to_ccy: str, rate_type: str, on: date) -> str:
        pair = f"{from_ccy}→{to_ccy}"
        reason = f"no {rate_type} rate {pair} on {on.isoformat()} in {self.path}"
        have = sorted(
            (key[0], key[3]) for key in self._rates if key[1] == from_ccy and key[2] == to_ccy
        )
        if have:
            shown = ", ".join(f"{kind} on {day.isoformat()}" for day, kind in have[:_SHOWN_RATES])
            more = f" and {len(have) - _SHOWN_RATES} more" if len(have) > _SHOWN_RATES else ""
            return f"{reason} (the file has {pair}: {shown}{more})"
        inverse = any(key[1] == to_ccy and key[2] == from_ccy for key in self._rates)
        if inverse:
            return f"{reason} (the file has only {to_ccy}→{from_ccy}; inverse rates are not used)"
        return f"{reason} (the file has no {pair} rates)"


def read_rates(path: str | Path, sheet: str | None = None) -> RateTable:
    """Read a rates file (columns date, from, to, rate_type, rate); every line must be valid;
    an .xlsx workbook's ``sheet`` (or its first)."""
    table = open_table(
        path, required=_RATE_COLUMNS, what="rates file", sheet=sheet, kinds=_RATE_KINDS
    )
    rates: dict[_RateKey, Decimal] = {}
    lines: dict[_RateKey, int] = {}
    for record, cells in _cells(table):

        def fault(column: str, message: str, line: int = record.line) -> InputFileError:
            return table.fault(column, message, line)

        text = cells["date"]
        if not text.isascii():
            raise fault("date", not_ascii_digits(text, "a date"))
        if not _ISO_DATE.fullmatch(text):
            raise fault("date", f"'{text}' is not a date; write it as YYYY-MM-DD")
        try:
            day = date.fromisoformat(text)
        except ValueError:
            raise fault("date", f"'{text}' is not a valid date") from None
        for column in ("from", "to"):
            if not _CURRENCY.fullmatch(cells[column]):
                raise fault(
                    column, f"'{cells[column]}' is not a currency code (three capitals: EUR)"
                )
        rate_type = cells["rate_type"]
        if not rate_type:
            raise fault("rate_type", "rate_type is blank (e.g. average, closing)")
        try:
            rate = parse_number(cells["rate"])
        except ValueError as error:
            raise fault("rate", str(error)) from None
        if rate <= 0:
            raise fault("rate", f"rate {cells['rate']} must be positive")
        key = (day, cells["from"], cells["to"], rate_type)
        if key in lines:
            raise fault(
                "date",
                f"{rate_type} rate {key[1]}→{key[2]} on {text} is given twice "
                f"(lines {lines[key]} and {record.line}); keep one",
            )
        lines[key] = record.line
        rates[key] = rate
    return RateTable(rates, path=Path(path), sha256=file_sha256(path))
