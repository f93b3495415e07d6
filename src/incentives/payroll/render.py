"""Writing records the way a layout says: cells, amounts in minor units, dates, delimited or
fixed-width lines, and the bytes in the layout's encoding (never a ``?`` for a character the
encoding cannot hold: that is an error naming the employee and the column)."""

from __future__ import annotations

import codecs
import csv
import datetime
import io
from collections.abc import Callable, Sequence
from decimal import Decimal, InvalidOperation
from typing import Literal

from incentives.errors import OptionsError, shorten
from incentives.money import CURRENCY_MINOR_UNITS
from incentives.payroll.layout import Column, Layout

__all__ = ["Cells", "amount_text", "encode", "parse_amount", "render_lines"]

Cells = Callable[[Column], str]  # the text of a column for one record


def _places(currency: str, where: str) -> int:
    try:
        return CURRENCY_MINOR_UNITS[currency]
    except KeyError:
        raise OptionsError(f"{where}: unknown currency '{shorten(currency)}'") from None


def amount_text(layout: Layout, amount: Decimal, currency: str, where: str, signed: bool) -> str:
    """``amount`` in ``currency``'s minor unit (JPY 0 decimals, BHD 3), as the layout writes it:
    implied decimals or a decimal separator, the sign leading or trailing (or none when the
    layout gives the sign a column of its own). More decimals than the minor unit is an error:
    an amount is never rounded here."""
    spec = layout.spec
    places = _places(currency, where)
    step = Decimal(1).scaleb(-places)
    exact = amount.quantize(step)
    if exact != amount:
        raise OptionsError(
            f"{where}: amount {amount} {currency} has more decimals than the currency's minor "
            f"unit ({places}); round the pay component to minor_unit in its policy"
        )
    digits = f"{abs(exact.scaleb(places)):f}" if spec.implied_decimals else f"{abs(exact):f}"
    if spec.decimal_separator == "," and not spec.implied_decimals:
        digits = digits.replace(".", ",")
    if not signed or exact >= 0:
        return digits
    return digits + "-" if spec.sign == "trailing" else "-" + digits


def parse_amount(layout: Layout, text: str, currency: str) -> Decimal:
    """The amount a cell written by `amount_text` holds (to reconcile the file as written)."""
    spec = layout.spec
    body = text.strip().lstrip("0") if spec.format == "fixed_width" else text.strip()
    negative = body.startswith("-") or body.endswith("-")
    body = body.strip("-").strip().lstrip("0") or "0"
    if spec.decimal_separator == ",":
        body = body.replace(",", ".")
    try:
        value = Decimal(body)
    except InvalidOperation:
        raise OptionsError(f"an amount cell '{shorten(text)}' cannot be read back") from None
    if spec.implied_decimals:
        value = value.scaleb(-_places(currency, "amount"))
    return -value if negative else value


def date_text(layout: Layout, day: datetime.date | None) -> str:
    if day is None:
        return ""
    # only %Y %y %m %d %% are allowed (layout.py), so strftime reads no locale
    return day.strftime(layout.spec.date_format)


def _fit(layout: Layout, column: Column, text: str, where: str) -> str:
    width = column.width
    if width is None or layout.spec.format != "fixed_width":
        return text
    if "\n" in text or "\r" in text:
        raise OptionsError(
            f"{where}: '{shorten(text)}' holds a line end, which a fixed-width record cannot "
            f"hold (column '{column.name or column.source}')"
        )
    if len(text) > width:
        raise OptionsError(
            f"{where}: '{shorten(text)}' is {len(text)} characters, longer than the {width} of "
            f"column '{column.name or column.source}' ({layout.line_of('columns')}); widen it"
        )
    right = column.align == "right" or (column.align is None and column.numeric)
    if right and column.pad == "0" and text[:1] in "-+":
        return text[0] + text[1:].rjust(width - 1, "0")
    return text.rjust(width, column.pad) if right else text.ljust(width, column.pad)


def render_lines(
    layout: Layout,
    columns: Sequence[Column],
    records: Sequence[tuple[str, Cells]],
    header: bool,
) -> str:
    """The text of ``records`` ((who, cells), in order), with a header line if asked."""
    spec = layout.spec
    end = "\r\n" if spec.line_ending == "crlf" else "\n"
    rows: list[list[str]] = []
    if header:
        rows.append([_fit(layout, c, c.name or c.source or "", "header") for c in columns])
    for who, cells in records:
        row = []
        for column in columns:
            text = cells(column)
            _check_encodable(layout, text, who, column)
            row.append(_fit(layout, column, text, who))
        rows.append(row)
    if spec.format == "fixed_width":
        return "".join("".join(row) + end for row in rows)
    buffer = io.StringIO()
    writer = csv.writer(
        buffer, delimiter=spec.delimiter, quoting=_QUOTING[spec.quoting], lineterminator=end
    )
    for row, (who, _cells) in zip(rows[1:] if header else rows, records, strict=True):
        try:
            writer.writerow(row)
        except csv.Error:
            raise OptionsError(
                f"{who}: a value holds the delimiter, a quote or a line end, which quoting: "
                f"none cannot write ({layout.line_of('quoting')}); use quoting: minimal"
            ) from None
    if header:
        head = io.StringIO()
        csv.writer(
            head, delimiter=spec.delimiter, quoting=_QUOTING[spec.quoting], lineterminator=end
        ).writerow(rows[0])
        return head.getvalue() + buffer.getvalue()
    return buffer.getvalue()


_QUOTING: dict[str, Literal[0, 1, 2, 3]] = {
    "minimal": csv.QUOTE_MINIMAL,
    "all": csv.QUOTE_ALL,
    "none": csv.QUOTE_NONE,
}


def _check_encodable(layout: Layout, text: str, who: str, column: Column) -> None:
    try:
        text.encode(layout.spec.encoding)
    except UnicodeEncodeError as exc:
        bad = text[exc.start]
        raise OptionsError(
            f"{who}, column '{column.name or column.source}': '{shorten(text)}' holds "
            f"'{bad}' (U+{ord(bad):04X}), which {layout.spec.encoding} cannot write "
            f"({layout.line_of('encoding')}); choose an encoding that holds it (utf-8) or map "
            "the value"
        ) from None


def encode(layout: Layout, text: str) -> bytes:
    """The file's bytes: the layout's encoding, with a byte-order mark when it says so."""
    spec = layout.spec
    name = codecs.lookup(spec.encoding).name
    if name in ("utf-16", "utf-32"):
        data = text.encode(f"{name}-le")
        bom = codecs.BOM_UTF16_LE if name == "utf-16" else codecs.BOM_UTF32_LE
        return bom + data if spec.bom else data
    data = text.encode(spec.encoding)
    return codecs.BOM_UTF8 + data if spec.bom and name == "utf-8" else data
