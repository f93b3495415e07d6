""".xlsx workbooks opened as uploads: checked before openpyxl reads them, within hard limits.

A workbook is a zip archive of XML parts, and a hostile one can be a zip bomb (a small file that
inflates to gigabytes), hold thousands of parts, or declare XML entities that expand a few bytes
into gigabytes ("billion laughs"). `open_workbook` refuses each before any part is parsed: the
file's size, the number of parts, each part's inflated size and its compression ratio are read
from the archive's directory (a part never yields more than its declared size, so the declared
sizes bound what is read), and openpyxl parses XML through `defusedxml`, which refuses entity
declarations. An Excel 97-2003 ``.xls`` file and a password-protected workbook (both are OLE
compound files, not zip archives) are named as such. openpyxl lives in this module,
`incentives.io.sheet_cells` and `incentives.io.sheet_xml` only.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from incentives.errors import IncentivesError, InputFileError

__all__ = [
    "HEADER_ROWS",
    "MAX_MEMBERS",
    "MAX_MEMBER_BYTES",
    "MAX_RATIO",
    "MAX_WORKBOOK_BYTES",
    "RATIO_FROM_BYTES",
    "WORKBOOK_SUFFIXES",
    "is_workbook",
    "merged_ranges",
    "open_workbook",
    "pick_sheet",
]

MAX_WORKBOOK_BYTES = 256 * 2**20
"""Bytes of an .xlsx file (compressed, as on disk)."""
MAX_MEMBERS = 10_000
"""Parts (files) in the zip archive of a workbook."""
MAX_MEMBER_BYTES = 2 * 2**30
"""Bytes of one part once inflated (a sheet of a million rows is about 1 GB of XML)."""
MAX_RATIO = 200
"""How many times larger than its compressed size one part may inflate (zip bombs: ~1000)."""
RATIO_FROM_BYTES = 2**20
"""Parts smaller than this once inflated are not held to `MAX_RATIO` (tiny parts compress well)."""
HEADER_ROWS = 100
"""Rows at the top of a sheet searched for the header row (a title block sits above it)."""

WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # an OLE compound file: .xls, or an encrypted .xlsx
_ENCRYPTED = "EncryptedPackage".encode("utf-16-le")
_ZIP = b"PK\x03\x04"
_CHUNK = 1 << 20
_MERGE = re.compile(
    rb'<(?:[A-Za-z_][\w.-]*:)?mergeCell\s[^>]*?ref="([A-Z]{1,3}[0-9]{1,7}(?::[A-Z]{1,3}[0-9]{1,7})?)"'
)
_CARRY = 512  # bytes kept from one chunk to the next, so a tag cut in two is still found


def is_workbook(path: str | Path) -> bool:
    """Whether ``path`` names an Excel file (by its suffix: .xlsx, .xlsm, and .xls to refuse)."""
    return Path(path).suffix.lower() in (*WORKBOOK_SUFFIXES, ".xls")


def _check_container(path: Path, file: str) -> None:
    """Refuse what is not a zip archive within the limits, saying what it is instead."""
    try:
        size = path.stat().st_size
        encrypted = False
        with path.open("rb") as stream:
            head = stream.read(8)
            if head == _OLE:
                encrypted = _holds(stream, _ENCRYPTED)
    except OSError as error:
        raise InputFileError(file, f"cannot be read: {error.strerror or error}") from None
    if head == _OLE:
        if encrypted:
            raise InputFileError(
                file,
                "is a password-protected (encrypted) workbook; open it in Excel, remove the "
                "password (File > Info > Protect Workbook) and save it as .xlsx",
            )
        raise InputFileError(
            file,
            "is an Excel 97-2003 workbook (.xls), which is not read; open it in Excel and "
            "save it as .xlsx (Excel Workbook)",
        )
    if path.suffix.lower() == ".xls":
        raise InputFileError(
            file, "an .xls file is not read; save it from Excel as .xlsx (Excel Workbook)"
        )
    if size > MAX_WORKBOOK_BYTES:
        raise InputFileError(
            file,
            f"is {size:,} bytes; the limit for a workbook is {MAX_WORKBOOK_BYTES:,} bytes "
            "(save the sheet as CSV UTF-8 instead)",
        )
    if head[:4] != _ZIP:
        raise InputFileError(
            file, "is not an .xlsx workbook (not a zip archive); save it from Excel as .xlsx"
        )


def _holds(stream: Any, needle: bytes) -> bool:
    """Whether the rest of ``stream`` (up to the workbook limit) holds ``needle``."""
    carry = b""
    read = 0
    while read < MAX_WORKBOOK_BYTES and (chunk := stream.read(_CHUNK)):
        read += len(chunk)
        if needle in carry + chunk:
            return True
        carry = chunk[-len(needle) :]
    return False


def _check_members(archive: zipfile.ZipFile, file: str) -> None:
    members = archive.infolist()
    if len(members) > MAX_MEMBERS:
        raise InputFileError(
            file, f"holds {len(members):,} parts; the limit for a workbook is {MAX_MEMBERS:,}"
        )
    for member in members:
        if member.file_size > MAX_MEMBER_BYTES:
            raise InputFileError(
                file,
                f"part {member.filename} inflates to {member.file_size:,} bytes; the limit is "
                f"{MAX_MEMBER_BYTES:,}",
            )
        ratio = member.file_size / max(member.compress_size, 1)
        if member.file_size >= RATIO_FROM_BYTES and ratio > MAX_RATIO:
            raise InputFileError(
                file,
                f"part {member.filename} inflates {ratio:,.0f} times its size (a zip bomb?); "
                f"the limit is {MAX_RATIO} times",
            )


@contextmanager
def open_workbook(path: str | Path, file: str | None = None) -> Iterator[Any]:
    """The workbook at ``path`` opened read-only with each formula's saved value (openpyxl's
    ``read_only=True, data_only=True``), closed on exit; every fault is an `InputFileError`."""
    from xml.parsers.expat import ExpatError

    import openpyxl
    from defusedxml import DefusedXmlException  # type: ignore[import-untyped]

    path = Path(path)
    file = file or str(path)
    _check_container(path, file)
    if not openpyxl.DEFUSEDXML:  # OPENPYXL_DEFUSEDXML=False in the environment
        raise InputFileError(
            file, "openpyxl's use of defusedxml is switched off (OPENPYXL_DEFUSEDXML); unset it"
        )
    # the file is opened here, so that it is closed whatever openpyxl does on a fault
    with path.open("rb") as stream:
        try:
            with zipfile.ZipFile(stream) as archive:
                _check_members(archive, file)
            stream.seek(0)
            book = openpyxl.load_workbook(stream, read_only=True, data_only=True, keep_links=False)
        except InputFileError:
            raise
        except Exception as error:
            raise _unreadable(file, error) from None
        try:
            yield book
        except IncentivesError:
            raise
        except (
            DefusedXmlException,
            ExpatError,
            zipfile.BadZipFile,
            OSError,
            SyntaxError,
            EOFError,
            ValueError,
            IndexError,
        ) as error:  # a damaged part: XML that does not parse, a string index out of range
            raise _unreadable(file, error) from None
        finally:
            book.close()


def _unreadable(file: str, error: BaseException) -> InputFileError:
    """A fault openpyxl met reading a workbook (it wraps some in a ValueError): XML that
    defusedxml refuses (entities, a DTD) is named as such."""
    from defusedxml import DefusedXmlException

    cause: BaseException | None = error
    while cause is not None:
        if isinstance(cause, DefusedXmlException):
            return InputFileError(
                file, f"holds XML that is refused ({cause}): entity declarations are not read"
            )
        cause = cause.__cause__ or cause.__context__
    text = str(error).split("\n", 1)[0]
    return InputFileError(
        file, f"cannot be read as an .xlsx workbook ({type(error).__name__}: {text})"
    )


def pick_sheet(book: Any, sheet: str | None, file: str) -> Any:
    """The worksheet named ``sheet`` (None: the workbook's first sheet)."""
    from incentives.io.csvread import suggest

    names = list(book.sheetnames)
    if not names:
        raise InputFileError(file, "the workbook has no sheet")
    name = names[0] if sheet is None else sheet
    if name not in names:
        close = suggest(name, names)
        hint = f" (did you mean '{close}'?)" if close else ""
        raise InputFileError(
            file, f"has no sheet '{name}'{hint}; its sheets: {', '.join(names)} (--sheet NAME)"
        )
    found = book[name]
    if not hasattr(found, "_worksheet_path"):
        raise InputFileError(file, f"sheet '{name}' is a chart, not a table of rows")
    return found


def merged_ranges(
    book: Any, sheet: Any, rows: int = HEADER_ROWS
) -> list[tuple[int, int, int, int]]:
    """The merged ranges of ``sheet`` that start in its first ``rows`` rows, as (first column,
    first row, last column, last row). openpyxl's read-only sheets do not read them (they come
    after the rows in the sheet's XML), so the part is scanned for them here, inflated in
    chunks (memory stays flat)."""
    from openpyxl.utils.cell import range_boundaries

    found: list[tuple[int, int, int, int]] = []
    carry = b""
    with book._archive.open(sheet._worksheet_path) as stream:
        while chunk := stream.read(_CHUNK):
            data = carry + chunk
            end = 0
            for match in _MERGE.finditer(data):
                end = match.end()
                ref = match.group(1).decode("ascii")
                low_col, low_row, high_col, high_row = range_boundaries(
                    ref if ":" in ref else f"{ref}:{ref}"
                )
                if low_row is not None and low_row <= rows:
                    found.append((low_col or 1, low_row, high_col or 1, high_row or low_row))
            carry = data[max(end, len(data) - _CARRY) :]
    return found
