"""The records of a keyed file (goals, rating history, dated changes) as `keyed.KeyedFile`
reads them: every record with its byte offset and first line when the file is indexed
(`records`), and the records of one employee's block when its rows are read again
(`block_records`). Plain blocks are split at line ends and commas, which is what the CSV reader
gives for them; anything else is read by the CSV reader.
"""

from __future__ import annotations

import csv
import io
from collections import deque
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from incentives.io.csvread import PlainBlocks, bounded_lines, csv_fault

__all__ = ["block_records", "plain_records", "read_records", "records"]


def records(path: Path) -> Iterator[tuple[int, int, list[str]]]:
    """(byte offset, first line, fields) of every CSV record of a file, blank ones too; memory
    stays flat however long the file. Plain blocks (`PlainBlocks`: whole lines holding no
    quote, carriage return or NUL) are split at line ends and commas (what the CSV reader gives
    for them, and a record is a line); from the first other block on, the CSV reader reads."""
    blocks = PlainBlocks(path)
    for chunk, texts in blocks:
        yield from plain_records(chunk, texts, blocks.offset, blocks.line)
    if not blocks.complete:
        yield from read_records(path, blocks.offset, blocks.line)


def plain_records(
    chunk: bytes, texts: list[str], offset: int, line: int
) -> Iterator[tuple[int, int, list[str]]]:
    """`records` of one plain block (its bytes and lines, ``offset`` and ``line`` where it
    starts): each line split at its commas."""
    for raw, text in zip(chunk.split(b"\n"), texts, strict=False):
        line += 1
        yield offset, line, text.split(",") if text else []
        offset += len(raw) + 1


def read_records(path: Path, start: int, lines: int) -> Iterator[tuple[int, int, list[str]]]:
    """`records` by the CSV reader, from byte ``start`` (a line's, ``lines`` into the file)."""
    pending: deque[int] = deque()  # byte offsets of lines read by csv but not yet attributed

    def lines_from(stream: IO[bytes], position: int) -> Iterator[str]:
        for raw in bounded_lines(stream, str(path), lines):
            pending.append(position)
            position += len(raw)
            yield raw.decode("utf-8")

    with path.open("rb") as stream:
        stream.seek(start)
        reader = csv.reader(lines_from(stream, start), strict=True)
        line = 0
        try:
            for fields in reader:
                first = lines + line + 1
                offset = pending[0]
                for _ in range(reader.line_num - line):
                    pending.popleft()
                line = reader.line_num
                yield offset, first, fields
        except csv.Error as error:
            raise csv_fault(str(path), error, lines + reader.line_num) from None


def block_records(data: bytes, first_line: int) -> Iterator[tuple[int, list[str]]]:
    """(line, fields) of each record of a block of consecutive non-blank records, read whole
    (the file was checked when indexed, so it decodes and parses). Without a quote or a lone
    carriage return (the usual case) a record is one line split at its commas, which is what
    the CSV reader gives; otherwise the CSV reader reads the block's lines as it read the file."""
    text = data.decode("utf-8")
    if '"' not in text and "\r" not in text.replace("\r\n", "\n"):
        lines = text.split("\n")
        if lines[-1] == "":  # the newline ending the last record (absent at the end of a file)
            lines.pop()
        for number, row in enumerate(lines, first_line):
            yield number, row.removesuffix("\r").split(",")
        return
    reader = csv.reader((raw.decode("utf-8") for raw in io.BytesIO(data)), strict=True)
    line = first_line
    for fields in reader:
        yield line, fields
        line = first_line + reader.line_num
