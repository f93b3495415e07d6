"""One column of a block of plain CSV lines, cut at C speed (the roster's scan of its ids).

A plain line holds no quote, carriage return or NUL (see `csvread.PlainBlocks`): the CSV reader
reads it as the line split at commas, so a column can be cut out of a whole block with string
methods run over a list, not a Python loop over fields, and blank rows found the same way.
"""

from __future__ import annotations

from operator import methodcaller

__all__ = ["plain_column"]


def plain_column(lines: list[str], index: int) -> list[str]:
    """The cell in column ``index`` ("" past a row's end) of each row of ``lines`` (plain
    lines, without their ends) that is not blank, as the CSV reader's rows give it: equal to

        [fields[index] if index < len(fields) else ""
         for fields in (line.split(",") for line in lines)
         if "".join(fields).strip()]

    (a blank row, even ' , ,', is no record: `csvread._rows` skips it)."""
    firsts = [line.partition(",")[0] for line in lines]
    if "" in map(str.strip, firsts):  # a row's first cell is blank: the row may be blank
        lines = [line for line in lines if line.replace(",", "").strip()]
        if index == 0:
            return [line.partition(",")[0] for line in lines]
    elif index == 0:
        return firsts  # no row is blank: the first cells are the column
    cut = methodcaller("split", ",", index + 1)  # fields 0 to index, then the rest in one
    return [fields[index] if len(fields) > index else "" for fields in map(cut, lines)]
