"""The rows of the keyed files (goals, rating history, dated changes), built from their cells.

Each kind of row is built two ways that give the same row or the same fault: from its cells by
name (``*_row``: a dictionary of stripped cells, any record) and from its fields as read
(``*_fields(columns)``: a builder by column index, no dictionary per row; what `KeyedFile`
calls for every row of the right width, when it checks the file and when it reads an
employee's rows). Tests hold each pair equal (`tests/test_io_keyed.py`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from incentives.errors import RowError
from incentives.model import GoalInput, HistoryRow, RatingRecord, RowSource
from incentives.rulebook.runtime.policy import run_generated

__all__ = [
    "goal_fields",
    "goal_row",
    "history_fields",
    "history_row",
    "rating_fields",
    "rating_row",
    "text_reader",
]

ID = "employee_id"
# a named tuple built from its fields in order without its Python-level __new__ (per row)
_new = tuple.__new__


def goal_row(cells: dict[str, str], source: RowSource) -> GoalInput | None:
    if not (cells["target"] or cells["actual"] or cells["weight"]):
        return None
    return GoalInput(
        name=cells["goal"],
        target=cells["target"],
        actual=cells["actual"],
        weight=cells["weight"],
        direction=cells.get("direction", "") or "higher",
        source=source,
        column_prefix="",
    )


def goal_fields(columns: tuple[str, ...]) -> Callable[[list[str], RowSource], GoalInput | None]:
    """`goal_row` over a row's fields as read."""
    name_at, target_at, actual_at, weight_at = map(
        columns.index, ("goal", "target", "actual", "weight")
    )
    direction_at = columns.index("direction") if "direction" in columns else -1

    def build(fields: list[str], source: RowSource) -> GoalInput | None:
        target = fields[target_at].strip()
        actual = fields[actual_at].strip()
        weight = fields[weight_at].strip()
        if not (target or actual or weight):
            return None
        direction = fields[direction_at].strip() if direction_at >= 0 else ""
        name = fields[name_at].strip()
        return _new(GoalInput, (name, target, actual, weight, direction or "higher", source, ""))

    return build


def rating_row(cells: dict[str, str], source: RowSource) -> RatingRecord | None:
    if not cells["rating"]:
        return None  # a cycle without a rating is the same as no row for it
    if not cells["cycle"]:
        raise RowError("a rating history row needs its cycle", "cycle", "")
    return RatingRecord(cells["cycle"], cells["rating"], source)


def rating_fields(
    columns: tuple[str, ...],
) -> Callable[[list[str], RowSource], RatingRecord | None]:
    """`rating_row` over a row's fields as read."""
    cycle_at, rating_at = columns.index("cycle"), columns.index("rating")

    def build(fields: list[str], source: RowSource) -> RatingRecord | None:
        rating = fields[rating_at].strip()
        if not rating:
            return None  # a cycle without a rating is the same as no row for it
        cycle = fields[cycle_at].strip()
        if not cycle:
            raise RowError("a rating history row needs its cycle", "cycle", "")
        return _new(RatingRecord, (cycle, rating, source))

    return build


def history_row(cells: dict[str, str], source: RowSource) -> HistoryRow | None:
    if not cells["effective_date"]:
        raise RowError("a history row needs its effective_date", "effective_date", "")
    values = {k: v for k, v in cells.items() if k not in (ID, "effective_date") and v}
    return HistoryRow(cells["effective_date"], values, source)


def history_fields(columns: tuple[str, ...]) -> Callable[[list[str], RowSource], HistoryRow]:
    """`history_row` over a row's fields as read: the values in the file's column order."""
    date_at = columns.index("effective_date")
    others = [(at, c) for at, c in enumerate(columns) if c not in (ID, "effective_date")]

    def build(fields: list[str], source: RowSource) -> HistoryRow:
        effective = fields[date_at].strip()
        if not effective:
            raise RowError("a history row needs its effective_date", "effective_date", "")
        values = {}
        for at, column in others:
            value = fields[at].strip()
            if value:
                values[column] = value
        return _new(HistoryRow, (effective, values, source))

    return build


# the rows of one block of an employee's records as text (its lines, each ended by a line end
# but perhaps the file's last), its first record's number and line; None: not the usual block
TextReader = Callable[[str, int, int], "tuple[Any, ...] | None"]


def text_reader(
    build: Callable[[dict[str, str], RowSource], object], columns: Sequence[str], file: str
) -> TextReader | None:
    """The generated reader of blocks of ``file``'s rows as text, for the rows ``build`` (as
    `KeyedFile` was given it) makes: rating history and history rows (None for any other).

    A block whose text holds no quote and no carriage return is records split at line ends,
    each split at its commas (what the CSV reader gives for them, as `block_records` reads
    them); the reader builds each row as ``*_fields`` does, with a statement per cell and no
    call per row: cells stripped, a rating row without a rating left out, a history row's
    values in the file's column order. A row of another width, or one ``*_fields`` would
    reject, gives None: the caller reads the block line by line. (Held to ``*_fields`` by
    `tests/test_io_keyed.py`.)"""
    names = [f"c{at}" for at in range(len(columns))]
    lines = [
        "def rows(text, record, line):",
        "    found = []",
        "    try:",
        "        for row in text.removesuffix('\\n').split('\\n'):",
        f"            {', '.join(names)}, = row.split(',')",
    ]
    scope: dict[str, Any] = {"NEW": tuple.__new__, "SOURCE": RowSource, "FILE": file}
    if build is rating_row:
        cycle, rating = (names[columns.index(c)] for c in ("cycle", "rating"))
        scope["ROW"] = RatingRecord
        lines += [
            f"            rating = {rating}.strip()",
            "            if rating:",  # a cycle without a rating is the same as no row for it
            f"                cycle = {cycle}.strip()",
            "                if not cycle:",
            "                    return None",
            "                found.append(NEW(ROW, (cycle, rating, NEW(SOURCE, (FILE, record, line)))))",
        ]
    elif build is history_row:
        effective = names[columns.index("effective_date")]
        scope["ROW"] = HistoryRow
        lines += [
            f"            effective = {effective}.strip()",
            "            if not effective:",
            "                return None",
            "            values = {}",
        ]
        for at, column in enumerate(columns):
            if column not in (ID, "effective_date"):
                lines += [
                    f"            {names[at]} = {names[at]}.strip()",
                    f"            if {names[at]}:",
                    f"                values[{column!r}] = {names[at]}",
                ]
        lines.append(
            "            found.append(NEW(ROW, (effective, values, NEW(SOURCE, (FILE, record, line)))))"
        )
    else:
        return None
    lines += [
        "            record += 1",
        "            line += 1",
        "    except ValueError:  # a row of another width",
        "        return None",
        "    return tuple(found)",
    ]
    # generated from the file's header (column names as literals, by repr), no other text
    reader: TextReader = run_generated("keyed rows", "\n".join(lines) + "\n", scope, "rows")
    return reader
