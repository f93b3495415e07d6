"""What an override path names in a policy, and the edit of the policy's data it makes.

    resolve(path, value, policies, layer=...) -> Edit

An `Edit` is a place in a policy file's data (``("tables", "target_pct", "values", 3)``) and
what to put there, exactly as a copy of the rules folder with that one line changed would hold
it; the rulebook recompiles the policy from the edited data (`Rulebook.with_overrides`). A
plan result's figure (``revenue_growth.actual``) is also pinned, so that a ``--results`` file
cannot undo it (precedence: policy file < --results < scenario < --set).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

import attrs

from incentives.errors import OverrideError, shorten
from incentives.rulebook.language.table_spec import RangeBandSpec
from incentives.rulebook.language.values import check_number, parse_label, parse_number
from incentives.rulebook.overrides.grammar import OverridePath, Segment
from incentives.rulebook.runtime.policy import CompiledPolicy

__all__ = ["FIGURES", "SECTIONS", "Edit", "at_path", "number_text", "resolve", "text_of"]

SECTIONS = ("parameters", "results", "tables", "curves", "tiers", "pools", "budgets")
FIGURES = ("actual", "threshold", "target", "maximum", "attainment", "stated_payout")
_NOT_OVERRIDABLE = {
    "steps": "a step",
    "inputs": "a roster input (change inputs in a scenario file's 'inputs:')",
    "scorecards": "a scorecard (override its results or curve instead)",
    "rating_scales": "a rating scale",
}
_POOL_FORMULAS = ("funding", "cap", "members")
_TABLE_SCALARS = ("default", "floor", "cap")


@attrs.frozen
class Edit:
    """One override, resolved: the policy, the place in its data, the value put there."""

    policy: str
    path: str  # canonical: target_pct[level=4]
    name: str  # the parameter, result, table, curve, tier, pool or budget it changes
    data_path: tuple[str | int, ...]
    value: Any  # plain data, as a policy file holds it
    shown: str  # the value as written
    figure: tuple[str, str, str] | None = None  # (result, unit or "", field): pinned
    policy_says: str | None = None  # the value the policy file gives (None: it gives none)

    def describe(self) -> dict[str, Any]:
        return {
            "policy": self.policy,
            "path": self.path,
            "name": self.name,
            "value": self.shown,
            "policy_says": self.policy_says,
        }


def text_of(value: Any) -> str:
    """A plain-data value as a person wrote it: ``2``, ``150%``, ``[105%, 110%]``."""
    if isinstance(value, list | tuple):
        return "[" + ", ".join(text_of(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {text_of(v)}" for k, v in value.items()) + "}"
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def at_path(data: Any, path: Sequence[str | int]) -> Any:
    for part in path:
        in_list = (
            isinstance(part, int) and isinstance(data, list) and -len(data) <= part < len(data)
        )
        if not in_list and not (isinstance(part, str) and isinstance(data, dict) and part in data):
            return None
        data = data[part]
    return data


def _hint(name: str, known: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, [str(k) for k in known], n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _listed(known: Iterable[object]) -> str:
    names = [str(k) for k in known]
    return ", ".join(names[:20]) + (", …" if len(names) > 20 else "") if names else "none"


def number_text(value: Any, what: str) -> Any:
    """``value`` as a policy file would hold a number: its text (``150%``, ``1.10``) or a
    `Decimal`/int; anything else an `OverrideError` saying ``what`` wants a number."""
    if isinstance(value, float):
        raise OverrideError(
            f"{what}: {value!r} is a binary float (it is really {Decimal(value):.25}…); "
            f"pass a string ('{value!r}') or a Decimal"
        )
    if isinstance(value, Decimal) and not value.is_finite():
        raise OverrideError(f"{what}: {value} is not a finite number")
    try:
        number = parse_number(value)
        if not isinstance(value, str):
            check_number(number, str(value))
    except ValueError as exc:
        raise OverrideError(f"{what}: {shorten(exc, 300)}") from None
    return value.strip() if isinstance(value, str) else value


def _pair(value: Any, what: str) -> list[Any]:
    if not isinstance(value, list | tuple) or len(value) != 2:
        raise OverrideError(
            f"{what}: '{shorten(text_of(value))}' is not a point; write it [x, y], e.g. "
            "'[105%, 110%]'"
        )
    return [number_text(v, what) for v in value]


@attrs.frozen
class _Target:
    policy: CompiledPolicy
    section: str
    name: str
    head: Segment
    rest: tuple[Segment, ...]
    where: str


def _find(path: OverridePath, policies: Sequence[CompiledPolicy]) -> _Target:
    ids = [p.id for p in policies]
    chosen = list(policies)
    if path.policy is not None:
        chosen = [p for p in policies if p.id == path.policy]
        if not chosen:
            raise OverrideError(
                f"override '{shorten(path.text)}': no policy '{shorten(path.policy)}'"
                + (_hint(path.policy, ids) or f" (policies: {_listed(ids)})")
            )
    segments = path.segments
    section = None
    if segments[0].name in SECTIONS and len(segments) > 1 and not segments[0].keys:
        section, segments = segments[0].name, segments[1:]
    head, rest = segments[0], segments[1:]
    found: list[tuple[CompiledPolicy, str]] = []
    for policy in chosen:
        for sec in (section,) if section else SECTIONS:
            if head.name in (getattr(policy.spec, sec) or {}):
                found.append((policy, sec))
    where = f"override '{shorten(path.text)}'"
    if not found:
        for policy in chosen:
            for sec, what in _NOT_OVERRIDABLE.items():
                if head.name in (getattr(policy.spec, sec) or {}):
                    raise OverrideError(
                        f"{where}: '{head.name}' is {what} of policy '{policy.id}', which an "
                        "override cannot change; override what it reads (a parameter, table, "
                        "curve or plan result)"
                    )
        known = sorted(
            {n for p in chosen for sec in (section,) if sec for n in getattr(p.spec, sec) or {}}
            if section
            else {n for p in chosen for sec in SECTIONS for n in getattr(p.spec, sec) or {}}
        )
        raise OverrideError(
            f"{where}: no parameter, result, table, curve, tier, pool or budget "
            f"'{shorten(head.name)}'" + (_hint(head.name, known) or f" (names: {_listed(known)})")
        )
    if len(found) > 1:
        both = ", ".join(f"{p.id}:{path}" for p, _ in found)
        raise OverrideError(
            f"{where}: '{head.name}' is in {len(found)} policies; write one of {both}"
        )
    policy, sec = found[0]
    return _Target(policy, sec, head.name, head, rest, f"{where} (policy '{policy.id}')")


def resolve(
    path: OverridePath, value: Any, policies: Sequence[CompiledPolicy], *, layer: str
) -> Edit:
    """The edit ``path = value`` makes; an unknown policy, name, key or position, or a value
    of the wrong type, is an `OverrideError` with what was meant where it can tell."""
    t = _find(path, policies)
    edit: Edit = _RESOLVERS[t.section](t, value, layer)
    data = t.policy.document.data if t.policy.document is not None else {}
    says = at_path(data, edit.data_path)
    if says is None and edit.data_path[-1] == "override":  # a fixed payout: the curve's
        says = at_path(data, (*edit.data_path[:-1], "payout"))
    elif isinstance(says, dict) and "payout" in says:
        says = says["payout"]
    return attrs.evolve(edit, policy_says=None if says is None else text_of(says))


def _no_more(t: _Target, segments: Sequence[Segment], form: str) -> None:
    if segments:
        raise OverrideError(f"{t.where}: '{segments[0]}' is not part of {form}; write {form}")


def _no_bracket(t: _Target, seg: Segment, form: str) -> None:
    if seg.keys or seg.position is not None:
        raise OverrideError(f"{t.where}: '{seg}' takes no [...]; write {form}")


def _parameter(t: _Target, value: Any, layer: str) -> Edit:
    _no_bracket(t, t.head, t.name)
    _no_more(t, t.rest, t.name)
    what = f"{t.where}: parameter '{t.name}'"
    shown = number_text(value, what)
    return Edit(t.policy.id, t.name, t.name, ("parameters", t.name), shown, text_of(shown))


def _result(t: _Target, value: Any, layer: str) -> Edit:
    spec = t.policy.spec.results[t.name]
    fields = (*FIGURES, "payout")
    form = f"{t.name}.actual (or .{', .'.join(f for f in fields if f != 'actual')})"
    if not t.rest:
        raise OverrideError(f"{t.where}: say which figure of result '{t.name}': {form}")
    field_seg = t.rest[0]
    _no_more(t, t.rest[1:], form)
    if field_seg.name not in fields:
        raise OverrideError(
            f"{t.where}: result '{t.name}' has no '{field_seg.name}'"
            + (_hint(field_seg.name, fields) or f" (figures: {', '.join(fields)})")
        )
    if field_seg.position is not None or t.head.position is not None:
        raise OverrideError(
            f"{t.where}: a result takes keys ([{spec.by or 'unit'}=...]), not a position"
        )
    keys = t.head.keys + field_seg.keys
    field = field_seg.name
    path = f"{t.name}.{field}"
    unit = ""
    if keys:
        if not spec.by:
            raise OverrideError(f"{t.where}: result '{t.name}' is company-wide; drop the [...]")
        if len(keys) != 1 or keys[0][0] != spec.by:
            raise OverrideError(
                f"{t.where}: result '{t.name}' is keyed by {spec.by}: write "
                f"{t.name}.{field}[{spec.by}=...]" + _hint(keys[0][0], [spec.by])
            )
        unit = keys[0][1]
        units = sorted(spec.units or {})
        if unit not in units:
            raise OverrideError(
                f"{t.where}: result '{t.name}' has no {spec.by} '{shorten(unit)}'"
                + (_hint(unit, units) or f" ({spec.by}s: {_listed(units)})")
            )
        path += f"[{spec.by}={unit}]"
    elif spec.by and field != "payout":
        raise OverrideError(
            f"{t.where}: result '{t.name}' is given by {spec.by}; name one, e.g. "
            f"'{t.name}.{field}[{spec.by}={min(spec.units or ['...'])}]'"
        )
    what = f"{t.where}: result '{t.name}' {field}"
    if field == "payout":
        if unit:
            raise OverrideError(
                f"{what}: a result's payout is fixed for every {spec.by} at once; write "
                f"{t.name}.payout, or set {t.name}.actual[{spec.by}={unit}]"
            )
        if isinstance(value, list | tuple):
            if len(value) != 3:
                raise OverrideError(
                    f"{what}: a payout curve is [at threshold, at target, at maximum], e.g. "
                    "'[50%, 100%, 200%]'"
                )
            shown: Any = [number_text(v, what) for v in value]
            return Edit(
                t.policy.id, path, t.name, ("results", t.name, "payout"), shown, text_of(shown)
            )
        fixed = number_text(value, what)
        reason = f"what-if: set by {layer}"
        return Edit(
            t.policy.id,
            path,
            t.name,
            ("results", t.name, "override"),
            {"payout": fixed, "reason": reason},
            text_of(fixed),
        )
    shown = number_text(value, what)
    data_path: tuple[str | int, ...] = (
        ("results", t.name, "units", unit, field) if unit else ("results", t.name, field)
    )
    return Edit(
        t.policy.id, path, t.name, data_path, shown, text_of(shown), figure=(t.name, unit, field)
    )


def _rating_value(t: _Target, axis: str, text: str) -> str:
    """A rating label as its value (``rating=Exceeds`` is 4) when the axis is a rating input."""
    spec = t.policy.spec.inputs.get(axis)
    if spec is None or spec.type != "rating":
        return text
    scale = t.policy.spec.rating_scales.get(str(spec.scale))
    labels = {k.casefold(): v for k, v in ((scale.labels or {}) if scale else {}).items()}
    value = labels.get(text.strip().casefold())
    return text if value is None else format(value, "f")


def _axis_index(t: _Target, axis: Any, text: str) -> int:
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
        + (_hint(text, shown) or f" ({axis.name}: {_listed(shown)})")
    )


def _table(t: _Target, value: Any, layer: str) -> Edit:
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
                + (_hint(key, axes) or f" (axes: {', '.join(axes)})")
                + f"; write {form}"
            )
    missing = [a for a in axes if a not in given]
    if missing:
        raise OverrideError(f"{t.where}: give every axis of table '{t.name}': {form}")
    index = tuple(_axis_index(t, axis, given[axis.name]) for axis in spec.axes)
    path = f"{t.name}[{','.join(f'{a}={given[a]}' for a in axes)}]"
    data_path: tuple[str | int, ...] = ("tables", t.name, "values", *index)
    data = t.policy.document.data if t.policy.document is not None else {}
    cell = at_path(data, data_path)
    if isinstance(cell, dict):
        names = [str(k) for k in cell]
        if len(t.rest) != 1 or t.rest[0].name not in names:
            asked = t.rest[0].name if t.rest else ""
            raise OverrideError(
                f"{t.where}: a cell of table '{t.name}' holds {', '.join(names)}; name one, e.g. "
                f"{path}.{names[0]}" + (_hint(asked, names) if asked else "")
            )
        data_path += (t.rest[0].name,)
        path += f".{t.rest[0].name}"
    else:
        _no_more(t, t.rest, form)
    shown = number_text(value, f"{t.where}: table '{t.name}' cell {path}")
    return Edit(t.policy.id, path, t.name, data_path, shown, text_of(shown))


def _curve(t: _Target, value: Any, layer: str) -> Edit:
    npoints = len(t.policy.spec.curves[t.name].points)
    form = f"{t.name}.points[0..{npoints - 1}] (a point [x, y]) or {t.name}.below"
    _no_bracket(t, t.head, form)
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
    shown = _pair(value, f"{t.where}: curve '{t.name}' point {seg.position}")
    return Edit(
        t.policy.id,
        f"{t.name}.points[{seg.position}]",
        t.name,
        ("curves", t.name, "points", seg.position),
        shown,
        text_of(shown),
    )


def _tier(t: _Target, value: Any, layer: str) -> Edit:
    nbands = len(t.policy.spec.tiers[t.name].bands)
    form = f"{t.name}.bands[0..{nbands - 1}].rate (or .from)"
    _no_bracket(t, t.head, form)
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


def _formula(value: Any, what: str) -> str:
    if isinstance(value, str) and value.strip():
        return value.strip()
    if isinstance(value, Decimal | int) and not isinstance(value, bool):
        return text_of(value)
    raise OverrideError(f"{what}: '{shorten(text_of(value))}' is not a formula or a number")


def _pool(t: _Target, value: Any, layer: str) -> Edit:
    fields = (*_POOL_FORMULAS, "cap_share")
    form = f"{t.name}.funding, {t.name}.cap or {t.name}.cap_share"
    _no_bracket(t, t.head, form)
    if len(t.rest) != 1 or t.rest[0].keys or t.rest[0].position is not None:
        raise OverrideError(f"{t.where}: say what of pool '{t.name}': {form}")
    field = t.rest[0].name
    if field not in fields:
        raise OverrideError(
            f"{t.where}: pool '{t.name}' has no '{field}' to override"
            + (_hint(field, fields) or f" ({', '.join(fields)})")
        )
    what = f"{t.where}: pool '{t.name}' {field}"
    shown = number_text(value, what) if field == "cap_share" else _formula(value, what)
    return Edit(
        t.policy.id, f"{t.name}.{field}", t.name, ("pools", t.name, field), shown, text_of(shown)
    )


def _budget(t: _Target, value: Any, layer: str) -> Edit:
    spec = t.policy.spec.budgets[t.name]
    form = f"{t.name}.percent or {t.name}.amount" + (f"[{spec.by}=...]" if spec.by else "")
    _no_bracket(t, t.head, form)
    if len(t.rest) != 1 or t.rest[0].position is not None:
        raise OverrideError(f"{t.where}: say what of budget '{t.name}': {form}")
    seg = t.rest[0]
    if seg.name not in ("percent", "amount"):
        raise OverrideError(
            f"{t.where}: budget '{t.name}' has no '{seg.name}' to override"
            + (_hint(seg.name, ("percent", "amount")) or " (percent, amount)")
        )
    what = f"{t.where}: budget '{t.name}' {seg.name}"
    shown = number_text(value, what)
    data_path: tuple[str | int, ...] = ("budgets", t.name, seg.name)
    path = f"{t.name}.{seg.name}"
    if seg.keys:
        groups = spec.amount if isinstance(spec.amount, dict) else None
        if seg.name != "amount" or groups is None or len(seg.keys) != 1:
            raise OverrideError(
                f"{t.where}: only a budget whose amount is given per {spec.by or 'group'} takes "
                f"a key; write {t.name}.{seg.name}"
            )
        key, group = seg.keys[0]
        if key != spec.by:
            raise OverrideError(
                f"{t.where}: budget '{t.name}' is by {spec.by}; write {t.name}.amount[{spec.by}=...]"
            )
        if group not in groups:
            raise OverrideError(
                f"{t.where}: budget '{t.name}' has no amount for {spec.by} '{shorten(group)}'"
                + (_hint(group, groups) or f" ({_listed(groups)})")
            )
        data_path += (group,)
        path += f"[{key}={group}]"
    elif seg.name == "amount" and isinstance(spec.amount, dict):
        raise OverrideError(
            f"{t.where}: budget '{t.name}' gives an amount per {spec.by}; write {t.name}.amount[{spec.by}=...]"
        )
    return Edit(t.policy.id, path, t.name, data_path, shown, text_of(shown))


_RESOLVERS: Mapping[str, Any] = {
    "parameters": _parameter,
    "results": _result,
    "tables": _table,
    "curves": _curve,
    "tiers": _tier,
    "pools": _pool,
    "budgets": _budget,
}
