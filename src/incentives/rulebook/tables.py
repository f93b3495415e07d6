"""Lookup tables: their specs and their compiled, per-employee lookups.

A table has one or more axes, each matched in its own way, and a grid of values with one
dimension per axis:

- ``exact``: a dict lookup on the listed keys. Numeric keys are stored as `Decimal`, so the
  integer 4, ``Decimal('4')`` and ``Decimal('4.0')`` all find key 4.
- ``range``: half-open bands ``[from, to)``, found with `bisect` on the band starts; outside the
  bands ``below``/``above`` reject (default) or clamp to the first/last band.
- ``interpolate``: straight lines between strictly increasing points (multilinear over several
  interpolate axes); outside ``below``/``above`` clamp (default), extrapolate or reject.

``table(*keys)`` returns ``(value, detail)``. ``detail`` holds one element per axis saying what
matched, for the trace: the key's or band's index (an ``int``) on exact and range axes; on
interpolate axes a precomputed triple ``(i, j, how)``: ``(i, i + 1, "between")``,
``(i, i, "point")`` exactly on point ``i``, ``(0, 0, "clamp")``/``(n - 1, n - 1, "clamp")``, or the
outermost segment with ``"extrapolate"``. When no key matches and the table declares a
``default``, the default is returned and the axes that missed hold ``None``; without a default,
or when a key is missing altogether (``None``), `LookupMiss` is raised.

The looked-up value is then adjusted in this order: interpolate → ``round`` → ``floor`` →
``cap``. A ``default`` is returned as declared, without rounding, floor or cap.

Keys in explanations print plainly, except on an interpolate axis of a ``percent`` table whose
points are all below 10 (read as attainments): those print as percentages.
"""

from __future__ import annotations

import difflib
from bisect import bisect_right
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Annotated, Any, Literal, cast

import attrs
from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, PlainValidator, ValidationError

from incentives.display import format_value
from incentives.errors import RowError
from incentives.money import ROUNDING_MODES, quantize_step
from incentives.rulebook.values import (
    Num,
    SpecIssue,
    SpecIssues,
    Text,
    parse_label,
    parse_number,
)

__all__ = [
    "AxisSpec",
    "ExactAxis",
    "InterpolateAxis",
    "LookupMiss",
    "RangeAxis",
    "RangeBandSpec",
    "RoundSpec",
    "Table",
    "TableSpec",
    "compile_table",
]


def _dec(value: Decimal) -> str:
    """An exact decimal as text without exponent notation (``1E+3`` → ``1000``)."""
    return format(value, "f")


# --------------------------------------------------------------------------------------- specs


class RangeBandSpec(BaseModel):
    """One band of a range axis: ``{from: 1, to: 3}`` is ``[1, 3)``; no ``to`` is open-ended."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    from_: Num = Field(alias="from")
    to: Num | None = None


class RoundSpec(BaseModel):
    """``round: {step: 0.01%, mode: half_up}``; the mode is checked when the table compiles."""

    model_config = ConfigDict(extra="forbid", frozen=True)

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


class _CellError(ValueError):
    def __init__(self, position: tuple[int, ...], message: str) -> None:
        self.position = position
        self.message = message
        super().__init__(message)


def _grid(value: Any, position: tuple[int, ...]) -> Decimal | list[Any]:
    if isinstance(value, list | tuple):
        return [_grid(item, (*position, i + 1)) for i, item in enumerate(value)]
    try:
        return parse_number(value)
    except ValueError as exc:
        raise _CellError(position, str(exc)) from None


def _parse_grid(value: Any) -> Decimal | list[Any]:
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
    if isinstance(value, RangeBandSpec):
        return value.model_dump(mode="json", by_alias=True, exclude_none=True)
    return value


AtItem = Annotated[
    Decimal | str | RangeBandSpec,
    PlainValidator(_parse_at),
    PlainSerializer(_dump, return_type=Any),
]
Grid = Annotated[
    Decimal | list[Any], PlainValidator(_parse_grid), PlainSerializer(_dump, return_type=Any)
]


class AxisSpec(BaseModel):
    """One axis of a table. Which ``at`` entries and ``below``/``above`` fit which ``match`` is
    checked by `compile_table`, so every problem is reported with its exact position."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Text
    match: Literal["exact", "range", "interpolate"]
    at: list[AtItem] = Field(min_length=1)
    below: Literal["reject", "clamp", "extrapolate"] | None = None
    above: Literal["reject", "clamp", "extrapolate"] | None = None


class TableSpec(BaseModel):
    """``tables.<name>`` in a policy file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    axes: list[AxisSpec] = Field(min_length=1)
    values: list[Grid]
    default: Num | None = None
    round: RoundSpec | None = None
    floor: Num | None = None
    cap: Num | None = None
    type: Literal["percent", "money", "decimal"] = "decimal"
    description: Text | None = None


# ----------------------------------------------------------------------------- compiled axes


class LookupMiss(RowError):
    """No row of a table matches an employee's keys (and the table has no ``default``)."""

    def __init__(self, table: str, reason: str, column: str = "", value: str = "") -> None:
        self.table = table
        super().__init__(reason, column=column, value=value)


def _plain(key: object) -> str:
    return format_value(key, "decimal")


def _listing(items: Sequence[str]) -> str:
    if len(items) <= 10:
        return ", ".join(items)
    return ", ".join([*items[:3], "...", *items[-2:]])


@attrs.frozen(slots=True)
class ExactAxis:
    """Exact keys; ``index`` maps each key (`Decimal` or label) to its position."""

    name: str
    keys: tuple[Decimal | str, ...]
    index: Mapping[object, int]

    def locate(self, key: object) -> int | None:
        found = self.index.get(key)
        if found is None and isinstance(key, str):
            # Only on a miss: a text cell "4" still finds the numeric key 4.
            found = self.index.get(parse_label(key))
        return found

    def format_key(self, key: object) -> str:
        return _plain(key)

    def known(self) -> str:
        return _listing([_plain(k) for k in self.keys])

    def describe(self) -> dict[str, object]:
        keys = [_dec(k) if isinstance(k, Decimal) else k for k in self.keys]
        return {"name": self.name, "match": "exact", "at": keys}


def _band_text(start: Decimal, end: Decimal | None) -> str:
    return f"[{_plain(start)}, {_plain(end) if end is not None else '…'})"


@attrs.frozen(slots=True)
class RangeAxis:
    """Contiguous half-open bands; ``top`` is the last band's end (``None``: open-ended)."""

    name: str
    starts: tuple[Decimal, ...]
    top: Decimal | None
    clamp_below: bool
    clamp_above: bool

    def locate(self, key: Any) -> int | None:
        i = bisect_right(self.starts, key) - 1
        if i < 0:
            return 0 if self.clamp_below else None
        top = self.top
        if top is not None and key >= top:
            return i if self.clamp_above else None
        return i

    def band(self, i: int) -> str:
        end = self.starts[i + 1] if i + 1 < len(self.starts) else self.top
        return _band_text(self.starts[i], end)

    def format_key(self, key: object) -> str:
        return _plain(key)

    def known(self) -> str:
        return f"bands cover {_band_text(self.starts[0], self.top)}"

    def describe(self) -> dict[str, object]:
        ends: list[Decimal | None] = [*self.starts[1:], self.top]
        return {
            "name": self.name,
            "match": "range",
            "at": [
                {"from": _dec(s), "to": None if e is None else _dec(e)}
                for s, e in zip(self.starts, ends, strict=True)
            ],
            "below": "clamp" if self.clamp_below else "reject",
            "above": "clamp" if self.clamp_above else "reject",
        }


InterpDetail = tuple[int, int, str]


@attrs.frozen(slots=True)
class InterpolateAxis:
    """Strictly increasing points; the detail triples are built once, here."""

    name: str
    points: tuple[Decimal, ...]
    below: str
    above: str
    percent: bool
    _on: tuple[InterpDetail, ...] = attrs.field(init=False)
    _between: tuple[InterpDetail, ...] = attrs.field(init=False)
    _low: InterpDetail | None = attrs.field(init=False)
    _high: InterpDetail | None = attrs.field(init=False)

    def __attrs_post_init__(self) -> None:
        last = len(self.points) - 1
        outside: dict[str, tuple[InterpDetail | None, InterpDetail | None]] = {
            "clamp": ((0, 0, "clamp"), (last, last, "clamp")),
            "extrapolate": ((0, 1, "extrapolate"), (last - 1, last, "extrapolate")),
            "reject": (None, None),
        }
        object.__setattr__(self, "_on", tuple((i, i, "point") for i in range(last + 1)))
        object.__setattr__(self, "_between", tuple((i, i + 1, "between") for i in range(last)))
        object.__setattr__(self, "_low", outside[self.below][0])
        object.__setattr__(self, "_high", outside[self.above][1])

    def locate(self, key: Any) -> InterpDetail | None:
        points = self.points
        i = bisect_right(points, key) - 1
        if i < 0:
            return self._low
        if key == points[i]:
            return self._on[i]
        if i == len(points) - 1:
            return self._high
        return self._between[i]

    def format_key(self, key: object) -> str:
        return format_value(key, "percent" if self.percent else "decimal")

    def known(self) -> str:
        first, last = self.format_key(self.points[0]), self.format_key(self.points[-1])
        return f"points from {first} to {last}"

    def describe(self) -> dict[str, object]:
        return {
            "name": self.name,
            "match": "interpolate",
            "at": [_dec(p) for p in self.points],
            "below": self.below,
            "above": self.above,
        }


Axis = ExactAxis | RangeAxis | InterpolateAxis


# ------------------------------------------------------------------------------ compiled table


@attrs.frozen(slots=True)
class Table:
    """A compiled table. ``table(*keys)`` → ``(value, detail)``; see the module docstring.

    ``values`` is the grid flattened row-major (the first axis varies slowest).
    """

    name: str
    axes: tuple[Axis, ...]
    values: tuple[Decimal, ...]
    type: str = "decimal"
    default: Decimal | None = None
    round_step: Decimal | None = None
    round_mode: str = "half_up"
    floor: Decimal | None = None
    cap: Decimal | None = None
    description: str | None = None
    _strides: tuple[int, ...] = attrs.field(init=False)
    _rounding: str = attrs.field(init=False)
    _adjusts: bool = attrs.field(init=False)

    def __attrs_post_init__(self) -> None:
        strides = [1] * len(self.axes)
        for a in range(len(self.axes) - 2, -1, -1):
            strides[a] = strides[a + 1] * _axis_len(self.axes[a + 1])
        object.__setattr__(self, "_strides", tuple(strides))
        object.__setattr__(self, "_rounding", ROUNDING_MODES[self.round_mode])
        adjusts = not (self.round_step is None and self.floor is None and self.cap is None)
        object.__setattr__(self, "_adjusts", adjusts)

    @property
    def arity(self) -> tuple[int, int]:
        return (len(self.axes), len(self.axes))

    def __call__(self, *keys: object) -> tuple[Decimal, tuple[object, ...]]:
        axes = self.axes
        if len(keys) == 1 and len(axes) == 1:
            # The common 1-D case, without the general loop.
            key = keys[0]
            if key is None:
                raise self._missing_key(keys)
            try:
                found = axes[0].locate(key)
            except TypeError:
                raise self._not_a_number(keys) from None
            if found is None:
                if self.default is not None:
                    return self.default, (None,)
                raise self._miss(keys, (None,))
            value = self.values[found] if type(found) is int else self._value(0, 0, (found,), keys)
            if self._adjusts:
                value = self._adjust(value)
            return value, (found,)
        if len(keys) != len(axes):
            raise TypeError(f"table '{self.name}' takes {len(axes)} keys, got {len(keys)}")
        if None in keys:
            raise self._missing_key(keys)
        try:
            detail = tuple([axis.locate(key) for axis, key in zip(axes, keys, strict=True)])
        except TypeError:
            raise self._not_a_number(keys) from None
        if None in detail:
            if self.default is not None:
                return self.default, detail
            raise self._miss(keys, detail)
        value = self._value(0, 0, detail, keys)
        return (self._adjust(value) if self._adjusts else value), detail

    def _value(
        self, start: int, offset: int, detail: Sequence[object], keys: Sequence[Any]
    ) -> Decimal:
        """The grid value at ``detail``, interpolating along every axis that is between points."""
        strides = self._strides
        for a in range(start, len(detail)):
            found = detail[a]
            if type(found) is int:
                offset += found * strides[a]
                continue
            i, j, _ = cast(InterpDetail, found)
            if i == j:
                offset += i * strides[a]
                continue
            lo = self._value(a + 1, offset + i * strides[a], detail, keys)
            hi = self._value(a + 1, offset + j * strides[a], detail, keys)
            points = cast(InterpolateAxis, self.axes[a]).points
            # Multiply before dividing so a round slope stays exact.
            result: Decimal = lo + (keys[a] - points[i]) * (hi - lo) / (points[j] - points[i])
            return result
        return self.values[offset]

    def _adjust(self, value: Decimal) -> Decimal:
        """round → floor → cap."""
        if self.round_step is not None:
            value = quantize_step(value, self.round_step, self._rounding)
        if self.floor is not None and value < self.floor:
            value = self.floor
        if self.cap is not None and value > self.cap:
            value = self.cap
        return value

    # -- errors, built only on the rare paths

    def _keys_text(self, keys: Sequence[object]) -> str:
        return ", ".join(
            f"{axis.name}={axis.format_key(key)}" for axis, key in zip(self.axes, keys, strict=True)
        )

    def _missing_key(self, keys: Sequence[object]) -> LookupMiss:
        names = [axis.name for axis, key in zip(self.axes, keys, strict=True) if key is None]
        return LookupMiss(
            self.name,
            f"no row of table '{self.name}' for {self._keys_text(keys)}: "
            f"{', '.join(names)} {'is' if len(names) == 1 else 'are'} missing",
            column=names[0],
        )

    def _not_a_number(self, keys: Sequence[object]) -> LookupMiss:
        bad = [
            axis.name
            for axis, key in zip(self.axes, keys, strict=True)
            if not isinstance(axis, ExactAxis) and not isinstance(key, Decimal | int)
        ]
        names = ", ".join(bad) or "a key"
        return LookupMiss(
            self.name,
            f"no row of table '{self.name}' for {self._keys_text(keys)}: {names} must be a number",
            column=bad[0] if bad else "",
        )

    def _miss(self, keys: Sequence[object], detail: tuple[object, ...]) -> LookupMiss:
        missed = [a for a, found in enumerate(detail) if found is None]
        if len(self.axes) == 1:
            known = f"known: {self.axes[0].known()}"
        else:
            known = "; ".join(f"known {self.axes[a].name}: {self.axes[a].known()}" for a in missed)
        first = missed[0]
        return LookupMiss(
            self.name,
            f"no row of table '{self.name}' for {self._keys_text(keys)} ({known})",
            column=self.axes[first].name,
            value=self.axes[first].format_key(keys[first]),
        )

    # -- description and explanation

    def describe(self) -> dict[str, object]:
        """A static, JSON-able description for the run's rulebook.json."""

        def nest(a: int, offset: int) -> list[object]:
            n = _axis_len(self.axes[a])
            if a == len(self.axes) - 1:
                return [_dec(v) for v in self.values[offset : offset + n]]
            return [nest(a + 1, offset + i * self._strides[a]) for i in range(n)]

        def opt(value: Decimal | None) -> str | None:
            return None if value is None else _dec(value)

        rounding = (
            None
            if self.round_step is None
            else {"step": _dec(self.round_step), "mode": self.round_mode}
        )
        return {
            "kind": "table",
            "name": self.name,
            "type": self.type,
            "axes": [axis.describe() for axis in self.axes],
            "values": nest(0, 0),
            "default": opt(self.default),
            "round": rounding,
            "floor": opt(self.floor),
            "cap": opt(self.cap),
            "description": self.description,
        }

    def explain(self, args: Sequence[object], value: Decimal, detail: object) -> str:
        """``funding(profit_attainment=90%, rating=4) = 60% + (90% − 80%) ÷ (100% − 80%) ×
        (110% − 60%) = 85%``; notes say which band matched, what was clamped or rounded."""
        show = self._show
        keys: list[Any] = list(args)
        if len(keys) != len(self.axes):
            return f"{self.name}(...) = {show(value)}"
        head = f"{self.name}({self._keys_text(keys)}) = "
        if not isinstance(detail, tuple) or len(detail) != len(self.axes):
            return head + show(value)
        if None in detail:
            missed = ", ".join(
                f"{self.axes[a].name}={self.axes[a].format_key(keys[a])}"
                for a, found in enumerate(detail)
                if found is None
            )
            return head + f"{show(value)} (the default: no row for {missed})"
        notes: list[str] = []
        moving: list[int] = []
        for a, (axis, found) in enumerate(zip(self.axes, detail, strict=True)):
            if isinstance(axis, RangeAxis) and isinstance(found, int):
                key = keys[a]
                outside = isinstance(key, Decimal | int) and (
                    key < axis.starts[0] or (axis.top is not None and key >= axis.top)
                )
                notes.append(
                    f"{axis.name} {'clamped to' if outside else 'in'} band {axis.band(found)}"
                )
            elif isinstance(axis, InterpolateAxis) and isinstance(found, tuple):
                i, j, how = found
                if how == "clamp":
                    notes.append(f"{axis.name} clamped to {axis.format_key(axis.points[i])}")
                elif how == "extrapolate":
                    low = i == 0 and keys[a] < axis.points[0]
                    edge = axis.points[0] if low else axis.points[-1]
                    notes.append(f"{axis.name} extrapolated beyond {axis.format_key(edge)}")
                if i != j:
                    moving.append(a)
        raw = self._value(0, 0, detail, keys)
        if len(moving) == 1:
            a = moving[0]
            axis = self.axes[a]
            assert isinstance(axis, InterpolateAxis)
            i, j, _ = cast(InterpDetail, detail[a])
            lo = self._value(0, 0, (*detail[:a], (i, i, "point"), *detail[a + 1 :]), keys)
            hi = self._value(0, 0, (*detail[:a], (j, j, "point"), *detail[a + 1 :]), keys)
            fk = axis.format_key
            p_i, p_j = axis.points[i], axis.points[j]
            text = (
                f"{show(lo)} + ({fk(keys[a])} − {fk(p_i)}) ÷ ({fk(p_j)} − {fk(p_i)}) × "
                f"({show(hi)} − {show(lo)}) = {show(raw)}"
            )
        elif moving:
            names = ", ".join(self.axes[a].name for a in moving)
            text = f"{show(raw)} (interpolated along {names})"
        else:
            text = show(raw)
        text += self._adjust_text(raw)
        return head + text + (f" ({'; '.join(notes)})" if notes else "")

    def _show(self, value: object) -> str:
        return format_value(value, self.type)

    def _adjust_text(self, value: Decimal) -> str:
        text = ""
        if self.round_step is not None:
            rounded = quantize_step(value, self.round_step, self._rounding)
            if rounded != value:
                text += f" → rounded to {self._show(rounded)}"
            value = rounded
        if self.floor is not None and value < self.floor:
            value = self.floor
            text += f" → raised to the floor {self._show(value)}"
        if self.cap is not None and value > self.cap:
            value = self.cap
            text += f" → capped at {self._show(value)}"
        return text


def _axis_len(axis: Axis) -> int:
    if isinstance(axis, ExactAxis):
        return len(axis.keys)
    if isinstance(axis, RangeAxis):
        return len(axis.starts)
    return len(axis.points)


# ----------------------------------------------------------------------------------- compiling


def compile_table(name: str, spec: TableSpec) -> Table:
    """Check a table spec and compile it; raises `SpecIssues` listing every problem."""
    issues: list[SpecIssue] = []
    names_seen: set[str] = set()
    for a, axis in enumerate(spec.axes):
        if axis.name in names_seen:
            issues.append(SpecIssue(("axes", a, "name"), f"axis name '{axis.name}' is used twice"))
        names_seen.add(axis.name)
    percent = spec.type == "percent"
    axes = [_compile_axis(a, axis, percent, issues) for a, axis in enumerate(spec.axes)]
    flat: list[Decimal] = []
    _check_grid(spec.values, spec.axes, 0, (), issues, flat)
    if spec.round is not None:
        if spec.round.step <= 0:
            issues.append(
                SpecIssue(
                    ("round", "step"),
                    f"the rounding step must be above 0, got {_dec(spec.round.step)}",
                    "write e.g. step: 0.01 or step: 0.01%",
                )
            )
        if spec.round.mode not in ROUNDING_MODES:
            close = difflib.get_close_matches(spec.round.mode, list(ROUNDING_MODES), n=1)
            hint = f"did you mean '{close[0]}'? " if close else ""
            issues.append(
                SpecIssue(
                    ("round", "mode"),
                    f"unknown rounding mode '{spec.round.mode}'",
                    hint + "use one of: " + ", ".join(ROUNDING_MODES),
                )
            )
    if spec.floor is not None and spec.cap is not None and spec.floor > spec.cap:
        issues.append(
            SpecIssue(
                ("floor",),
                f"the floor {_dec(spec.floor)} is above the cap {_dec(spec.cap)}",
            )
        )
    if issues:
        raise SpecIssues(issues)
    compiled = tuple(axis for axis in axes if axis is not None)
    return Table(
        name=name,
        axes=compiled,
        values=tuple(flat),
        type=spec.type,
        default=spec.default,
        round_step=None if spec.round is None else spec.round.step,
        round_mode="half_up" if spec.round is None else spec.round.mode,
        floor=spec.floor,
        cap=spec.cap,
        description=spec.description,
    )


def _compile_axis(a: int, spec: AxisSpec, percent: bool, issues: list[SpecIssue]) -> Axis | None:
    """One axis, or ``None`` after adding its problems to ``issues``."""
    before = len(issues)
    if spec.match == "exact":
        axis: Axis | None = _exact_axis(a, spec, issues)
    elif spec.match == "range":
        axis = _range_axis(a, spec, issues)
    else:
        axis = _interpolate_axis(a, spec, percent, issues)
    return axis if len(issues) == before else None


def _exact_axis(a: int, spec: AxisSpec, issues: list[SpecIssue]) -> ExactAxis | None:
    for side in ("below", "above"):
        if getattr(spec, side) is not None:
            issues.append(
                SpecIssue(
                    ("axes", a, side),
                    f"an exact axis has no '{side}': a key that is not listed uses the table's "
                    "'default', or the row is rejected",
                    f"remove '{side}', or use match: range or interpolate",
                )
            )
    index: dict[object, int] = {}
    keys: list[Decimal | str] = []
    for j, item in enumerate(spec.at):
        if isinstance(item, RangeBandSpec):
            issues.append(
                SpecIssue(
                    ("axes", a, "at", j),
                    "an exact axis lists keys, not {from, to} bands",
                    "use match: range for bands",
                )
            )
            continue
        if item in index:
            issues.append(
                SpecIssue(
                    ("axes", a, "at", j),
                    f"duplicate key {_plain(item)} on axis '{spec.name}' (also entry "
                    f"{index[item] + 1})",
                )
            )
            continue
        index[item] = j
        keys.append(item)
    return ExactAxis(spec.name, tuple(keys), index)


def _outside(a: int, spec: AxisSpec, allowed: tuple[str, ...], issues: list[SpecIssue]) -> None:
    for side in ("below", "above"):
        given = getattr(spec, side)
        if given is not None and given not in allowed:
            issues.append(
                SpecIssue(
                    ("axes", a, side),
                    f"a {spec.match} axis cannot '{given}' outside its "
                    + ("bands" if spec.match == "range" else "points"),
                    "use one of: " + ", ".join(allowed),
                )
            )


def _range_axis(a: int, spec: AxisSpec, issues: list[SpecIssue]) -> RangeAxis | None:
    _outside(a, spec, ("reject", "clamp"), issues)
    bands: list[RangeBandSpec] = []
    for j, item in enumerate(spec.at):
        if not isinstance(item, RangeBandSpec):
            issues.append(
                SpecIssue(
                    ("axes", a, "at", j),
                    f"a range axis lists bands like {{from: 0, to: 1}}, got {_plain(item)}",
                    "use match: exact for single keys",
                )
            )
            return None
        bands.append(item)
    last = len(bands) - 1
    for j, band in enumerate(bands):
        if band.to is None and j != last:
            issues.append(
                SpecIssue(
                    ("axes", a, "at", j),
                    f"band {j + 1} {_band_text(band.from_, None)} has no 'to', but only the last "
                    "band may leave it out",
                    "give every band but the last its 'to'",
                )
            )
        if band.to is not None and band.to <= band.from_:
            issues.append(
                SpecIssue(
                    ("axes", a, "at", j, "to"),
                    f"band {j + 1} ends at {_plain(band.to)}, not above where it starts "
                    f"({_plain(band.from_)}): 'to' must be greater than 'from'",
                )
            )
        if j == 0:
            continue
        prev = bands[j - 1]
        text, prev_text = _band_text(band.from_, band.to), _band_text(prev.from_, prev.to)
        if band.from_ < prev.from_:
            issues.append(
                SpecIssue(
                    ("axes", a, "at", j, "from"),
                    f"band {j + 1} {text} starts below band {j} {prev_text}: list the bands "
                    "from the lowest to the highest",
                )
            )
        elif prev.to is None or band.from_ < prev.to:
            ends = [e for e in (prev.to, band.to) if e is not None]
            upper = _plain(min(ends)) if ends else "above"
            issues.append(
                SpecIssue(
                    ("axes", a, "at", j, "from"),
                    f"bands {prev_text} and {text} overlap between {_plain(band.from_)} and "
                    f"{upper}",
                    "each value must fall in exactly one band: start a band where the previous "
                    "one ends",
                )
            )
        elif band.from_ > prev.to:
            issues.append(
                SpecIssue(
                    ("axes", a, "at", j, "from"),
                    f"nothing covers {_band_text(prev.to, band.from_)} between bands {j} "
                    f"and {j + 1}",
                    "start a band where the previous one ends",
                )
            )
    return RangeAxis(
        name=spec.name,
        starts=tuple(b.from_ for b in bands),
        top=bands[-1].to,
        clamp_below=spec.below == "clamp",
        clamp_above=spec.above == "clamp",
    )


def _interpolate_axis(
    a: int, spec: AxisSpec, percent: bool, issues: list[SpecIssue]
) -> InterpolateAxis | None:
    _outside(a, spec, ("clamp", "extrapolate", "reject"), issues)
    points: list[Decimal] = []
    for j, item in enumerate(spec.at):
        if not isinstance(item, Decimal):
            shown = "a {from, to} band" if isinstance(item, RangeBandSpec) else f"'{item}'"
            issues.append(
                SpecIssue(
                    ("axes", a, "at", j),
                    f"an interpolate axis lists numbers, got {shown}",
                )
            )
            return None
        if points and item <= points[-1]:
            issues.append(
                SpecIssue(
                    ("axes", a, "at", j),
                    f"point {j + 1} ({_dec(item)}) is not above point {j} ({_dec(points[-1])}): "
                    "interpolate points must be strictly increasing",
                )
            )
        points.append(item)
    if len(points) < 2:
        issues.append(SpecIssue(("axes", a, "at"), "an interpolate axis needs at least two points"))
        return None
    return InterpolateAxis(
        name=spec.name,
        points=tuple(points),
        below=spec.below or "clamp",
        above=spec.above or "clamp",
        percent=percent and all(p < 10 for p in points),
    )


def _check_grid(
    node: object,
    axes: Sequence[AxisSpec],
    depth: int,
    path: tuple[int, ...],
    issues: list[SpecIssue],
    flat: list[Decimal],
) -> None:
    """Check the grid's shape against the axes, flattening it row-major into ``flat``."""
    axis = axes[depth]
    expected = len(axis.at)
    where = "values" if not path else "row " + ".".join(str(i + 1) for i in path)
    if not isinstance(node, list):
        issues.append(
            SpecIssue(
                ("values", *path),
                f"{where} is a single value, expected a list of {expected} (one per {axis.name})",
            )
        )
        return
    if len(node) != expected:
        kind = "rows" if depth < len(axes) - 1 else "values"
        issues.append(
            SpecIssue(
                ("values", *path),
                f"{where} has {len(node)} {kind}, expected {expected} (one per {axis.name})",
            )
        )
    for i, item in enumerate(node[:expected]):
        if depth < len(axes) - 1:
            _check_grid(item, axes, depth + 1, (*path, i), issues, flat)
        elif isinstance(item, list):
            issues.append(
                SpecIssue(
                    ("values", *path, i),
                    f"expected a single value here, got a list: the table has {len(axes)} "
                    f"ax{'is' if len(axes) == 1 else 'es'}",
                )
            )
        else:
            flat.append(item)
