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


def _local(name: str) -> str:
    return name.rpartition(":")[2]


def _column(ref: str) -> tuple[int, int]:
    """(row, column) of ``D17``."""
    column = 0
    for at, char in enumerate(ref):
        if char.isdigit():
            return int(ref[at:]), column
        column = column * 26 + ord(char.upper()) - 64
    raise ValueError(f"'{ref}' is not a cell reference")


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
    state: dict[str, Any] = {"row": 0, "column": 0, "cells": [], "cell": None, "text": None}

    def start(name: str, attributes: dict[str, str]) -> None:
        tag = _local(name)
        if tag == "c":
            ref = attributes.get("r")
            if ref:
                row, column = _column(ref)
            else:
                row, column = state["row"], state["column"] + 1
            state["column"] = column
            style = attributes.get("s")
            state["cell"] = {
                "row": row,
                "column": column,
                "value": None,
                "data_type": attributes.get("t", "n"),
                "style_id": int(style) if style else 0,
                "v": None,
                "f": None,
                "is": None,
            }
        elif tag == "row":
            number = attributes.get("r")
            state["row"] = int(float(number)) if number else state["row"] + 1
            state["column"] = 0
            state["cells"] = []
        elif tag in ("v", "f", "t") and state["cell"] is not None:
            state["text"] = []

    def text(data: str) -> None:
        if state["text"] is not None:
            state["text"].append(data)

    def end(name: str) -> None:
        tag = _local(name)
        cell = state["cell"]
        if tag in ("v", "f") and cell is not None:
            cell[tag] = "".join(state["text"] or ())
            state["text"] = None
        elif tag == "t" and cell is not None:
            cell["is"] = (cell["is"] or "") + "".join(state["text"] or ())
            state["text"] = None
        elif tag == "c" and cell is not None:
            state["cells"].append(
                _finish(
                    cell, shared, epoch, (date_styles, duration_styles), from_excel, from_ISO8601
                )
            )
            state["cell"] = None
        elif tag == "row":
            done.append((state["row"], state["cells"]))

    parser = expat.ParserCreate()
    parser.buffer_text = True
    parser.StartDoctypeDeclHandler = _refuse_dtd
    parser.EntityDeclHandler = _refuse_entity
    parser.ExternalEntityRefHandler = _refuse_external
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = text
    while chunk := stream.read(_CHUNK):
        parser.Parse(chunk, False)
        yield from done
        done.clear()
    parser.Parse(b"", True)
    yield from done


def _finish(
    cell: dict[str, Any],
    shared: Sequence[str],
    epoch: datetime.datetime,
    styles: tuple[Any, Any],
    from_excel: Any,
    from_iso: Any,
) -> dict[str, Any]:
    """The cell as openpyxl's parser gives it (with the stored text of a number)."""
    kind = cell["data_type"]
    stored = cell.pop("v") or None
    formula = cell.pop("f")
    inline = cell.pop("is")
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
