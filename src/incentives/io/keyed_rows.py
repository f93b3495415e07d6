"""The rows of the keyed files (goals, rating history, dated changes), built from their cells.

Each kind of row is built two ways that give the same row or the same fault: from its cells by
name (``*_row``: a dictionary of stripped cells, any record) and from its fields as read
(``*_fields(columns)``: a builder by column index, no dictionary per row; what `KeyedFile`
calls for every row of the right width, when it checks the file and when it reads an
employee's rows). Tests hold each pair equal (`tests/test_io_keyed.py`).
"""

from __future__ import annotations

from collections.abc import Callable

from incentives.errors import RowError
from incentives.model import GoalInput, HistoryRow, RatingRecord, RowSource

__all__ = [
    "goal_fields",
    "goal_row",
    "history_fields",
    "history_row",
    "rating_fields",
    "rating_row",
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
