"""A roster layout's row builder: one generated function turning records into employees.

`Roster._employee` reads any record through generic loops (a picker, a dictionary zipped per
row, a loop over goal groups). For the usual record (the header's width, a known id, no fault in
a keyed file), `row_builder` generates, once per layout and pass, a function that does the same
with one statement per cell: each picked cell stripped into a local, the cells dictionary written
out as a literal in the columns' order, each goal group's test and tuple spelt out. Any other
record goes to the general path (``slow``), so rejections keep their exact messages. The two are
held equal by tests (`tests/test_io_roster_rows.py`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from typing import Any

import attrs

from incentives.io.keyed import KeyedFile
from incentives.model import EmployeeInput, GoalInput, Rejection, RowSource
from incentives.rulebook.runtime.policy import show_in_tracebacks

__all__ = ["RowBuilder", "row_builder"]

# (first line, fields) of each record, and the number of the record before the first
RowBuilder = Callable[
    [Iterable[tuple[int, Sequence[str]]], int], Iterator["EmployeeInput | Rejection"]
]


def row_builder(
    *,
    file: str,
    columns: Sequence[str],
    picked: Sequence[int],
    id_index: int,
    goal_groups: Sequence[tuple[str, Mapping[str, int]]] | None,
    keyed: Mapping[str, Callable[[str], tuple[Any, ...]] | None],
    unusual: Collection[str],
    slow: Callable[[int, int, Sequence[str]], EmployeeInput | Rejection],
) -> RowBuilder:
    """The builder of the employees of a roster's records, as `Roster._employee` builds them.

    ``picked``: the indexes of the columns the cells hold, in file order (the id's among them);
    ``goal_groups``: per goal column group, its prefix and its parts' column indexes (name,
    target, actual, weight, direction; name and direction may be absent), or None when the
    rows carry no column goals; ``keyed``: the rows of "goals", "ratings", "history" per
    employee id (None: none); ``unusual``: the ids that are duplicates or have a fault in a
    keyed file; ``slow(number, line, fields)``: the general path, for any other record."""
    scope: dict[str, Any] = {
        "NEW": tuple.__new__,
        "SOURCE": RowSource,
        "GOAL": GoalInput,
        "EMPLOYEE": EmployeeInput,
        "FILE": file,
        "UNUSUAL": unusual,
        "SLOW": slow,
    }
    width = len(columns)
    lines = [
        "def employees(rows, number):",
        "    for line, fields in rows:",
        "        number += 1",
        f"        if len(fields) != {width}:",
        "            yield SLOW(number, line, fields)",
        "            continue",
        f"        employee_id = fields[{id_index}].strip()",
        "        if not employee_id or employee_id in UNUSUAL:",
        "            yield SLOW(number, line, fields)",
        "            continue",
        "        source = NEW(SOURCE, (FILE, number, line))",
    ]
    # every cell read: the picked ones, and the goal groups' (always picked with goals)
    read = sorted({*picked, *(i for _, parts in goal_groups or () for i in parts.values())})
    for index in read:
        if index != id_index:
            lines.append(f"        c{index} = fields[{index}].strip()")
    cell = {index: "employee_id" if index == id_index else f"c{index}" for index in read}
    entries = ", ".join(f"{columns[index]!r}: {cell[index]}" for index in picked)
    if goal_groups is not None:
        lines += _goal_lines(goal_groups, cell)
    found = {}
    for role in ("goals", "ratings", "history"):
        rows = keyed.get(role)
        name = role.upper()
        found[role] = "()"
        if rows is not None:
            scope[name] = rows
            found[role] = f"{name}(employee_id)"
            # a keyed file's rows (`KeyedFile.rows`) looked up only for an employee it has
            # rows for (most employees have no dated change): a Python call less, the same ()
            owner = getattr(rows, "__self__", None)
            if isinstance(owner, KeyedFile) and rows == owner.rows:
                scope[f"{name}_IDS"] = owner.ids()
                found[role] = f"{name}(employee_id) if employee_id in {name}_IDS else ()"
    goals = "goals" if goal_groups is not None else found["goals"]
    values = ("employee_id", f"{{{entries}}}", "source", goals, found["ratings"], found["history"])
    lines += _employee_lines(values, scope)
    # generated from the roster's header (column names as literals, by repr), no other text;
    # named by its source's hash and given to linecache, so a traceback quotes its lines
    source = "\n".join(lines) + "\n"
    filename = f"<roster rows {hashlib.sha256(source.encode('utf-8')).hexdigest()[:12]}>"
    show_in_tracebacks(filename, source)
    exec(compile(source, filename, "exec"), scope)
    built: RowBuilder = scope["employees"]
    return built


def _goal_lines(
    goal_groups: Sequence[tuple[str, Mapping[str, int]]], cell: Mapping[int, str]
) -> list[str]:
    """The lines setting ``goals``, the tuple of the goal groups having a target, an actual
    or a weight: when every group has one (the usual row), that tuple at once; else the
    groups' tests one by one into a list, made a tuple."""
    if not goal_groups:
        return ["        goals = ()"]
    tests, goals = [], []
    for prefix, parts in goal_groups:
        target, actual, weight = (cell[parts[p]] for p in ("target", "actual", "weight"))
        name = f"{cell[parts['name']]} or " if "name" in parts else ""
        direction = f"{cell[parts['direction']]} or " if "direction" in parts else ""
        tests.append(f"({target} or {actual} or {weight})")
        goals.append(
            f"NEW(GOAL, ({name}{prefix[:-1]!r}, {target}, {actual}, {weight}, "
            f"{direction}'higher', source, {prefix!r}))"
        )
    lines = [f"        if {' and '.join(tests)}:", f"            goals = ({', '.join(goals)},)"]
    lines += ["        else:", "            goals = []"]
    for test, goal in zip(tests, goals, strict=True):
        lines += [f"            if {test}:", f"                goals.append({goal})"]
    return [*lines, "            goals = tuple(goals)"]


def _employee_lines(values: Sequence[str], scope: dict[str, Any]) -> list[str]:
    """The lines yielding ``EmployeeInput(*values)``: its slots set one by one on a new
    object, which is what its attrs ``__init__`` does (no validator, converter or hook to
    run; checked here) without a Python call of its own per row."""
    fields = attrs.fields(EmployeeInput)
    plain = len(fields) == len(values) and all(
        f.validator is None and f.converter is None and f.on_setattr is None for f in fields
    )
    if not plain or hasattr(EmployeeInput, "__attrs_post_init__"):
        return [f"        yield EMPLOYEE({', '.join(values)})"]
    scope["OBJECT"] = object.__new__
    lines = ["        employee = OBJECT(EMPLOYEE)"]
    names: list[str] = [field.name for field in fields]
    for name, value in zip(names, values, strict=True):
        scope[f"SET_{name}"] = getattr(EmployeeInput, name).__set__
        lines.append(f"        SET_{name}(employee, {value})")
    return [*lines, "        yield employee"]
