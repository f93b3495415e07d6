"""The compiled table: the per-employee lookup, its errors, description and explanation.

`Table` is frozen and built once by `incentives.rulebook.runtime.tables.compile_table`; calling it with
one key per axis returns ``(value, detail)`` as described in `incentives.rulebook.runtime.tables`.
`LookupMiss` is raised when no row matches and the table has no ``default``. `describe` gives the
static record for rulebook.json; `explain` renders one lookup for a person, from its detail.
"""

from __future__ import annotations

import itertools
from bisect import bisect_right
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import Any, cast

import attrs

from incentives.display import format_value
from incentives.errors import RowError
from incentives.money import ROUNDING_MODES, quantize_step
from incentives.rulebook.runtime.table_axes import (
    Axis,
    ExactAxis,
    InterpDetail,
    InterpolateAxis,
    RangeAxis,
    axis_len,
    decimal_text,
)

__all__ = ["LookupMiss", "Table"]

_FOUND_CELLS = 4096  # the largest exact table whose lookups are all worked out when it compiles


class LookupMiss(RowError):
    """No row of a table matches an employee's keys (and the table has no ``default``)."""

    def __init__(self, table: str, reason: str, column: str = "", value: str = "") -> None:
        self.table = table
        super().__init__(reason, column=column, value=value)


@attrs.frozen(slots=True)
class Table:
    """A compiled table. ``table(*keys)`` → ``(value, detail)``; see `incentives.rulebook.runtime.tables`.

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
    # two axes, neither interpolated: a lookup is two `locate` calls and one grid cell
    _grid2: bool = attrs.field(init=False)
    # exact axes only, no rounding, floor or cap, at most `_FOUND_CELLS` cells: every lookup
    # that finds its keys, worked out once (keys → (value, detail)); None for other tables
    _found: Mapping[tuple[object, ...], tuple[Decimal, tuple[object, ...]]] | None = attrs.field(
        init=False
    )

    def __attrs_post_init__(self) -> None:
        strides = [1] * len(self.axes)
        for a in range(len(self.axes) - 2, -1, -1):
            strides[a] = strides[a + 1] * axis_len(self.axes[a + 1])
        object.__setattr__(self, "_strides", tuple(strides))
        object.__setattr__(self, "_rounding", ROUNDING_MODES[self.round_mode])
        adjusts = not (self.round_step is None and self.floor is None and self.cap is None)
        object.__setattr__(self, "_adjusts", adjusts)
        grid2 = len(self.axes) == 2 and not any(isinstance(a, InterpolateAxis) for a in self.axes)
        object.__setattr__(self, "_grid2", grid2)
        found = None
        exact = [a for a in self.axes if isinstance(a, ExactAxis)]
        if len(exact) == len(self.axes) and not adjusts and len(self.values) <= _FOUND_CELLS:
            found = {}
            for combo in itertools.product(*(a.index.items() for a in exact)):
                detail = tuple(i for _, i in combo)
                offset = sum(i * stride for i, stride in zip(detail, strides, strict=True))
                found[tuple(key for key, _ in combo)] = (self.values[offset], detail)
        object.__setattr__(self, "_found", found)

    @property
    def arity(self) -> tuple[int, int]:
        return (len(self.axes), len(self.axes))

    @property
    def found(self) -> Mapping[tuple[object, ...], tuple[Decimal, tuple[object, ...]]]:
        """Every lookup that finds its keys, worked out once (keys → what ``table(*keys)``
        returns, the very tuple); empty unless the table is exact, unadjusted and small. The
        generated code reads it first (``FOUND_<table>``) and calls the table on a miss."""
        return self._found or {}

    def __call__(self, *keys: object) -> tuple[Decimal, tuple[object, ...]]:
        if self._found is not None:  # keys the table knows: their value and detail at once
            try:
                hit = self._found.get(keys)
            except TypeError:  # an unhashable key: the general path says what is wrong
                hit = None
            if hit is not None:
                return hit
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
        if self._grid2 and len(keys) == 2:
            # The common 2-D grid (exact or range axes): both keys found is one cell; anything
            # else (a missing key, no match, a default) takes the general path and its messages.
            k0, k1 = keys
            if k0 is not None and k1 is not None:
                try:
                    f0: Any = axes[0].locate(k0)  # an int: neither axis interpolates
                    f1: Any = axes[1].locate(k1)
                except TypeError:
                    raise self._not_a_number(keys) from None
                if f0 is not None and f1 is not None:
                    value = self.values[f0 * self._strides[0] + f1]
                    return (self._adjust(value) if self._adjusts else value), (f0, f1)
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

    def quick(self) -> Callable[..., tuple[Decimal, tuple[object, ...]]]:
        """What the generated code calls (``LOOKUP_<table>``): the table itself, or for a table
        of range bands (one axis, or an exact axis by a range axis: a rating by a compa-ratio
        band) a function answering keys that fall in a band (and a known exact key) without the
        general path's loop and calls, and passing anything else to the table: the same value
        and detail, the same errors (tests/test_eval_fast_paths.py holds them together)."""
        axes = self.axes
        band = axes[-1]
        if not isinstance(band, RangeAxis) or len(axes) > 2:
            return self
        if len(axes) == 2 and not isinstance(axes[0], ExactAxis):
            return self
        rows = axes[0].index.get if isinstance(axes[0], ExactAxis) else None
        starts, top, values, general = band.starts, band.top, self.values, self
        stride = self._strides[0]
        adjust = self._adjust if self._adjusts else None
        # each cell's answer built once, the very tuple for every key in its band (unadjusted
        # tables): its breakdown cells are then found by identity (io/trace_cells.call_cells),
        # not formatted again per employee (equal to the tuple built per call, as the general
        # lookup gives it: tests/test_eval_fast_paths.py)
        bands = axis_len(band)
        cells = [(v, (k // bands, k % bands) if rows else (k,)) for k, v in enumerate(values)]

        def lookup(*keys: Any) -> tuple[Decimal, tuple[object, ...]]:
            width = len(keys)
            if width == 2 and rows is not None:
                row, key = keys
                try:
                    f0 = rows(row)  # None for a key to look up the general way ("4" for 4)
                    i = bisect_right(starts, key) - 1  # TypeError for None or text
                except TypeError:
                    return general(*keys)
                if f0 is not None and i >= 0 and (top is None or key < top):
                    if adjust is None:
                        return cells[f0 * stride + i]
                    return adjust(values[f0 * stride + i]), (f0, i)
            elif width == 1 and rows is None:
                key = keys[0]
                try:
                    i = bisect_right(starts, key) - 1
                except TypeError:
                    return general(*keys)
                if i >= 0 and (top is None or key < top):
                    return cells[i] if adjust is None else (adjust(values[i]), (i,))
            return general(*keys)  # below or above the bands, a miss, a default, a bad key

        return lookup

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
            n = axis_len(self.axes[a])
            if a == len(self.axes) - 1:
                return [decimal_text(v) for v in self.values[offset : offset + n]]
            return [nest(a + 1, offset + i * self._strides[a]) for i in range(n)]

        def opt(value: Decimal | None) -> str | None:
            return None if value is None else decimal_text(value)

        rounding = (
            None
            if self.round_step is None
            else {"step": decimal_text(self.round_step), "mode": self.round_mode}
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
