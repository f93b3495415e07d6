"""Overrides of lookups: a table's cell by its keys (or its default, floor, cap), a curve's
point by position (or its value below), a tier band's rate or start."""

from __future__ import annotations

from typing import Any

from incentives.errors import OverrideError, shorten
from incentives.rulebook.language.table_spec import RangeBandSpec
from incentives.rulebook.language.values import parse_label, parse_number
from incentives.rulebook.overrides.edits import (
    Edit,
    Target,
    at_path,
    hint,
    listed,
    no_bracket,
    no_more,
    number_text,
    pair,
    text_of,
)

__all__ = ["curve_edit", "table_edit", "tier_edit"]

_TABLE_SCALARS = ("default", "floor", "cap")


def _rating_value(t: Target, axis: str, text: str) -> str:
    """A rating label as its value (``rating=Exceeds`` is 4) when the axis is a rating input."""
    spec = t.policy.spec.inputs.get(axis)
    if spec is None or spec.type != "rating":
        return text
    scale = t.policy.spec.rating_scales.get(str(spec.scale))
    labels = {k.casefold(): v for k, v in ((scale.labels or {}) if scale else {}).items()}
    value = labels.get(text.strip().casefold())
    return text if value is None else format(value, "f")


def _axis_index(t: Target, axis: Any, text: str) -> int:
    text = _rating_value(t, axis.name, text)
    for i, at in enumerate(axis.at):
        if isinstance(at, RangeBandSpec):
            try:
                if parse_number(text) == at.from_:
                    return i
            except ValueError:
                pass
        elif parse_label(text) == at:
            return i
    shown = [text_of(a.from_) if isinstance(a, RangeBandSpec) else text_of(a) for a in axis.at]
    band = (
        " (a band is named by where it starts)"
        if any(isinstance(a, RangeBandSpec) for a in axis.at)
        else ""
    )
    raise OverrideError(
        f"{t.where}: table '{t.name}' has no {axis.name} '{shorten(text)}'{band}"
        + (hint(text, shown) or f" ({axis.name}: {listed(shown)})")
    )


def table_edit(t: Target, value: Any, layer: str) -> Edit:
    spec = t.policy.spec.tables[t.name]
    axes = [a.name for a in spec.axes]
    form = f"{t.name}[{','.join(f'{a}=...' for a in axes)}]"
    if t.head.position is not None:
        raise OverrideError(f"{t.where}: a table cell is named by its keys, not a position: {form}")
    if not t.head.keys:
        if len(t.rest) == 1 and t.rest[0].name in _TABLE_SCALARS and not t.rest[0].keys:
            what = f"{t.where}: table '{t.name}' {t.rest[0].name}"
            shown = number_text(value, what)
            return Edit(
                t.policy.id,
                f"{t.name}.{t.rest[0].name}",
                t.name,
                ("tables", t.name, t.rest[0].name),
                shown,
                text_of(shown),
            )
        raise OverrideError(f"{t.where}: name the cell of table '{t.name}': {form}")
    given = dict(t.head.keys)
    if len(given) != len(t.head.keys):
        raise OverrideError(f"{t.where}: a key is given twice; write {form}")
    for key in given:
        if key not in axes:
            raise OverrideError(
                f"{t.where}: table '{t.name}' has no axis '{key}'"
                + (hint(key, axes) or f" (axes: {', '.join(axes)})")
                + f"; write {form}"
            )
    missing = [a for a in axes if a not in given]
    if missing:
        raise OverrideError(f"{t.where}: give every axis of table '{t.name}': {form}")
    index = tuple(_axis_index(t, axis, given[axis.name]) for axis in spec.axes)
    shown = [  # an exact key as the policy writes it (rating=Exceeds is rating=4)
        given[axis.name] if isinstance(axis.at[i], RangeBandSpec) else text_of(axis.at[i])
        for axis, i in zip(spec.axes, index, strict=True)
    ]
    path = f"{t.name}[{','.join(f'{a}={k}' for a, k in zip(axes, shown, strict=True))}]"
    data_path: tuple[str | int, ...] = ("tables", t.name, "values", *index)
    data = t.policy.document.data if t.policy.document is not None else {}
    cell = at_path(data, data_path)
    if isinstance(cell, dict):
        names = [str(k) for k in cell]
        if len(t.rest) != 1 or t.rest[0].name not in names:
            asked = t.rest[0].name if t.rest else ""
            raise OverrideError(
                f"{t.where}: a cell of table '{t.name}' holds {', '.join(names)}; name one, e.g. "
                f"{path}.{names[0]}" + (hint(asked, names) if asked else "")
            )
        data_path += (t.rest[0].name,)
        path += f".{t.rest[0].name}"
    else:
        no_more(t, t.rest, form)
    shown = number_text(value, f"{t.where}: table '{t.name}' cell {path}")
    return Edit(t.policy.id, path, t.name, data_path, shown, text_of(shown))


def curve_edit(t: Target, value: Any, layer: str) -> Edit:
    npoints = len(t.policy.spec.curves[t.name].points)
    form = f"{t.name}.points[0..{npoints - 1}] (a point [x, y]) or {t.name}.below"
    no_bracket(t, t.head, form)
    if len(t.rest) != 1:
        raise OverrideError(f"{t.where}: say what of curve '{t.name}': {form}")
    seg = t.rest[0]
    if seg.name == "below" and seg.position is None and not seg.keys:
        shown = number_text(value, f"{t.where}: curve '{t.name}' below")
        return Edit(
            t.policy.id,
            f"{t.name}.below",
            t.name,
            ("curves", t.name, "below"),
            shown,
            text_of(shown),
        )
    if seg.name != "points" or seg.position is None:
        raise OverrideError(f"{t.where}: curve '{t.name}' has no '{seg}'; write {form}")
    if not 0 <= seg.position < npoints:
        raise OverrideError(
            f"{t.where}: curve '{t.name}' has {npoints} points, numbered 0 to {npoints - 1}"
        )
    shown = pair(value, f"{t.where}: curve '{t.name}' point {seg.position}")
    return Edit(
        t.policy.id,
        f"{t.name}.points[{seg.position}]",
        t.name,
        ("curves", t.name, "points", seg.position),
        shown,
        text_of(shown),
    )


def tier_edit(t: Target, value: Any, layer: str) -> Edit:
    nbands = len(t.policy.spec.tiers[t.name].bands)
    form = f"{t.name}.bands[0..{nbands - 1}].rate (or .from)"
    no_bracket(t, t.head, form)
    if (
        len(t.rest) != 2
        or t.rest[0].name != "bands"
        or t.rest[0].position is None
        or t.rest[1].name not in ("rate", "from")
    ):
        raise OverrideError(f"{t.where}: write {form}")
    position = t.rest[0].position
    if not 0 <= position < nbands:
        raise OverrideError(
            f"{t.where}: tier '{t.name}' has {nbands} bands, numbered 0 to {nbands - 1}"
        )
    shown = number_text(value, f"{t.where}: tier '{t.name}'")
    field = t.rest[1].name
    return Edit(
        t.policy.id,
        f"{t.name}.bands[{position}].{field}",
        t.name,
        ("tiers", t.name, "bands", position, field),
        shown,
        text_of(shown),
    )
