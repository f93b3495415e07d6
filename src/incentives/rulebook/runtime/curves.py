"""Payout curves and step tiers compiled into per-employee lookups (their specs are in
`language.curve_spec`).

A curve maps one input (an attainment, or a raw metric value) to a payout along straight lines
between declared points; a tier schedule maps an amount to a commission. Both compile once into
frozen objects that evaluate with `bisect` over precomputed tuples and return the value together
with what matched (the segment or band), which is all the trace keeps. `explain` renders the
arithmetic for a person later, from the static description plus that small detail.

Curve segments, as returned by `Curve.__call__`:

- ``-1``: worse than the first point (the threshold); pays ``below``.
- ``i``: between point ``i`` (inclusive) and point ``i + 1``; the last point itself is in the
  last segment, ``len(points) - 2``.
- ``len(points) - 1``: beyond the last point; capped at the last payout or extrapolated along the
  last segment.

A decreasing (lower-is-better) curve lists its inputs worst to best, decreasing; "worse" and
"beyond" then mean a larger and a smaller raw value, and everything else mirrors.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Sequence
from decimal import Decimal

import attrs

from incentives.display import format_value
from incentives.errors import RowError
from incentives.rulebook.language.curve_spec import CurveSpec, TierBandSpec, TierSpec
from incentives.rulebook.language.values import SpecIssue, SpecIssues

__all__ = [
    "Curve",
    "CurveSpec",
    "TierBandSpec",
    "TierSpec",
    "Tiers",
    "compile_curve",
    "compile_tiers",
]

_ZERO = Decimal(0)


def _dec(value: Decimal) -> str:
    """An exact decimal as text without exponent notation (``1E+3`` → ``1000``)."""
    return format(value, "f")


# -------------------------------------------------------------------------------------- curves


def _missing(kind: str, name: str) -> RowError:
    return RowError(f"{kind} '{name}' needs a value and got none (missing)", column=name)


@attrs.frozen(slots=True)
class Curve:
    """A compiled payout curve. ``curve(x)`` → ``(payout, segment)``; see the module docstring.

    ``xs``/``ys`` are the points as declared. ``_keys`` are the inputs in increasing "better"
    order (negated for a decreasing curve) so one `bisect_right` finds the segment.
    """

    name: str
    xs: tuple[Decimal, ...]
    ys: tuple[Decimal, ...]
    below: Decimal
    extrapolate: bool
    on: str
    decreasing: bool
    description: str | None = None
    _keys: tuple[Decimal, ...] = attrs.field(init=False)
    _dxs: tuple[Decimal, ...] = attrs.field(init=False)
    _dys: tuple[Decimal, ...] = attrs.field(init=False)

    _at: Callable[[Decimal | int | None], tuple[Decimal, int]] = attrs.field(
        init=False, eq=False, repr=False
    )

    def __attrs_post_init__(self) -> None:
        keys = tuple(-x for x in self.xs) if self.decreasing else self.xs
        pairs = range(len(self.xs) - 1)
        object.__setattr__(self, "_keys", keys)
        object.__setattr__(self, "_dxs", tuple(self.xs[i + 1] - self.xs[i] for i in pairs))
        object.__setattr__(self, "_dys", tuple(self.ys[i + 1] - self.ys[i] for i in pairs))
        object.__setattr__(self, "_at", self._evaluator())

    @property
    def arity(self) -> tuple[int, int]:
        return (1, 1)

    @property
    def type(self) -> str:
        return "percent"

    def __call__(self, x: Decimal | int | None) -> tuple[Decimal, int]:
        return self._at(x)

    def quick(self) -> Callable[[Decimal | int | None], tuple[Decimal, int]]:
        """The function ``curve(x)`` calls: what the generated code and scorecards call."""
        return self._at

    def _evaluator(self) -> Callable[[Decimal | int | None], tuple[Decimal, int]]:
        """``curve(x)`` as a function of its own, over the curve's tuples held as locals (no
        attribute is looked up per call)."""
        name, keys, xs, ys, dxs, dys = self.name, self._keys, self.xs, self.ys, self._dxs, self._dys
        below, extrapolate, decreasing = self.below, self.extrapolate, self.decreasing
        last = len(keys) - 1

        def at(x: Decimal | int | None) -> tuple[Decimal, int]:
            if x is None:
                raise _missing("curve", name)
            i = bisect_right(keys, -x if decreasing else x) - 1
            if i < 0:
                return below, -1
            if i == last:
                if x == xs[last]:
                    return ys[last], last - 1
                if not extrapolate:
                    return ys[last], last
                i = last - 1
                dy = dys[i]
                if not dy:
                    return ys[last], last
                return ys[i] + (x - xs[i]) * dy / dxs[i], last
            dy = dys[i]
            if not dy or x == xs[i]:
                return ys[i], i
            # Multiply before dividing so a segment with a round slope stays exact.
            return ys[i] + (x - xs[i]) * dy / dxs[i], i

        return at

    def describe(self) -> dict[str, object]:
        """A static, JSON-able description for the run's rulebook.json."""
        return {
            "kind": "curve",
            "name": self.name,
            "on": self.on,
            "direction": "decreasing" if self.decreasing else "increasing",
            "points": [[_dec(x), _dec(y)] for x, y in zip(self.xs, self.ys, strict=True)],
            "below": _dec(self.below),
            "above": "extrapolate" if self.extrapolate else "cap",
            "type": self.type,
            "description": self.description,
        }

    def explain(self, args: Sequence[object], value: Decimal, detail: object) -> str:
        """``goal_payout(92%) = 50% + (92% − 80%) ÷ (100% − 80%) × (100% − 50%) = 80%``."""
        x = args[0] if args else None
        fx = "percent" if self.on == "attainment" else "decimal"

        def xt(v: object) -> str:
            return format_value(v, fx)

        def yt(v: object) -> str:
            return format_value(v, "percent")

        head = f"{self.name}({xt(x)}) = "
        if type(detail) is not int or not isinstance(x, Decimal | int):
            return head + yt(value)
        last = len(self.xs) - 1
        if detail < 0:
            return head + f"{yt(value)} (below the threshold {xt(self.xs[0])})"
        if detail >= last and not self.extrapolate:
            return head + f"{yt(value)} (capped at the maximum, reached at {xt(self.xs[last])})"
        i = min(detail, last - 1)
        for j, point in enumerate(self.xs):
            if x == point:
                where = "threshold" if j == 0 else "maximum" if j == last else "point"
                return head + f"{yt(value)} (at the {where} {xt(point)})"
        if self.ys[i] == self.ys[i + 1]:
            if detail >= last:
                return head + f"{yt(value)} (flat beyond {xt(self.xs[last])})"
            return head + f"{yt(value)} (flat between {xt(self.xs[i])} and {xt(self.xs[i + 1])})"
        text = (
            f"{yt(self.ys[i])} + ({xt(x)} − {xt(self.xs[i])}) ÷ ({xt(self.xs[i + 1])} − "
            f"{xt(self.xs[i])}) × ({yt(self.ys[i + 1])} − {yt(self.ys[i])}) = {yt(value)}"
        )
        if detail >= last:
            text += f" (extrapolated beyond {xt(self.xs[last])})"
        return head + text


def compile_curve(name: str, spec: CurveSpec) -> Curve:
    """Check a curve spec and compile it; raises `SpecIssues` listing every problem."""
    issues: list[SpecIssue] = []
    xs = tuple(x for x, _ in spec.points)
    ys = tuple(y for _, y in spec.points)
    if len(xs) < 2:
        issues.append(SpecIssue(("points",), "a curve needs at least two points"))
    decreasing = len(xs) >= 2 and xs[1] < xs[0]
    for i in range(1, len(xs)):
        ok = xs[i] < xs[i - 1] if decreasing else xs[i] > xs[i - 1]
        if not ok:
            order = "decreasing (lower is better)" if decreasing else "increasing"
            issues.append(
                SpecIssue(
                    ("points", i, 0),
                    f"point {i + 1} has input {_dec(xs[i])} after {_dec(xs[i - 1])}: the inputs "
                    f"of a curve must be strictly {order}",
                    "list the points threshold first, maximum last, each input once",
                )
            )
    if issues:
        raise SpecIssues(issues)
    return Curve(
        name=name,
        xs=xs,
        ys=ys,
        below=spec.below,
        extrapolate=spec.above == "extrapolate",
        on=spec.on,
        decreasing=decreasing,
        description=spec.description,
    )


# --------------------------------------------------------------------------------------- tiers


@attrs.frozen(slots=True)
class Tiers:
    """A compiled tier schedule. ``tiers(x)`` → ``(amount, band reached)``.

    Cumulative: each band's rate applies to the part of ``x`` inside that band; the amounts of
    the bands below the one reached are precomputed in ``_bases``. Non-cumulative: the reached
    band's rate applies to all of ``x``, or, called with a second value (``tiers(attainment,
    revenue)``), the band is chosen by ``x`` and its rate applied to that value. Below the
    first ``from``: 0 and band ``-1``.
    """

    name: str
    starts: tuple[Decimal, ...]
    rates: tuple[Decimal, ...]
    cumulative: bool
    description: str | None = None
    _bases: tuple[Decimal, ...] = attrs.field(init=False)

    def __attrs_post_init__(self) -> None:
        bases = [_ZERO]
        for i in range(1, len(self.starts)):
            width = self.starts[i] - self.starts[i - 1]
            bases.append(bases[-1] + self.rates[i - 1] * width)
        object.__setattr__(self, "_bases", tuple(bases))

    @property
    def arity(self) -> tuple[int, int]:
        return (1, 1) if self.cumulative else (1, 2)

    @property
    def type(self) -> str:
        return "money"

    def __call__(
        self, x: Decimal | int | None, *applied: Decimal | int | None
    ) -> tuple[Decimal, int]:
        if x is None or None in applied:
            raise _missing("tiers", self.name)
        i = bisect_right(self.starts, x) - 1
        if i < 0:
            return _ZERO, -1
        if self.cumulative:
            return self._bases[i] + self.rates[i] * (x - self.starts[i]), i
        return self.rates[i] * (applied[0] if applied else x), i  # type: ignore[operator]

    def describe(self) -> dict[str, object]:
        """A static, JSON-able description for the run's rulebook.json."""
        return {
            "kind": "tiers",
            "name": self.name,
            "mode": "cumulative" if self.cumulative else "non_cumulative",
            "bands": [
                {"from": _dec(s), "rate": _dec(r)}
                for s, r in zip(self.starts, self.rates, strict=True)
            ],
            "type": self.type,
            "description": self.description,
        }

    def explain(self, args: Sequence[object], value: Decimal, detail: object) -> str:
        """``commission(150,000) = 100,000 × 5% + 25,000 × 6% + 25,000 × 7% = 8,250``."""
        x = args[0] if args else None
        head = f"{self.name}({format_value(x)}) = "
        if type(detail) is not int or not isinstance(x, Decimal | int):
            return head + format_value(value)
        if detail < 0:
            return head + f"0 (below the first band, from {format_value(self.starts[0])})"
        if not self.cumulative and len(args) == 2:  # band chosen by x, rate on the other
            return (
                f"{self.name}({format_value(x)}, {format_value(args[1])}) = "
                f"{format_value(args[1])} × {format_value(self.rates[detail], 'percent')} = "
                f"{format_value(value)} (band from {format_value(self.starts[detail])})"
            )
        if not self.cumulative:
            return (
                head
                + f"{format_value(x)} × {format_value(self.rates[detail], 'percent')}"
                + (f" = {format_value(value)}")
            )
        parts = []
        for j in range(detail + 1):
            top = x if j == detail else self.starts[j + 1]
            part = top - self.starts[j]
            parts.append(f"{format_value(part)} × {format_value(self.rates[j], 'percent')}")
        return head + " + ".join(parts) + f" = {format_value(value)}"


def compile_tiers(name: str, spec: TierSpec) -> Tiers:
    """Check a tier spec and compile it; raises `SpecIssues` listing every problem."""
    issues: list[SpecIssue] = []
    starts = tuple(b.from_ for b in spec.bands)
    if not starts:
        issues.append(SpecIssue(("bands",), "tiers need at least one band"))
    for i in range(1, len(starts)):
        if starts[i] <= starts[i - 1]:
            issues.append(
                SpecIssue(
                    ("bands", i, "from"),
                    f"band {i + 1} starts at {_dec(starts[i])}, not above the previous band's "
                    f"start {_dec(starts[i - 1])}: `from` must be strictly increasing",
                    "list the bands from the lowest to the highest",
                )
            )
    if issues:
        raise SpecIssues(issues)
    return Tiers(
        name=name,
        starts=starts,
        rates=tuple(b.rate for b in spec.bands),
        cumulative=spec.mode == "cumulative",
        description=spec.description,
    )
