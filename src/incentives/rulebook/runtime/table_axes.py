"""Compiled table axes: how one key is matched on one axis, and how keys and bands print.

Each axis is a frozen object built once when the table compiles. ``locate(key)`` returns what
matched, which is all the trace keeps: an index on `ExactAxis` and `RangeAxis`, a precomputed
``(i, j, how)`` triple on `InterpolateAxis`, or ``None`` on a miss. ``format_key``, ``known`` and
``describe`` serve error messages, explanations and rulebook.json.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

import attrs

from incentives.display import format_value
from incentives.rulebook.language.values import parse_label

__all__ = [
    "Axis",
    "ExactAxis",
    "InterpDetail",
    "InterpolateAxis",
    "RangeAxis",
    "axis_len",
    "band_text",
    "decimal_text",
    "plain_text",
]


def decimal_text(value: Decimal) -> str:
    """An exact decimal as text without exponent notation (``1E+3`` → ``1000``)."""
    return format(value, "f")


def plain_text(key: object) -> str:
    """A key or band end as it prints in messages (no percent formatting)."""
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
        return plain_text(key)

    def known(self) -> str:
        return _listing([plain_text(k) for k in self.keys])

    def describe(self) -> dict[str, object]:
        keys = [decimal_text(k) if isinstance(k, Decimal) else k for k in self.keys]
        return {"name": self.name, "match": "exact", "at": keys}


def band_text(start: Decimal, end: Decimal | None, percent: bool = False) -> str:
    """A half-open band as it prints: ``[1, 3)``, or ``[3, …)`` when open-ended; on a percent
    key as percents, as the key prints: ``[110%, …)``."""
    show = (lambda v: format_value(v, "percent")) if percent else plain_text
    return f"[{show(start)}, {show(end) if end is not None else '…'})"


@attrs.frozen(slots=True)
class RangeAxis:
    """Contiguous half-open bands; ``top`` is the last band's end (``None``: open-ended)."""

    name: str
    starts: tuple[Decimal, ...]
    top: Decimal | None
    clamp_below: bool
    clamp_above: bool
    percent: bool = False  # display only: keys and bands print as percents (explain)

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
        return band_text(self.starts[i], end, self.percent)

    def format_key(self, key: object) -> str:
        return format_value(key, "percent") if self.percent else plain_text(key)

    def known(self) -> str:
        return f"bands cover {band_text(self.starts[0], self.top, self.percent)}"

    def describe(self) -> dict[str, object]:
        ends: list[Decimal | None] = [*self.starts[1:], self.top]
        return {
            "name": self.name,
            "match": "range",
            "at": [
                {"from": decimal_text(s), "to": None if e is None else decimal_text(e)}
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
            "at": [decimal_text(p) for p in self.points],
            "below": self.below,
            "above": self.above,
        }


Axis = ExactAxis | RangeAxis | InterpolateAxis


def axis_len(axis: Axis) -> int:
    """How many keys, bands or points an axis has: its dimension in the grid."""
    if isinstance(axis, ExactAxis):
        return len(axis.keys)
    if isinstance(axis, RangeAxis):
        return len(axis.starts)
    return len(axis.points)
