"""The points of a sweep: joint draws from a CSV file, or a grid.

    draws = read_draws("draws.csv", rulebook)      # draw, weight, one column per result
    grid = grid_points(["revenue_growth=0%..12%/0.5%", "operating_margin[Sales]=6%,10%,14%"], rulebook)

Every point gives each swept result one exact decimal value and carries a weight (1 for a grid
point). Draws keep finance's joint values as they are (correlated results stay correlated).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs

from incentives.io.csvread import open_csv
from incentives.rulebook.language.values import parse_number
from incentives.rulebook.rulebook import Rulebook
from incentives.sweep.variables import SweepInputError, Variable, parse_variable

__all__ = ["MAX_POINTS", "Point", "Points", "grid_points", "read_draws", "split_assignment"]

MAX_POINTS = 1_000_000
"""Points in one sweep (a grid's product above this is refused before anything runs)."""

_ID_COLUMNS = ("draw", "point", "id")


@attrs.frozen
class Point:
    """One point: its id, weight and a value per swept variable (in `Points.variables`' order)."""

    id: str
    weight: Decimal
    values: tuple[Decimal, ...]


@attrs.frozen
class Points:
    """The swept variables and every point; ``source`` says where they came from (manifest)."""

    variables: tuple[Variable, ...]
    points: tuple[Point, ...]
    source: dict[str, Any] = attrs.field(factory=dict, eq=False)


def read_draws(path: str | Path, rulebook: Rulebook) -> Points:
    """A CSV of joint draws: an id column (``draw``), an optional ``weight`` (default 1) and one
    column per swept result; every fault names file:row:column."""
    table = open_csv(path, what="draws file")
    name = table.name
    columns = table.columns
    id_column = next((i for i, c in enumerate(columns) if c.strip() in _ID_COLUMNS), None)
    if id_column is None:
        raise SweepInputError(
            f"{name}:{table.header_line}: no draw id column (name one column 'draw')"
        )
    weight_column = next((i for i, c in enumerate(columns) if c.strip() == "weight"), None)
    variables: list[tuple[int, Variable]] = []
    for index, column in enumerate(columns):
        if index in (id_column, weight_column):
            continue
        where = f"{name}:{table.header_line}:{index + 1}"
        variable = parse_variable(column, rulebook, where)
        if any(v == variable for _, v in variables):
            raise SweepInputError(f"{where}: '{column}' is given twice; keep one column")
        variables.append((index, variable))
    if not variables:
        raise SweepInputError(f"{name}:{table.header_line}: no result column beside the draw id")
    points: list[Point] = []
    seen: dict[str, int] = {}
    for record in table.records():
        if len(record.fields) != len(columns):
            raise SweepInputError(
                f"{name}:{record.line}: the row has {len(record.fields)} fields, the header {len(columns)}"
            )
        draw = record.fields[id_column].strip()
        if not draw:
            raise SweepInputError(f"{name}:{record.line}:{id_column + 1}: the draw id is blank")
        if draw in seen:
            raise SweepInputError(
                f"{name}:{record.line}:{id_column + 1}: draw '{draw}' is given twice (line {seen[draw]} too)"
            )
        seen[draw] = record.line
        weight = Decimal(1)
        if weight_column is not None:
            weight = _number(record.fields[weight_column], f"{name}:{record.line}:{weight_column + 1}", "weight")
            if weight <= 0:
                raise SweepInputError(
                    f"{name}:{record.line}:{weight_column + 1}: weight {record.fields[weight_column].strip()} "
                    "must be positive (leave a draw out rather than weigh it 0)"
                )
        values = tuple(
            _number(record.fields[i], f"{name}:{record.line}:{i + 1}", v.label) for i, v in variables
        )
        points.append(Point(draw, weight, values))
        if len(points) > MAX_POINTS:
            raise SweepInputError(f"{name}: more than {MAX_POINTS:,} draws")
    if not points:
        raise SweepInputError(f"{name}: the draws file has no draws (a header and no rows)")
    return Points(tuple(v for _, v in variables), tuple(points), {"kind": "draws", "path": str(path)})


def split_assignment(text: str) -> tuple[str, str]:
    """``NAME=VALUE`` split at the last ``=`` outside brackets (``m[unit=Sales]=5%``)."""
    depth, cut = 0, -1
    for i, char in enumerate(text):
        if char == "[":
            depth += 1
        elif char == "]":
            depth -= 1
        elif char == "=" and depth == 0:
            cut = i
    if cut < 0:
        raise SweepInputError(f"--grid '{text}': write NAME=FROM..TO/STEP or NAME=V1,V2,...")
    return text[:cut].strip(), text[cut + 1 :].strip()


def grid_points(specs: Sequence[str], rulebook: Rulebook) -> Points:
    """The product of each ``NAME=FROM..TO/STEP`` (both ends included) or ``NAME=V1,V2,...``
    axis, in the order given (the last axis varies fastest); every point weighs 1."""
    axes: list[tuple[str, object]] = []
    for spec in specs:
        name, values = split_assignment(spec)
        if ".." in values:
            span, _, step = values.partition("/")
            start, _, stop = span.partition("..")
            axes.append((name, {"from": start, "to": stop, "step": step or None}))
        else:
            axes.append((name, [v for v in values.split(",")]))
    return grid_from_axes(axes, rulebook, lambda name: f"--grid '{name}'")


def grid_from_axes(
    axes: Iterable[tuple[str, object]], rulebook: Rulebook, where: Any
) -> Points:
    """A grid from (name, list of values or {from, to, step}) axes; ``where(name)`` locates
    an axis in messages (an option, or a spec file's line)."""
    variables: list[Variable] = []
    columns: list[list[Decimal]] = []
    for name, axis in axes:
        at = where(name)
        variable = parse_variable(name, rulebook, at)
        if variable in variables:
            raise SweepInputError(f"{at}: '{name}' is swept twice; give one axis")
        variables.append(variable)
        columns.append(_axis_values(axis, at))
    if not variables:
        raise SweepInputError("the grid has no axis (give --grid NAME=FROM..TO/STEP)")
    count = 1
    for values in columns:
        count *= len(values)
    if count > MAX_POINTS:
        raise SweepInputError(f"the grid has {count:,} points, more than {MAX_POINTS:,}")
    width = len(str(count))
    points = tuple(
        Point(str(i).zfill(width), Decimal(1), values)
        for i, values in enumerate(itertools.product(*columns), 1)
    )
    return Points(tuple(variables), points, {"kind": "grid"})


def _axis_values(axis: object, where: str) -> list[Decimal]:
    if isinstance(axis, dict):
        if set(axis) - {"from", "to", "step"} or axis.get("from") is None or axis.get("to") is None:
            raise SweepInputError(f"{where}: a range needs from and to (and step): FROM..TO/STEP")
        start = _number(axis["from"], where, "from")
        stop = _number(axis["to"], where, "to")
        if axis.get("step") is None:
            raise SweepInputError(f"{where}: a range needs a step: FROM..TO/STEP (e.g. 0%..12%/0.5%)")
        step = _number(axis["step"], where, "step")
        if step <= 0 or stop < start:
            raise SweepInputError(f"{where}: the range needs FROM <= TO and a positive STEP")
        if (stop - start) / step >= MAX_POINTS:
            raise SweepInputError(f"{where}: the range has more than {MAX_POINTS:,} values")
        values = []
        value = start
        while value <= stop:
            values.append(value)
            value += step
        return values
    if not isinstance(axis, list) or not axis:
        raise SweepInputError(f"{where}: give a list of values or FROM..TO/STEP")
    values = [_number(v, where, "value") for v in axis]
    if len(set(values)) != len(values):
        raise SweepInputError(f"{where}: a value is listed twice")
    return values


def _number(text: object, where: str, what: str) -> Decimal:
    try:
        return parse_number(text.strip() if isinstance(text, str) else text)
    except ValueError as error:
        raise SweepInputError(f"{where}: {what}: {error}") from None
