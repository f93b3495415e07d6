"""The XML of a large worksheet, written straight from a run folder's CSV cells.

XlsxWriter and openpyxl build an object per cell (about 200,000 cells a second here); a
breakdown of 100,000 employees has millions. Here each row is one string built from the CSV
texts as they are: a number cell's text is already a valid ``<v>`` (no `Decimal`, no float on
the way), a text cell is an inline string (never a formula, whatever it starts with). The
workbook module puts these sheets into the package that XlsxWriter writes (styles, charts, the
small sheets), so their style ids are XlsxWriter's.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any
from xml.sax.saxutils import escape

import attrs

__all__ = [
    "EXCEL_MAX_ROWS",
    "SheetColumn",
    "SheetRows",
    "column_letter",
    "rows_xml",
    "sheet_head",
    "sheet_name",
    "sheet_tail",
]

EXCEL_MAX_ROWS = 1_048_576
_NUMBER = re.compile(r"-?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?").fullmatch
_NEEDS_ESCAPE = re.compile(r"[&<>\r\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]").search
_NOT_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_FORMULA_GUARD = ("'=", "'+", "'-", "'@", "'\t", "'\r")
_NS = (
    'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'
)
_SHEET_NAME_BAD = re.compile(r"[\[\]:*?/\\\x00-\x1f]")

# What a column holds: "text" (always a text cell), "number" (a number where the cell is one,
# else text), "money" (a number in the row's currency format), "percent" (a fraction shown as %).
KINDS = ("text", "number", "money", "percent")


@attrs.frozen
class SheetColumn:
    name: str
    kind: str = "text"
    width: float = 12.0


def column_letter(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def sheet_name(wanted: str, taken: set[str]) -> str:
    """A valid, unique sheet name (≤ 31 characters, none of ``[]:*?/\\``, case-insensitive);
    ``taken`` (lower-case) is updated."""
    base = _SHEET_NAME_BAD.sub("_", wanted).strip("'") or "Sheet"
    name, n = base[:31], 1
    while name.lower() in taken:
        n += 1
        suffix = f" ({n})"
        name = base[: 31 - len(suffix)] + suffix
    taken.add(name.lower())
    return name


def text_xml(cell: str) -> str:
    """An inline string cell's ``<is>`` content; a run folder's formula guard ``'`` is undone (a
    text cell is never run as a formula); characters XML cannot hold are dropped."""
    if cell.startswith(_FORMULA_GUARD):
        cell = cell[1:]
    if _NEEDS_ESCAPE(cell):
        # a bare CR would be read back as LF: written as a character reference
        cell = escape(_NOT_XML.sub("", cell)).replace("\r", "&#13;")
    space = ' xml:space="preserve"' if cell[:1].isspace() or cell[-1:].isspace() else ""
    return f"<is><t{space}>{cell}</t></is>"


def sheet_head(columns: Sequence[SheetColumn], *, header_style: int, freeze: bool) -> str:
    """From ``<worksheet>`` to the header row (row 1) included."""
    pane = (
        '<pane xSplit="1" ySplit="1" topLeftCell="B2" activePane="bottomRight" state="frozen"/>'
        '<selection pane="topRight"/><selection pane="bottomLeft"/>'
        '<selection pane="bottomRight" activeCell="B2" sqref="B2"/>'
        if freeze
        else ""
    )
    cols = "".join(
        f'<col min="{i}" max="{i}" width="{c.width:g}" customWidth="1"/>'
        for i, c in enumerate(columns, start=1)
    )
    header = "".join(
        f'<c r="{column_letter(i)}1" s="{header_style}" t="inlineStr">{text_xml(c.name)}</c>'
        for i, c in enumerate(columns)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<worksheet {_NS}><sheetViews><sheetView workbookViewId="0">{pane}</sheetView>'
        f'</sheetViews><sheetFormatPr defaultRowHeight="15"/><cols>{cols}</cols><sheetData>'
        f'<row r="1">{header}</row>'
    )


def sheet_tail(columns: int, rows: int) -> str:
    """After the last row: the filter over the header and ``rows`` data rows."""
    last = f"{column_letter(columns - 1)}{rows + 1}"
    return (
        f'</sheetData><autoFilter ref="A1:{last}"/>'
        '<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/>'
        "</worksheet>"
    )


class _Texts(dict[str, str]):
    """A text cell's XML, computed once per distinct text (labels, dates, booleans repeat);
    at most ``_MEMO`` texts are kept, so unique ids cost one computation each."""

    def __missing__(self, cell: str) -> str:
        xml = text_xml(cell)
        if len(self) < _MEMO:
            self[cell] = xml
        return xml


_MEMO = 50_000
_NOT_NUMERIC = str.maketrans("", "", "0123456789.-\x00")  # left: what no number column holds


class SheetRows:
    """Writes the rows of one sheet: ``row(n, cells, currency)`` is row ``n`` as XML; an empty
    cell is left out. ``styles`` gives the style id of "percent" and "number";
    ``money_styles`` the money style id per currency (a currency not listed: "number").

    Per currency, one generated function writes a whole row in one expression; it is used when
    the cells of the number columns hold nothing but numbers (or are empty), the
    per-cell loop otherwise (a text in a number column becomes a text cell). The check is one
    ``str.translate`` (digits, points and minus signs only): the number columns are those the
    policies type as numbers, which the run writes as plain decimals (``-1234.50``)."""

    def __init__(
        self,
        columns: Sequence[SheetColumn],
        styles: Mapping[str, int],
        money_styles: Mapping[str, int],
    ) -> None:
        self._columns, self._styles, self._money = columns, styles, money_styles
        self._letters = [column_letter(i) for i in range(len(columns))]
        self._known: dict[str, tuple[list[tuple[str, str, str | None]], _RowXml]] = {}
        self._texts = _Texts()

    def row(self, n: int, cells: Sequence[str], currency: str) -> str:
        known = self._known.get(currency)
        if known is None:
            layout = _layout(self._columns, self._letters, self._styles, self._money, currency)
            known = self._known[currency] = (layout, _compile(layout, self._texts))
        layout, fast = known
        numbers = fast.numbers(cells)
        if numbers is None or not numbers.translate(_NOT_NUMERIC):
            return fast.row(n, cells)
        texts = self._texts
        parts = [f'<row r="{n}">']
        add = parts.append
        for (letter, text_attrs, number_attrs), cell in zip(layout, cells, strict=False):
            if not cell:
                continue
            if number_attrs is not None and _NUMBER(cell):
                add(f'<c r="{letter}{n}"{number_attrs}><v>{cell}</v></c>')
            else:
                add(f'<c r="{letter}{n}"{text_attrs}>{texts[cell]}</c>')
        add("</row>")
        return "".join(parts)


def rows_xml(
    rows: Iterable[tuple[Sequence[str], str]],
    columns: Sequence[SheetColumn],
    styles: Mapping[str, int],
    money_styles: Mapping[str, int],
    *,
    first_row: int = 2,
) -> Iterator[str]:
    """Each ``(cells, currency)`` as a ``<row>`` from ``first_row`` on (see `SheetRows`)."""
    writer = SheetRows(columns, styles, money_styles).row
    for n, (cells, currency) in enumerate(rows, start=first_row):
        yield writer(n, cells, currency)


@attrs.frozen
class _RowXml:
    row: Callable[[int, Sequence[str]], str]
    numbers: Callable[[Sequence[str]], str | None]


def _compile(layout: Sequence[tuple[str, str, str | None]], texts: _Texts) -> _RowXml:
    """The generated row writer of one layout (and the joined text of its number cells)."""
    cells, numbers = [], []
    for i, (letter, text_attrs, number_attrs) in enumerate(layout):
        if number_attrs is None and i > 0:
            cell = f"""f'<c r="{letter}{{n}}"{text_attrs}>{{T[c[{i}]]}}</c>'"""
        elif number_attrs is None:  # the id: unique, so not memoised; plain ones need no escaping
            cell = (
                f"""f'<c r="{letter}{{n}}"{text_attrs}><is><t>{{c[{i}]}}</t></is></c>' """
                f"""if c[{i}].isalnum() else """
                f"""f'<c r="{letter}{{n}}"{text_attrs}>{{T[c[{i}]]}}</c>'"""
            )
        else:
            cell = f"""f'<c r="{letter}{{n}}"{number_attrs}><v>{{c[{i}]}}</v></c>'"""
            numbers.append(f"{{c[{i}]}}")
        cells.append(f"({cell} if c[{i}] else '')")
    joined = "\\x00".join(numbers)
    source = (
        "def row(n, c):\n"
        "    n = str(n)\n"  # once, not once a cell
        # one f-string: the row built in one go (its cells' f-strings in single quotes)
        f"    return f'''<row r=\"{{n}}\">{''.join('{' + cell + '}' for cell in cells)}</row>'''\n"
        "def numbers(c):\n"
        f"    return f'{joined}' if {bool(numbers)} else None\n"
    )
    scope: dict[str, Any] = {"T": texts}
    exec(compile(source, "<sheet row>", "exec"), scope)  # built from our own column layout
    return _RowXml(scope["row"], scope["numbers"])


def _layout(
    columns: Sequence[SheetColumn],
    letters: Sequence[str],
    styles: Mapping[str, int],
    money_styles: Mapping[str, int],
    currency: str,
) -> list[tuple[str, str, str | None]]:
    """Per column: its letter, a text cell's attributes, a number cell's (None: always text)."""
    out: list[tuple[str, str, str | None]] = []
    for letter, column in zip(letters, columns, strict=True):
        if column.kind == "text":
            out.append((letter, ' t="inlineStr"', None))
            continue
        if column.kind == "money":
            style = money_styles.get(currency, styles["number"])
        else:
            style = styles[column.kind]
        out.append((letter, ' t="inlineStr"', f' s="{style}"' if style else ""))
    return out
