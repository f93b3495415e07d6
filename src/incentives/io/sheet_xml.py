"""The rows of a worksheet's XML, streamed by expat with the protections of defusedxml.

openpyxl's read-only parser builds an element per tag through defusedxml's pure-Python
ElementTree parser, then a dictionary per cell: most of the time of reading a sheet. This
reader keeps only what a cell needs (position, type, style, saved value, formula, inline text)
from expat's events, and refuses what defusedxml refuses, more strictly: a sheet's XML never
has a document type declaration, so any (and with it every entity declaration, the "billion
laughs") is an error, as are external entities. The cells are the dictionaries openpyxl's
parser gives (row, column, value, data_type, style_id), with a number's stored text kept and a
formula without a saved value marked ``data_type`` "f" (see `incentives.io.sheet_cells`).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator, Sequence
from typing import IO, Any
from xml.parsers import expat

__all__ = ["xml_rows"]

_CHUNK = 1 << 20


def _refuse_dtd(name: str, system: str | None, public: str | None, *_rest: object) -> None:
    from defusedxml import DTDForbidden  # type: ignore[import-untyped]

    raise DTDForbidden(name, system, public)  # a sheet never holds a document type


def _refuse_entity(name: str, *_rest: object) -> None:
    from defusedxml import EntitiesForbidden

    raise EntitiesForbidden(name, None, None, None, None, None)


def _refuse_external(context: str, base: str | None, system: str | None, public: str | None) -> int:
    from defusedxml import ExternalReferenceForbidden

    raise ExternalReferenceForbidden(context, base, system, public)


def _column_number(letters: str) -> int:
    """3 for ``C``, 28 for ``AB``."""
    number = 0
    for char in letters.upper():
        number = number * 26 + ord(char) - 64
    return number


def xml_rows(
    stream: IO[bytes],
    shared: Sequence[str],
    epoch: datetime.datetime,
    date_styles: Any,
    duration_styles: Any = (),
) -> Iterator[tuple[int, list[dict[str, Any]]]]:
    """(row number, cells) of each ``<row>`` of the sheet XML read from ``stream``; a number
    whose style is one of ``date_styles`` is a date (or a duration: ``duration_styles``)."""
    from openpyxl.utils.datetime import from_excel, from_ISO8601

    done: list[tuple[int, list[dict[str, Any]]]] = []
    tags: dict[str, str] = {}  # a tag as written (``x:c``) -> its local name (``c``)
    columns: dict[str, int] = {}  # column letters -> number
    styles = (date_styles, duration_styles)
    row = column = 0
    cells: list[dict[str, Any]] = []
    cell: dict[str, Any] | None = None
    parts: dict[str, str] = {}  # the cell's v (saved value), f (formula), t (inline text)
    text: list[str] | None = None

    def start(name: str, attributes: dict[str, str]) -> None:
        nonlocal row, column, cells, cell, parts, text
        tag = tags.get(name) or tags.setdefault(name, name.rpartition(":")[2])
        if tag == "c":
            ref = attributes.get("r")
            if ref:
                letters = ref.rstrip("0123456789")
                column = columns.get(letters) or columns.setdefault(
                    letters, _column_number(letters)
                )
                at = int(ref[len(letters) :])
            else:
                column += 1
                at = row
            style = attributes.get("s")
            cell = {
                "row": at,
                "column": column,
                "value": None,
                "data_type": attributes.get("t", "n"),
                "style_id": int(style) if style else 0,
            }
            parts = {}
        elif tag == "v" or tag == "f" or tag == "t":
            if cell is not None:
                text = []
        elif tag == "row":
            number = attributes.get("r")
            row = int(float(number)) if number else row + 1
            column = 0
            cells = []

    def characters(data: str) -> None:
        if text is not None:
            text.append(data)

    def end(name: str) -> None:
        nonlocal cell, text
        tag = tags[name]
        if text is not None and (tag == "v" or tag == "f" or tag == "t"):
            parts[tag] = parts.get(tag, "") + "".join(text)
            text = None
        elif tag == "c" and cell is not None:
            cells.append(_finish(cell, parts, shared, epoch, styles, from_excel, from_ISO8601))
            cell = None
        elif tag == "row":
            done.append((row, cells))

    parser = expat.ParserCreate()
    parser.buffer_text = True
    parser.StartDoctypeDeclHandler = _refuse_dtd
    parser.EntityDeclHandler = _refuse_entity
    parser.ExternalEntityRefHandler = _refuse_external
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = characters
    while chunk := stream.read(_CHUNK):
        parser.Parse(chunk, False)
        yield from done
        done.clear()
    parser.Parse(b"", True)
    yield from done


def _finish(
    cell: dict[str, Any],
    parts: dict[str, str],
    shared: Sequence[str],
    epoch: datetime.datetime,
    styles: tuple[Any, Any],
    from_excel: Any,
    from_iso: Any,
) -> dict[str, Any]:
    """The cell as openpyxl's parser gives it (with the stored text of a number)."""
    kind = cell["data_type"]
    stored = parts.get("v") or None
    formula = parts.get("f")
    inline = parts.get("t", "")
    if kind == "inlineStr":
        cell["data_type"], cell["value"] = "s", inline
    elif stored is None:
        if formula is not None:
            cell["data_type"], cell["value"] = "f", formula
    elif kind == "n":
        cell["value"] = stored
        dates, durations = styles
        if cell["style_id"] in dates:
            try:
                duration = cell["style_id"] in durations
                cell["value"] = from_excel(float(stored), epoch, timedelta=duration)
                cell["data_type"] = "d"
            except (OverflowError, ValueError):
                cell["data_type"], cell["value"] = "e", "#VALUE!"
    elif kind == "s":
        cell["value"] = shared[int(stored)]
    elif kind == "b":
        cell["value"] = bool(int(stored))
    elif kind == "str":
        cell["data_type"], cell["value"] = "s", stored
    elif kind == "d":
        cell["value"] = from_iso(stored)
    else:
        cell["value"] = stored  # an error value (#N/A)
    return cell
