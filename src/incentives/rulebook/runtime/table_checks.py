"""Compile-time checks of a table spec, and the compiling of its axes.

Each check appends every problem it finds to a shared list of `SpecIssue`, each with the path of
the offending entry inside the table (``axes.0.at.2``), so that `compile_table` can report them
all at once before the first employee. Nothing here raises.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from decimal import Decimal

from incentives.money import ROUNDING_MODES
from incentives.rulebook.language.schema import STEP_RANGE, step_in_range
from incentives.rulebook.language.table_spec import AxisSpec, RangeBandSpec, TableSpec
from incentives.rulebook.language.values import SpecIssue
from incentives.rulebook.runtime.table_axes import (
    Axis,
    ExactAxis,
    InterpolateAxis,
    RangeAxis,
    band_text,
    decimal_text,
    plain_text,
)

__all__ = ["check_adjustments", "check_axis_names", "check_grid", "compile_axis"]


def check_axis_names(axes: Sequence[AxisSpec], issues: list[SpecIssue]) -> None:
    """Every axis name is used once."""
    names_seen: set[str] = set()
    for a, axis in enumerate(axes):
        if axis.name in names_seen:
            issues.append(SpecIssue(("axes", a, "name"), f"axis name '{axis.name}' is used twice"))
        names_seen.add(axis.name)


def check_adjustments(spec: TableSpec, issues: list[SpecIssue]) -> None:
    """The rounding step and mode, and the floor against the cap."""
    if spec.round is not None:
        if spec.round.step <= 0:
            issues.append(
                SpecIssue(
                    ("round", "step"),
                    f"the rounding step must be above 0, got {decimal_text(spec.round.step)}",
                    "write e.g. step: 0.01 or step: 0.01%",
                )
            )
        elif not step_in_range(spec.round.step):
            issues.append(
                SpecIssue(
                    ("round", "step"),
                    f"the rounding step must be {STEP_RANGE}, got {decimal_text(spec.round.step)}",
                    "a finer step cannot be held in 28 significant digits; write e.g. step: 0.01",
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
                f"the floor {decimal_text(spec.floor)} is above the cap {decimal_text(spec.cap)}",
            )
        )


def compile_axis(a: int, spec: AxisSpec, percent: bool, issues: list[SpecIssue]) -> Axis | None:
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
                    f"duplicate key {plain_text(item)} on axis '{spec.name}' (also entry "
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
                    f"a range axis lists bands like {{from: 0, to: 1}}, got {plain_text(item)}",
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
                    f"band {j + 1} {band_text(band.from_, None)} has no 'to', but only the last "
                    "band may leave it out",
                    "give every band but the last its 'to'",
                )
            )
        if band.to is not None and band.to <= band.from_:
            issues.append(
                SpecIssue(
                    ("axes", a, "at", j, "to"),
                    f"band {j + 1} ends at {plain_text(band.to)}, not above where it starts "
                    f"({plain_text(band.from_)}): 'to' must be greater than 'from'",
                )
            )
        if j == 0:
            continue
        prev = bands[j - 1]
        text, prev_text = band_text(band.from_, band.to), band_text(prev.from_, prev.to)
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
            upper = plain_text(min(ends)) if ends else "above"
            issues.append(
                SpecIssue(
                    ("axes", a, "at", j, "from"),
                    f"bands {prev_text} and {text} overlap between {plain_text(band.from_)} and "
                    f"{upper}",
                    "each value must fall in exactly one band: start a band where the previous "
                    "one ends",
                )
            )
        elif band.from_ > prev.to:
            issues.append(
                SpecIssue(
                    ("axes", a, "at", j, "from"),
                    f"nothing covers {band_text(prev.to, band.from_)} between bands {j} "
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
                    f"point {j + 1} ({decimal_text(item)}) is not above point {j} ({decimal_text(points[-1])}): "
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


def check_grid(
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
            check_grid(item, axes, depth + 1, (*path, i), issues, flat)
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
