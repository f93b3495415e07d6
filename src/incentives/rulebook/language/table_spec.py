"""Table specs: ``tables.<name>`` of a policy file as validated pydantic models.

`TableSpec` holds the axes and the grid of values as written, with decimals parsed and bands
recognised; which ``at`` entries, ``below`` and ``above`` fit which ``match``, and whether the grid's
shape fits the axes, is checked later, when the table compiles (`incentives.rulebook.runtime.table_checks`),
so every problem is reported with its exact position.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, PlainValidator, ValidationError

from incentives.errors import IncentivesError
from incentives.rulebook.language.values import Num, Text, parse_label, parse_number

__all__ = ["AxisSpec", "RangeBandSpec", "RoundSpec", "TableSpec"]


class RangeBandSpec(BaseModel):
    """One band of a range axis: ``{from: 1, to: 3}`` is ``[1, 3)``; no ``to`` is open-ended."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, defer_build=True)

    from_: Num = Field(alias="from")
    to: Num | None = None


class RoundSpec(BaseModel):
    """``round: {step: 0.01%, mode: half_up}``; the mode is checked when the table compiles."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    step: Num
    mode: str = "half_up"


def _band_error(exc: ValidationError) -> str:
    parts = []
    for error in exc.errors():
        where = ".".join(str(part) for part in error["loc"])
        if error["type"] == "extra_forbidden":
            parts.append(f"unknown key '{where}' in a band (a band has 'from' and 'to')")
        elif error["type"] == "missing":
            parts.append(f"a band needs '{where}'")
        else:
            message = str(error["msg"]).removeprefix("Value error, ")
            parts.append(f"{where}: {message}" if where else message)
    return "; ".join(parts)


def _parse_at(value: Any) -> Decimal | str | RangeBandSpec:
    """An ``at`` entry: a band ``{from, to}`` when it is a mapping, else a key (see `Label`).

    Validated in one function rather than as a union, so an error's location is just the
    entry's position (``axes.0.at.2``), which the loader maps to a line.
    """
    if isinstance(value, RangeBandSpec):
        return value
    if isinstance(value, dict):
        try:
            return RangeBandSpec.model_validate(value)
        except ValidationError as exc:
            raise ValueError(_band_error(exc)) from None
    return parse_label(value)


class _CellError(IncentivesError, ValueError):
    def __init__(self, position: tuple[int, ...], message: str) -> None:
        self.position = position
        self.message = message
        super().__init__(message)


def _grid(value: Any, position: tuple[int, ...]) -> Decimal | list[Any] | dict[str, Any]:
    if isinstance(value, list | tuple):
        return [_grid(item, (*position, i + 1)) for i, item in enumerate(value)]
    if isinstance(value, dict):  # a cell with named values: {min: 2%, target: 3%, max: 4%}
        cell: dict[str, Decimal] = {}
        for key, item in value.items():
            try:
                cell[str(key)] = parse_number(item)
            except ValueError as exc:
                raise _CellError(position, f"{key}: {exc}") from None
        return cell
    try:
        return parse_number(value)
    except ValueError as exc:
        raise _CellError(position, str(exc)) from None


def _parse_grid(value: Any) -> Decimal | list[Any] | dict[str, Any]:
    """A value, or a row of values one axis further down: as deep as there are axes.

    Errors name the value's position inside the row (``value 3: 'x' is not a number``).
    """
    try:
        return _grid(value, ())
    except _CellError as exc:
        if not exc.position:
            raise ValueError(exc.message) from None
        where = ".".join(str(i) for i in exc.position)
        raise ValueError(f"value {where}: {exc.message}") from None


def _dump(value: Any) -> Any:
    """Exact text for decimals at any depth (what rulebook.json records)."""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, list | tuple):
        return [_dump(item) for item in value]
    if isinstance(value, dict):
        return {key: _dump(item) for key, item in value.items()}
    if isinstance(value, RangeBandSpec):
        return value.model_dump(mode="json", by_alias=True, exclude_none=True)
    return value


AtItem = Annotated[
    Decimal | str | RangeBandSpec,
    PlainValidator(_parse_at),
    PlainSerializer(_dump, return_type=Any),
]
Grid = Annotated[
    Decimal | list[Any] | dict[str, Any],
    PlainValidator(_parse_grid),
    PlainSerializer(_dump, return_type=Any),
]


class AxisSpec(BaseModel):
    """One axis of a table. Which ``at`` entries and ``below``/``above`` fit which ``match`` is
    checked by `compile_table`, so every problem is reported with its exact position."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    name: Text
    match: Literal["exact", "range", "interpolate"]
    at: list[AtItem] = Field(min_length=1)
    below: Literal["reject", "clamp", "extrapolate"] | None = None
    above: Literal["reject", "clamp", "extrapolate"] | None = None


class TableSpec(BaseModel):
    """``tables.<name>`` in a policy file."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    axes: list[AxisSpec] = Field(min_length=1)
    values: list[Grid]
    default: Num | None = None
    round: RoundSpec | None = None
    floor: Num | None = None
    cap: Num | None = None
    type: Literal["percent", "money", "decimal"] = "decimal"
    description: Text | None = None
