"""The older, positional form of `Rulebook.with_overrides` as edits: ``with_overrides(
policy_id, parameters={name: value}, table_values={table: {(index, ...): value}},
curve_points={curve: {position: (x, y)}})``."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from incentives.errors import OverrideError, shorten
from incentives.rulebook.overrides.edits import Edit, at_path, hint, number_text, text_of
from incentives.rulebook.runtime.policy import CompiledPolicy

__all__ = ["positional_edits"]


def positional_edits(
    policy: CompiledPolicy,
    parameters: Mapping[str, Decimal | int | str],
    table_values: Mapping[str, Mapping[tuple[int, ...], Decimal | int | str]],
    curve_points: Mapping[str, Mapping[int, tuple[Decimal | int | str, Decimal | int | str]]],
) -> tuple[Edit, ...]:
    """The edits of the older, positional form of `Rulebook.with_overrides`."""
    where = f"override of policy '{policy.id}'"
    data = policy.document.data if policy.document is not None else {}
    edits: list[Edit] = []

    def edit(path: str, name: str, at: tuple[str | int, ...], value: Any) -> None:
        says = at_path(data, at)
        edits.append(
            Edit(
                policy.id,
                path,
                name,
                at,
                value,
                text_of(value),
                None,
                None if says is None else text_of(says),
            )
        )

    for name, value in parameters.items():
        if not isinstance(name, str) or name not in policy.parameters:
            raise OverrideError(
                f"{where}: unknown parameter '{shorten(name)}'" + hint(str(name), policy.parameters)
            )
        edit(name, name, ("parameters", name), number_text(value, f"{where}: parameter '{name}'"))
    for name, cells in table_values.items():
        if name not in policy.spec.tables:
            raise OverrideError(
                f"{where}: unknown table '{shorten(name)}'" + hint(str(name), policy.spec.tables)
            )
        for index, value in cells.items():
            what = f"{where}: table '{name}' cell {shorten(index)}"
            number = number_text(value, what)
            ok = (
                isinstance(index, tuple)
                and bool(index)
                and all(isinstance(i, int) and not isinstance(i, bool) for i in index)
            )
            at: tuple[str | int, ...] = ("tables", name, "values", *index) if ok else ()
            cell = at_path(data, at) if ok else None
            if cell is None or isinstance(cell, list):
                raise OverrideError(
                    f"{what}: no such cell (give one index per axis, from 0, as a tuple)"
                )
            edit(f"{name}{list(index)}", name, at, number)
    for name, points in curve_points.items():
        cspec = policy.spec.curves.get(name)
        if cspec is None:
            raise OverrideError(
                f"{where}: unknown curve '{shorten(name)}'" + hint(str(name), policy.spec.curves)
            )
        count = len(cspec.points)
        for position, point in points.items():
            what = f"{where}: curve '{name}' point {shorten(position)}"
            if not isinstance(point, tuple | list) or len(point) != 2:
                raise OverrideError(f"{what}: a point is a pair (input, output)")
            pair = [number_text(point[0], what), number_text(point[1], what)]
            if (
                not isinstance(position, int)
                or isinstance(position, bool)
                or not -count <= position < count
            ):
                raise OverrideError(f"{what}: no such point (the curve has {count}, from 0)")
            at = ("curves", name, "points", position % count)
            edit(f"{name}.points[{position % count}]", name, at, pair)
    return tuple(edits)
