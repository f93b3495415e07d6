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

The code is split by responsibility; every public name is importable from here:

- `incentives.rulebook.language.table_spec`: the pydantic specs (`TableSpec`, `AxisSpec`, `RangeBandSpec`,
  `RoundSpec`);
- `incentives.rulebook.runtime.table_axes`: the compiled axes (`ExactAxis`, `RangeAxis`,
  `InterpolateAxis`);
- `incentives.rulebook.runtime.table_lookup`: the compiled `Table` and `LookupMiss`;
- `incentives.rulebook.runtime.table_checks`: the compile-time checks that `compile_table`, here, runs.
"""

from __future__ import annotations

from decimal import Decimal

from incentives.rulebook.language.table_spec import AxisSpec, RangeBandSpec, RoundSpec, TableSpec
from incentives.rulebook.language.values import SpecIssue, SpecIssues
from incentives.rulebook.runtime.table_axes import ExactAxis, InterpolateAxis, RangeAxis
from incentives.rulebook.runtime.table_checks import (
    check_adjustments,
    check_axis_names,
    check_grid,
    compile_axis,
)
from incentives.rulebook.runtime.table_lookup import LookupMiss, Table

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


def compile_table(name: str, spec: TableSpec) -> Table:
    """Check a table spec and compile it; raises `SpecIssues` listing every problem."""
    issues: list[SpecIssue] = []
    check_axis_names(spec.axes, issues)
    percent = spec.type == "percent"
    axes = [compile_axis(a, axis, percent, issues) for a, axis in enumerate(spec.axes)]
    flat: list[Decimal] = []
    check_grid(spec.values, spec.axes, 0, (), issues, flat)
    check_adjustments(spec, issues)
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
